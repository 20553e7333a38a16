"""From three opened bids to a contract, through the API: the Pokja's workspace (bill of
quantities, arithmetic correction that moves the ranking, a bid at 75% of the HPS that needs a
price clarification, checks, qualification falling to the reserve), minutes confirmed member by
member with TOTP and adopted by majority, the award announced, objections and appeals, the
SPPBJ and the contract; each bad input refused with its code and nothing changed.

The bids are sealed with the reference ``age`` CLI and opened by the committee's quorum exactly
as in ``tests/test_opening.py`` (whose helpers are reused)."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from pypdf import PdfReader

from tangguh import clock as clock_module
from tangguh.accounts.selectors import users_with_role
from tangguh.audit.models import AuditEvent
from tangguh.awards.models import Award, BidCheck, Minute, MinuteVote, Objection, Sppbj
from tangguh.bids.services.keys import sealing_keys_deal
from tangguh.core.blobs import node_blobs
from tangguh.domain.roles import Role
from tangguh.notifications.models import Notification
from tangguh.tenders.models import TenderDocument
from tangguh.testing import factories
from tests.domain.test_bid_package import GUARANTEE, VALID
from tests.test_bids_upload import put, seal
from tests.test_opening import _package, _past_deadline, _plain_share, _release
from tests.test_participation import approve, make_tender, register

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:EdDSA is deprecated"),
]

HPS = Decimal("2500000000")
ITEMS = [
    ("Lapis pondasi agregat kelas A", "m3", "1250.5"),
    ("Laston lapis aus (AC-WC)", "ton", "1840"),
]
# (unit prices, line totals as written, stated total): A's lines are right but its total is
# not; B understated its second line (corrected 2 456 320 000 > A, so B falls behind A);
# C is at 75% of the HPS.
BIDS = {
    "A": (("612500", "882400"), ("765931250", "1623616000"), "2389450000"),
    "B": (("640000", "900000"), ("800320000", "1499680000"), "2300000000"),
    "C": (("500000", "679300"), ("625250000", "1249912000"), "1875162000"),
}
CORRECTED = {"A": "2389547250.00", "B": "2456320000.00", "C": "1875162000.00"}


@pytest.fixture(autouse=True)
def _own_blob_store(settings, tmp_path):
    settings.TANGGUH_DATA_DIR = tmp_path / "data"


def _document(tender, company, name, scale=1):
    unit_prices, totals, stated = BIDS[name]
    unit_prices = [str(int(p) * scale) for p in unit_prices]
    totals = [str(int(t) * scale) for t in totals]
    return {
        **VALID,
        "tender": tender.code,
        "company_nib": company.nib,
        "total_price": str(int(stated) * scale),
        # scaled with the prices: above Rp10 miliar of works the guarantee is checked (>= 1% HPS)
        "bid_guarantee": {**GUARANTEE, "amount": str(int(GUARANTEE["amount"]) * scale)},
        "tkdn_percent": "30",
        "boq": [
            {"item": item, "unit": unit, "volume": volume, "unit_price": price, "total": total}
            for (item, unit, volume), price, total in zip(ITEMS, unit_prices, totals, strict=True)
        ],
    }


@pytest.fixture
def opened(api, org, tmp_path):
    return open_three_bids(api, org, tmp_path)


def open_three_bids(api, org, tmp_path, scale=1):
    """A works tender (HPS Rp2,5 miliar, lowest price) whose three bids the quorum opened;
    ``scale`` multiplies the HPS and every price (the ranking stays the same)."""
    approve(org)
    companies = {"A": (org.company, org.users[Role.VENDOR])}
    for name in ("B", "C"):
        company, user = factories.make_vendor()
        approve(org, company)
        companies[name] = (company, user)
    tender = make_tender(org)
    tender.code = f"2024{int(factories.unique('')):05d}"
    tender.save(update_fields=["code"])
    if scale != 1:
        package = tender.package
        package.budget, package.owner_estimate = package.budget * scale, HPS * scale
        package.save(update_fields=["budget", "owner_estimate"])
    (key,) = sealing_keys_deal(actor="test", tender=tender)
    for name, (company, user) in companies.items():
        token = api.token_for(user)
        assert register(api, token, tender).status_code == 201
        plain = _package(tmp_path / name, _document(tender, company, name, scale))
        response = put(api, token, tender, "offer", seal(plain, key.recipient))
        assert response.status_code == 201, response.content
    members = users_with_role(Role.COMMITTEE_MEMBER, f"committee:{org.committee.pk}")
    state = SimpleNamespace(tender=tender, members=members, tokens={}, companies=companies)
    statement = _past_deadline(api, state)
    for member in members[:2]:
        response = _release(api, state, member, _plain_share(member), statement)
        assert response.status_code == 201, response.content
    state.tokens.clear()
    clock_module.get_clock().move(timedelta(seconds=31))  # the release used this code
    state.api = api
    state.org = org
    return state


def _member_token(state, member) -> str:
    if member.pk not in state.tokens:
        state.tokens[member.pk] = state.api.token_for(member)
    return state.tokens[member.pk]


def _call(state, method, path, member=None, user=None, **kwargs):
    token = _member_token(state, member or state.members[0]) if user is None else user
    return state.api.call(method, f"/tenders/{state.tender.code}{path}", token=token, **kwargs)


def _refused(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["code"] == code, response.json()


def _nib(state, name):
    return state.companies[name][0].nib


def _bill(state):
    lines = [{"item": i, "unit": u, "volume": v} for i, u, v in ITEMS]
    response = _call(state, "PUT", "/evaluation/bill", json={"lines": lines})
    assert response.status_code == 200, response.content
    return response.json()


def _pass_all(state, names=("A", "B", "C")):
    for name in names:
        for stage in ("administrative", "technical"):
            response = _call(
                state,
                "POST",
                "/evaluation/checks",
                json={
                    "company_nib": _nib(state, name),
                    "stage": stage,
                    "items": [{"item": f"{stage} lengkap", "passed": True}],
                },
            )
            assert response.status_code == 201, response.content


def _vote(state, minute, member, approve=True, reason=""):
    _member_token(state, member)  # signing in uses this period's code
    clock_module.get_clock().move(timedelta(seconds=31))  # a TOTP code is accepted once
    return _call(
        state,
        "POST",
        f"/evaluation/minutes/{minute['id']}/votes",
        member=member,
        json={
            "approve": approve,
            "otp": factories.current_code(member),
            "content_sha256": minute["content_sha256"],
            "reason": reason,
        },
    )


def _adopt(state, kind, company_nib=""):
    proposed = _call(
        state, "POST", "/evaluation/minutes", json={"kind": kind, "company_nib": company_nib}
    )
    assert proposed.status_code == 201, proposed.content
    minute = proposed.json()
    for member in state.members[:2]:
        assert _vote(state, minute, member).status_code == 201
    decided = _call(state, "POST", f"/evaluation/minutes/{minute['id']}/decision")
    assert decided.status_code == 200, decided.content
    return decided.json()


def _pdf_text(document_id) -> str:
    document = TenderDocument.objects.get(pk=document_id)
    with node_blobs().open(document.sha256) as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


def _evaluated_and_qualified(state):
    """Bill, checks, C's clarification, qualification of C; evaluation minute adopted."""
    _bill(state)
    _pass_all(state)
    response = _call(
        state,
        "POST",
        "/evaluation/clarifications",
        json={
            "company_nib": _nib(state, "C"),
            "reasonable": True,
            "note": "Analisa harga satuan wajar; harga agregat dari quarry sendiri.",
        },
    )
    assert response.status_code == 201, response.content
    minute = _adopt(state, "evaluation")
    response = _call(
        state,
        "POST",
        "/evaluation/checks",
        json={
            "company_nib": _nib(state, "C"),
            "stage": "qualification",
            "items": [{"item": "SBU dan pengalaman (pembuktian)", "passed": True}],
        },
    )
    assert response.status_code == 201, response.content
    return minute


# --- the workspace ------------------------------------------------------------------------------


def test_correction_from_the_opened_bids_moves_the_ranking(opened):
    before = _call(opened, "GET", "/evaluation").json()
    # Without a bill of quantities the stated totals rank: C, B, A.
    assert [b["company_nib"] for b in before["bids"]] == [_nib(opened, n) for n in ("C", "B", "A")]
    after = _bill(opened)
    rows = {b["company_nib"]: b for b in after["bids"]}
    for name, corrected in CORRECTED.items():
        assert Decimal(rows[_nib(opened, name)]["corrected_total"]) == Decimal(corrected)
    # B's misstated line is corrected upwards: A now ranks before B.
    assert [b["company_nib"] for b in after["bids"]] == [_nib(opened, n) for n in ("C", "A", "B")]
    b_row = rows[_nib(opened, "B")]
    (fixed,) = [c for c in b_row["corrections"] if c["kind"] == "line_total"]
    assert fixed["item"] == ITEMS[1][0]
    assert Decimal(fixed["before"]) == Decimal("1499680000")
    assert Decimal(fixed["after"]) == Decimal("1656000000")
    # C at 75% of HPS is flagged for the price clarification.
    c_row = rows[_nib(opened, "C")]
    assert c_row["below_80_percent"] is True and c_row["clarification"] is None
    assert after["winner"] == _nib(opened, "C")
    assert after["reserves"] == [_nib(opened, "A"), _nib(opened, "B")]


def test_a_non_member_cannot_evaluate_and_nothing_changes(opened):
    outsider = factories.make_committee(member_keys=False)
    from tangguh.accounts.selectors import users_with_role as members_of

    other = members_of(Role.COMMITTEE_MEMBER, f"committee:{outsider.pk}")[0]
    token = opened.api.token_for(other)
    body = {
        "company_nib": _nib(opened, "A"),
        "stage": "administrative",
        "items": [{"item": "x", "passed": True}],
    }
    _refused(
        _call(opened, "POST", "/evaluation/checks", user=token, json=body),
        403,
        "evaluation.not_member",
    )
    vendor = opened.api.token_for(opened.companies["B"][1])
    _refused(_call(opened, "GET", "/evaluation", user=vendor), 403, "evaluation.not_member")
    assert not BidCheck.objects.exists()
    assert AuditEvent.objects.filter(action="permission.denied").count() == 2


def test_a_failed_check_needs_a_reason_and_excludes_the_bid(opened):
    _bill(opened)
    body = {
        "company_nib": _nib(opened, "C"),
        "stage": "technical",
        "items": [{"item": "Metode pelaksanaan", "passed": False}],
    }
    _refused(
        _call(opened, "POST", "/evaluation/checks", json=body), 422, "evaluation.reason_required"
    )
    body["items"][0]["reason"] = "Metode pelaksanaan tidak memuat tahapan pengaspalan."
    result = _call(opened, "POST", "/evaluation/checks", json=body).json()
    row = next(b for b in result["bids"] if b["company_nib"] == _nib(opened, "C"))
    assert row["excluded"]["code"] == "failed_checks"
    assert "pengaspalan" in row["excluded"]["reason"]
    assert result["winner"] == _nib(opened, "A")


def test_evaluation_minute_needs_a_majority_with_each_vote_and_absence(opened):
    _bill(opened)
    _pass_all(opened)
    minute = _call(opened, "POST", "/evaluation/minutes", json={"kind": "evaluation"}).json()
    first, second, third = opened.members
    assert _vote(opened, minute, first).status_code == 201
    # One of three is no majority: refused, nothing changed.
    _refused(
        _call(opened, "POST", f"/evaluation/minutes/{minute['id']}/decision"),
        409,
        "minute.no_majority",
    )
    assert Minute.objects.get(pk=minute["id"]).status == "open"
    # A wrong or replayed code is refused; so is confirming another content.
    _member_token(opened, second)
    clock_module.get_clock().move(timedelta(seconds=31))
    bad = _call(
        opened,
        "POST",
        f"/evaluation/minutes/{minute['id']}/votes",
        member=second,
        json={"approve": True, "otp": "000000", "content_sha256": minute["content_sha256"]},
    )
    _refused(bad, 422, "auth.otp_invalid")
    stale = _call(
        opened,
        "POST",
        f"/evaluation/minutes/{minute['id']}/votes",
        member=second,
        json={"approve": True, "otp": factories.current_code(second), "content_sha256": "0" * 64},
    )
    _refused(stale, 409, "minute.content_mismatch")
    _refused(_vote(opened, minute, first), 409, "minute.already_voted")
    assert _vote(opened, minute, second).status_code == 201
    decided = _call(opened, "POST", f"/evaluation/minutes/{minute['id']}/decision").json()
    assert decided["status"] == "adopted"
    votes = {m["user"]: m["vote"] for m in decided["members"]}
    assert votes == {
        first.username: "approve",
        second.username: "approve",
        third.username: "absent",
    }
    text = _pdf_text(decided["document_id"])
    assert "BERITA ACARA EVALUASI PENAWARAN" in text.upper()
    for name in ("A", "B", "C"):
        assert opened.companies[name][0].name in text
    assert "Rp2.456.320.000" in text and "Rp1.875.162.000" in text
    assert "Tidak hadir" in text
    # Frozen now: a later change is refused.
    _refused(
        _call(
            opened,
            "PUT",
            "/evaluation/bill",
            json={"lines": [{"item": "x", "unit": "m", "volume": "1"}]},
        ),
        409,
        "evaluation.frozen",
    )


def test_award_refuses_a_failed_bid_then_needs_clarification_and_qualification(opened):
    _bill(opened)
    _pass_all(opened, names=("A", "C"))
    body = {
        "company_nib": _nib(opened, "B"),
        "stage": "administrative",
        "items": [{"item": "Jaminan penawaran", "passed": False, "reason": "Tidak ada."}],
    }
    assert _call(opened, "POST", "/evaluation/checks", json=body).status_code == 201
    _adopt(opened, "evaluation")
    propose = lambda name: _call(  # noqa: E731
        opened,
        "POST",
        "/evaluation/minutes",
        json={"kind": "award", "company_nib": _nib(opened, name)},
    )
    _refused(propose("B"), 409, "award.bid_failed_check")
    _refused(propose("A"), 409, "award.not_top_ranked")
    _refused(propose("C"), 409, "award.clarification_required")
    assert not Minute.objects.filter(kind="award").exists()


def test_qualification_failure_falls_to_the_reserve_and_the_award_is_announced(opened, org):
    _bill(opened)
    _pass_all(opened)
    _call(
        opened,
        "POST",
        "/evaluation/clarifications",
        json={"company_nib": _nib(opened, "C"), "reasonable": True, "note": "Wajar."},
    )
    _adopt(opened, "evaluation")
    # Qualification only for the top-ranked.
    body = {
        "company_nib": _nib(opened, "A"),
        "stage": "qualification",
        "items": [{"item": "SBU", "passed": True}],
    }
    _refused(
        _call(opened, "POST", "/evaluation/checks", json=body),
        409,
        "evaluation.qualification_not_top",
    )
    profile = _call(opened, "GET", f"/evaluation/qualification/{_nib(opened, 'C')}")
    assert profile.status_code == 200 and profile.json()["company_nib"] == _nib(opened, "C")
    body["company_nib"] = _nib(opened, "C")
    body["items"] = [
        {"item": "Pembuktian SBU", "passed": False, "reason": "SBU asli tidak dapat ditunjukkan."}
    ]
    result = _call(opened, "POST", "/evaluation/checks", json=body).json()
    assert result["winner"] == _nib(opened, "A")  # C fails; the first reserve rises
    body["company_nib"] = _nib(opened, "A")
    body["items"] = [{"item": "Pembuktian SBU", "passed": True}]
    assert _call(opened, "POST", "/evaluation/checks", json=body).status_code == 201
    minute = _adopt(opened, "award", _nib(opened, "A"))
    text = _pdf_text(minute["document_id"])
    assert "BERITA ACARA HASIL PEMILIHAN" in text.upper()
    assert opened.companies["A"][0].name in text and "Rp2.389.547.250" in text
    assert "Pemenang Cadangan 1" in text and opened.companies["B"][0].name in text
    public = opened.api.call("GET", f"/tenders/{opened.tender.code}/award").json()
    assert public["award"]["status"] == "announced"
    assert public["award"]["winner"]["company_nib"] == _nib(opened, "A")
    assert Decimal(public["award"]["winner"]["price"]) == Decimal("2389547250")
    assert [r["company_nib"] for r in public["award"]["reserves"]] == [_nib(opened, "B")]
    # 5 calendar days after 2 July 2024 10:00 WIT: Sunday 7 July -> Monday 8 July.
    assert public["award"]["objection_end"].startswith("2024-07-08T10:")
    assert public["award"]["answer_due"].startswith("2024-07-11T10:")


def test_objections_appeal_sppbj_and_contract(opened, org):
    _evaluated_and_qualified(opened)
    _adopt(opened, "award", _nib(opened, "C"))
    loser = opened.companies["B"][1]
    loser_token = opened.api.token_for(loser)
    path = f"/tenders/{opened.tender.code}/objections"
    text = "Koreksi aritmatik atas penawaran kami tidak sesuai dokumen pemilihan."
    # A user who did not bid (the PPK) cannot object.
    ppk = opened.api.token_for(org.users[Role.COMMITMENT_OFFICER])
    outsider = opened.api.client.post(
        f"/api/v1{path}", {"text": text}, HTTP_AUTHORIZATION=f"Bearer {ppk}"
    )
    _refused(outsider, 403, "objection.not_participant")
    # SPPBJ before the window ends: refused.
    _refused(
        _call(opened, "POST", "/sppbj", user=ppk, json={"number": "027/SPPBJ/2024"}),
        409,
        "sppbj.too_early",
    )
    pdf = io.BytesIO(b"%PDF-1.4 bukti sanggah")
    pdf.name = "bukti.pdf"
    filed = opened.api.client.post(
        f"/api/v1{path}", {"text": text, "file": pdf}, HTTP_AUTHORIZATION=f"Bearer {loser_token}"
    )
    assert filed.status_code == 201, filed.content
    objection = filed.json()
    assert objection["document_sha256"] and objection["company_nib"] == _nib(opened, "B")
    answered = _call(
        opened,
        "POST",
        f"/objections/{objection['id']}/answer",
        json={
            "answer": "Koreksi sesuai volume dokumen pemilihan; sanggah ditolak.",
            "upheld": False,
        },
    )
    assert answered.status_code == 200 and answered.json()["answered_late"] is False
    told = Notification.objects.filter(recipient=loser).values_list("title_id", flat=True)
    assert any("Pengumuman pemenang" in t for t in told)  # every participant heard the award
    assert any("Sanggah Anda" in t for t in told)  # and the objector its answer
    public = opened.api.call("GET", f"/tenders/{opened.tender.code}/award").json()
    rows = {r["company_nib"]: r for r in public["evaluation"]}
    assert rows[_nib(opened, "B")]["rank"] == 3
    assert Decimal(rows[_nib(opened, "B")]["corrected_total"]) == Decimal("2456320000")
    assert public["objections"][0]["answer"].startswith("Koreksi sesuai")
    # After the window: refused, nothing stored.
    clock_module.get_clock().move(timedelta(days=6, hours=1))
    late = opened.api.client.post(
        f"/api/v1{path}", {"text": text}, HTTP_AUTHORIZATION=f"Bearer {opened.api.token_for(loser)}"
    )
    _refused(late, 409, "objection.outside_window")
    assert Objection.objects.count() == 1
    # Appeal (construction) with the 1% guarantee, answered by the PA/KPA.
    loser_token = opened.api.token_for(loser)
    clock_module.get_clock().move(timedelta(days=-3))
    appeal = opened.api.call(
        "POST",
        f"/tenders/{opened.tender.code}/appeals",
        token=loser_token,
        json={
            "objection_id": objection["id"],
            "text": "Kami mengajukan sanggah banding atas jawaban Pokja.",
            "guarantee_reference": "JSB-0091/BankPapua/2024",
        },
    )
    assert appeal.status_code == 201, appeal.content
    assert Decimal(appeal.json()["guarantee_amount"]) == Decimal("25000000")  # 1% of HPS
    kpa = opened.api.token_for(org.users[Role.BUDGET_USER])
    ppk = opened.api.token_for(org.users[Role.COMMITMENT_OFFICER])
    _refused(
        _call(opened, "POST", "/sppbj", user=ppk, json={"number": "027/SPPBJ/2024"}),
        409,
        "sppbj.too_early",
    )
    appeal_id = appeal.json()["id"]
    assert _call(opened, "POST", f"/appeals/{appeal_id}/guarantee", user=kpa).status_code == 200
    answer = _call(
        opened,
        "POST",
        f"/appeals/{appeal_id}/answer",
        user=kpa,
        json={"answer": "Sanggah banding tidak beralasan; ditolak.", "upheld": False},
    )
    assert answer.status_code == 200, answer.content
    clock_module.get_clock().move(timedelta(days=6))
    opened.tokens.clear()
    ppk = opened.api.token_for(org.users[Role.COMMITMENT_OFFICER])
    # Only the PPK issues the SPPBJ.
    _refused(
        _call(opened, "POST", "/sppbj", json={"number": "027/SPPBJ/2024"}), 403, "permission.denied"
    )
    issued = _call(opened, "POST", "/sppbj", user=ppk, json={"number": "027/SPPBJ/2024"})
    assert issued.status_code == 201, issued.content
    contract = _call(
        opened,
        "POST",
        "/contract",
        user=ppk,
        json={
            "number": "600/001/KONTRAK/2024",
            "value": "1875162000",
            "signed_on": "2024-07-25",
            "start_on": "2024-07-26",
            "end_on": "2024-12-20",
            "ppk_signatory": "Yohanes Kambu, S.T.",
            "vendor_signatory": "Direktur CV Uji",
        },
    )
    assert contract.status_code == 201, contract.content
    body = contract.json()
    assert Decimal(body["contract"]["value"]) == Decimal("1875162000")
    # below 80% of the HPS: the performance guarantee is 5% of the HPS (Ps 33)
    assert Decimal(body["contract"]["performance_guarantee"]) == Decimal("125000000")
    assert body["sppbj"]["number"] == "027/SPPBJ/2024"


def test_an_appeal_on_a_non_construction_tender_is_refused(opened):
    _evaluated_and_qualified(opened)
    _adopt(opened, "award", _nib(opened, "C"))
    loser = opened.api.token_for(opened.companies["A"][1])
    filed = opened.api.client.post(
        f"/api/v1/tenders/{opened.tender.code}/objections",
        {"text": "Harga pemenang tidak wajar menurut kami."},
        HTTP_AUTHORIZATION=f"Bearer {loser}",
    )
    assert filed.status_code == 201
    _call(
        opened,
        "POST",
        f"/objections/{filed.json()['id']}/answer",
        json={"answer": "Klarifikasi harga telah dilakukan.", "upheld": False},
    )
    package = opened.tender.package
    package.category = "goods"
    package.save(update_fields=["category"])
    response = opened.api.call(
        "POST",
        f"/tenders/{opened.tender.code}/appeals",
        token=loser,
        json={
            "objection_id": filed.json()["id"],
            "text": "Sanggah banding atas jawaban Pokja.",
            "guarantee_reference": "JSB-1",
        },
    )
    _refused(response, 409, "appeal.not_construction")


def test_all_bids_above_hps_fail_the_tender_and_a_retender_is_linked(opened):
    package = opened.tender.package
    package.owner_estimate = Decimal("1000000000")
    package.save(update_fields=["owner_estimate"])
    _bill(opened)
    _pass_all(opened)
    result = _call(opened, "GET", "/evaluation").json()
    assert result["failure"] == "all_above_hps" and result["winner"] is None
    _refused(
        _call(opened, "POST", "/evaluation/minutes", json={"kind": "evaluation"}),
        409,
        "evaluation.failed",
    )
    _refused(
        _call(opened, "POST", "/failure", json={"reason": "bosan", "note": "x"}),
        422,
        "failure.reason_unknown",
    )
    failed = _call(
        opened,
        "POST",
        "/failure",
        json={"reason": "all_above_hps", "note": "Seluruh penawaran di atas HPS."},
    )
    assert failed.status_code == 201 and failed.json()["detected"] is True
    follow = _call(opened, "POST", "/failure/follow-up", json={"action": "re_tender"})
    assert follow.status_code == 200, follow.content
    new_code = follow.json()["new_tender"]
    from tangguh.tenders.models import Tender

    new = Tender.objects.get(code=new_code)
    assert new.announced_at is None and new.package.owner_estimate == package.owner_estimate
    assert new.retender_of.tender == opened.tender


def test_above_the_threshold_the_pa_kpa_decides(api, org, tmp_path):
    # HPS Rp250 miliar: the winner's Rp187,5 miliar is above the Rp100 miliar threshold.
    opened = open_three_bids(api, org, tmp_path, scale=100)
    _evaluated_and_qualified(opened)
    _adopt(opened, "award", _nib(opened, "C"))
    public = opened.api.call("GET", f"/tenders/{opened.tender.code}/award").json()
    assert public["award"]["status"] == "awaiting_pa" and public["award"]["winner"] is None
    _refused(
        _call(opened, "POST", "/award/pa-decision", json={"approve": True}),
        403,
        "permission.denied",
    )
    kpa = opened.api.token_for(org.users[Role.BUDGET_USER])
    decided = _call(opened, "POST", "/award/pa-decision", user=kpa, json={"approve": True})
    assert decided.status_code == 200, decided.content
    assert decided.json()["award"]["status"] == "announced"
    assert Award.objects.get().pa_decided_by == org.users[Role.BUDGET_USER]


def test_a_lapsed_bid_is_shown_and_cannot_win_until_extended(opened):
    clock_module.get_clock().move(timedelta(days=70))
    opened.tokens.clear()
    result = _call(opened, "GET", "/evaluation").json()
    assert all(b["lapsed"] for b in result["bids"])
    vendor = opened.api.token_for(opened.companies["A"][1])
    response = _call(
        opened, "POST", "/bid-validity", user=vendor, json={"valid_until": "2024-12-31"}
    )
    assert response.status_code == 201, response.content
    result = _call(opened, "GET", "/evaluation").json()
    row = next(b for b in result["bids"] if b["company_nib"] == _nib(opened, "A"))
    assert row["lapsed"] is False and row["valid_until"] == "2024-12-31"
    assert MinuteVote.objects.count() == 0 and Sppbj.objects.count() == 0
