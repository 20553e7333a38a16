"""Issue #6's loose ends: the award notifications have their own kinds (the losing bidders hear
the award, the Pokja hears an objection, …), a re-tender is the tenders app's public service
(a new draft carrying the failed tender's data, audited), and a schedule change that moves the
award-to-contract stages past an opened bid's validity asks its vendor to extend it, once per
bid and date, with a form on the vendor's results page.

Three bids are sealed with ``age`` and opened by the quorum exactly as in
``tests/test_awards.py``, whose helpers are reused."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from decimal import Decimal

import pytest

from tangguh import clock as clock_module
from tangguh.audit.models import AuditEvent
from tangguh.awards.models import Failure, ValidityExtension, ValidityRequest
from tangguh.core.calendar import node_calendar
from tangguh.core.errors import PermissionDenied
from tangguh.domain.methods import Method, StageKind
from tangguh.domain.roles import Role
from tangguh.domain.rulesets import ruleset_in_force
from tangguh.domain.schedule_proposal import propose_schedule
from tangguh.notifications.models import Notification, NotificationKind
from tangguh.tenders.models import Tender, TenderStage
from tangguh.tenders.services.retender import tender_retender
from tests.test_awards import (
    _adopt,
    _bill,
    _call,
    _evaluated_and_qualified,
    _nib,
    _own_blob_store,  # noqa: F401  (autouse: the blobs of this test's bids)
    _pass_all,
    open_three_bids,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:EdDSA is deprecated"),
]


@pytest.fixture
def opened(api, org, tmp_path):
    return open_three_bids(api, org, tmp_path)


def _kinds(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


# --- notifications ------------------------------------------------------------------------------


def test_the_award_objection_answer_sppbj_and_contract_each_have_their_kind(opened, org):
    _evaluated_and_qualified(opened)
    _adopt(opened, "award", _nib(opened, "C"))
    loser = opened.companies["B"][1]
    # The losing bidder hears the award, with the winner and its price, in both languages.
    (award,) = Notification.objects.filter(recipient=loser, kind=NotificationKind.AWARD)
    winner = opened.companies["C"][0].name
    assert award.title_id == f"Pengumuman pemenang tender {opened.tender.code}"
    assert award.title_en == f"Award announced for tender {opened.tender.code}"
    assert winner in award.body_id and "Rp1.875.162.000" in award.body_id
    assert "Masa sanggah sampai 08-07-2024" in award.body_id
    assert "Objections until 08-07-2024" in award.body_en
    assert NotificationKind.OTHER not in _kinds(loser)
    # Every Pokja member hears of B's objection, with the answer deadline.
    filed = opened.api.client.post(
        f"/api/v1/tenders/{opened.tender.code}/objections",
        {"text": "Koreksi aritmatik atas penawaran kami tidak sesuai dokumen pemilihan."},
        HTTP_AUTHORIZATION=f"Bearer {opened.api.token_for(loser)}",
    )
    assert filed.status_code == 201, filed.content
    for member in opened.members:
        (told,) = Notification.objects.filter(recipient=member, kind=NotificationKind.OBJECTION)
        assert opened.companies["B"][0].name in told.body_id
        assert "Jawab paling lambat 11-07-2024" in told.body_id
        assert "Answer by 11-07-2024" in told.body_en
        assert "Koreksi aritmatik" in told.body_id
    assert not Notification.objects.filter(recipient=loser, kind=NotificationKind.OBJECTION)
    # B hears the answer (objection_answer), nobody else does.
    answered = _call(
        opened,
        "POST",
        f"/objections/{filed.json()['id']}/answer",
        json={"answer": "Koreksi sesuai volume dokumen pemilihan; ditolak.", "upheld": False},
    )
    assert answered.status_code == 200, answered.content
    (answer,) = Notification.objects.filter(kind=NotificationKind.OBJECTION_ANSWER)
    assert answer.recipient == loser and "(ditolak)" in answer.body_id
    assert "(rejected)" in answer.body_en
    # After the objection and appeal period: the SPPBJ to the winner, the contract to all.
    clock_module.get_clock().move(timedelta(days=12))
    opened.tokens.clear()
    ppk = opened.api.token_for(org.users[Role.COMMITMENT_OFFICER])
    issued = _call(opened, "POST", "/sppbj", user=ppk, json={"number": "027/SPPBJ/2024"})
    assert issued.status_code == 201, issued.content
    winner_user = opened.companies["C"][1]
    (sppbj,) = Notification.objects.filter(kind=NotificationKind.SPPBJ)
    assert sppbj.recipient == winner_user and "027/SPPBJ/2024" in sppbj.body_en
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
    signed = Notification.objects.filter(kind=NotificationKind.CONTRACT)
    assert {n.recipient for n in signed} == {u for _c, u in opened.companies.values()}
    assert all("600/001/KONTRAK/2024" in n.body_id and winner in n.body_id for n in signed)


def test_a_failed_tender_tells_every_participant_with_the_reason(opened):
    package = opened.tender.package
    package.owner_estimate = Decimal("1000000000")
    package.save(update_fields=["owner_estimate"])
    _bill(opened)
    _pass_all(opened)
    failed = _call(
        opened,
        "POST",
        "/failure",
        json={"reason": "all_above_hps", "note": "Seluruh penawaran di atas HPS."},
    )
    assert failed.status_code == 201, failed.content
    for _company, user in opened.companies.values():
        (told,) = Notification.objects.filter(recipient=user, kind=NotificationKind.TENDER_FAILED)
        assert "Seluruh penawaran di atas HPS" in told.body_id
        assert "all bids are above the HPS" in told.body_en


# --- re-tender ----------------------------------------------------------------------------------


def test_a_retender_is_a_new_draft_carrying_the_data_and_audited(opened, org):
    tender = opened.tender
    tender.qualification_requirements = [{"text": "SBU BG004 kualifikasi kecil"}]
    tender.save(update_fields=["qualification_requirements"])
    package = tender.package
    package.owner_estimate = Decimal("1000000000")
    package.save(update_fields=["owner_estimate"])
    _bill(opened)
    _pass_all(opened)
    _call(opened, "POST", "/failure", json={"reason": "all_above_hps", "note": "Di atas HPS."})
    # Only the tender's own Pokja: a vendor is refused (the service checks, not the caller).
    vendor = opened.companies["A"][1]
    with pytest.raises(PermissionDenied) as refused:
        tender_retender(actor=vendor, tender=tender, reason="tender gagal")
    assert refused.value.code == "permission.denied"
    before = Tender.objects.count()
    follow = _call(opened, "POST", "/failure/follow-up", json={"action": "re_tender"})
    assert follow.status_code == 200, follow.content
    assert Tender.objects.count() == before + 1
    new = Tender.objects.get(code=follow.json()["new_tender"])
    assert new.announced_at is None and not new.stages.exists()
    assert new.package_id != package.pk and new.package.owner_estimate == package.owner_estimate
    assert new.qualification_requirements == [{"text": "SBU BG004 kualifikasi kecil"}]
    assert (new.method, new.envelopes, new.evaluation_method, new.committee_id) == (
        tender.method,
        tender.envelopes,
        tender.evaluation_method,
        tender.committee_id,
    )
    assert new.title.endswith("(Tender Ulang)")
    # The tender document comes along (the same stored bytes); the minutes stay behind.
    old_docs = {d.sha256 for d in tender.documents.filter(kind="tender_document")}
    assert old_docs and {d.sha256 for d in new.documents.all()} == old_docs
    assert Failure.objects.get(tender=tender).new_tender == new
    created = AuditEvent.objects.get(action="tender.retender_created")
    assert created.object_id == str(new.pk)
    assert created.payload["retender_of"] == tender.code
    assert created.payload["reason"].startswith("Seluruh penawaran di atas HPS: Di atas HPS.")
    assert AuditEvent.objects.filter(action="tender.retendered", object_id=str(tender.pk)).exists()


# --- bid validity -------------------------------------------------------------------------------


def _valid_schedule(state) -> dt.date:
    """Give the fixture's tender (built from rows with the bid stages only) the full schedule
    the rules propose from its announcement, and the rule set it pinned; returns the bids'
    validity end by that schedule."""
    tender = state.tender
    calendar = node_calendar()
    ruleset = ruleset_in_force(calendar.local(tender.announced_at))
    tender.ruleset_code = ruleset.code
    tender.save(update_fields=["ruleset_code"])
    schedule = propose_schedule(tender.announced_at, Method(tender.method), calendar, ruleset)
    tender.stages.all().delete()
    for position, stage in enumerate(schedule.stages):
        TenderStage.objects.create(
            tender=tender, kind=stage.kind, position=position, start=stage.start, end=stage.end
        )
    valid = {b["valid_until"] for b in _call(state, "GET", "/evaluation").json()["bids"]}
    (valid_until,) = valid  # the three bids state the same 60 days
    deadline = calendar.local(schedule.bid_deadline).date()
    assert dt.date.fromisoformat(valid_until) == deadline + timedelta(days=60)
    return dt.date.fromisoformat(valid_until)


def _working_day(day: dt.date) -> dt.datetime:
    calendar = node_calendar()
    return calendar.at(calendar.next_working_day(day), dt.time(14, 0))


def _move(state, kind: str, end: dt.datetime, reason: str):
    stage = state.tender.stages.get(kind=kind)
    return _call(
        state,
        "POST",
        "/schedule-changes",
        json={
            "stages": [{"kind": kind, "start": stage.start.isoformat(), "end": end.isoformat()}],
            "reason": reason,
        },
    )


def _contract_end(state) -> dt.datetime:
    return state.tender.stages.get(kind=StageKind.CONTRACT).end


def test_a_schedule_change_past_the_validity_asks_each_vendor_once(opened):
    valid_until = _valid_schedule(opened)
    # A move that stays inside the bids' validity asks nobody.
    inside = _working_day(valid_until - timedelta(days=10))
    assert _contract_end(opened) < inside
    moved = _move(opened, "contract", inside, "Penyesuaian jadwal penandatanganan kontrak.")
    assert moved.status_code == 201, moved.content
    assert not ValidityRequest.objects.exists()
    assert not Notification.objects.filter(kind=NotificationKind.BID_VALIDITY).exists()
    # A move past it asks every vendor to extend to the new end of the contract stage.
    late = _working_day(valid_until + timedelta(days=20))
    needed = late.date()
    moved = _move(opened, "contract", late, "Penundaan karena revisi anggaran daerah.")
    assert moved.status_code == 201, moved.content
    for _company, user in opened.companies.values():
        (asked,) = Notification.objects.filter(recipient=user, kind=NotificationKind.BID_VALIDITY)
        assert f"sampai paling sedikit {needed:%d-%m-%Y}" in asked.body_id
        assert f"berlaku sampai {valid_until:%d-%m-%Y}" in asked.body_id
        assert f"to at least {needed:%d-%m-%Y}" in asked.body_en
    assert ValidityRequest.objects.count() == 3
    events = AuditEvent.objects.filter(action="evaluation.validity_extension_requested")
    assert {e.payload["needed_until"] for e in events} == {needed.isoformat()}
    assert events.count() == 3
    # Another change that leaves the contract's end where it is asks nobody again.
    contract = opened.tender.stages.get(kind=StageKind.CONTRACT)
    calendar = node_calendar()
    local_start = calendar.local(contract.start)
    start = calendar.at(
        calendar.next_working_day(local_start.date(), strictly_after=True), local_start.time()
    )
    again = _call(
        opened,
        "POST",
        "/schedule-changes",
        json={
            "stages": [
                {"kind": "contract", "start": start.isoformat(), "end": contract.end.isoformat()}
            ],
            "reason": "Penandatanganan menunggu PPK yang sedang dinas luar.",
        },
    )
    assert again.status_code == 201, again.content
    assert Notification.objects.filter(kind=NotificationKind.BID_VALIDITY).count() == 3
    # A extends through the API; a later move past B's and C's validity but not A's new one
    # asks B and C again, not A.
    vendor_a = opened.companies["A"][1]
    token = opened.api.token_for(vendor_a)
    extended = _call(
        opened,
        "POST",
        "/bid-validity",
        user=token,
        json={"valid_until": (needed + timedelta(days=40)).isoformat()},
    )
    assert extended.status_code == 201, extended.content
    later = _working_day(needed + timedelta(days=20))
    moved = _move(opened, "contract", later, "Penundaan kedua karena revisi anggaran daerah.")
    assert moved.status_code == 201, moved.content
    asked = ValidityRequest.objects.filter(needed_until=later.date())
    assert {r.company for r in asked} == {opened.companies[n][0] for n in ("B", "C")}


def test_the_vendor_extends_from_its_results_page(opened, client):
    valid_until = _valid_schedule(opened)
    late = _working_day(valid_until + timedelta(days=20))
    needed = late.date()
    assert _move(opened, "contract", late, "Penundaan karena revisi anggaran.").status_code == 201
    company, vendor = opened.companies["B"]
    client.force_login(vendor)
    page = client.get("/penyedia/hasil/").content.decode()
    assert "Masa berlaku penawaran" in page and f"{valid_until:%d-%m-%Y}" in page
    assert "diperpanjang sampai paling sedikit" in page and f"{needed:%d-%m-%Y}" in page
    assert 'name="valid_until"' in page and f'value="{needed.isoformat()}"' in page
    # An earlier date than the current validity is refused, nothing stored.
    form = {"code": opened.tender.code, "company_nib": company.nib}
    response = client.post(
        "/penyedia/hasil/", {**form, "valid_until": valid_until.isoformat()}, follow=True
    )
    assert "validity.not_later" in response.content.decode()
    assert not ValidityExtension.objects.exists()
    # Another vendor's NIB is not this user's bid.
    response = client.post(
        "/penyedia/hasil/",
        {**form, "company_nib": _nib(opened, "A"), "valid_until": needed.isoformat()},
        follow=True,
    )
    assert "objection.not_participant" in response.content.decode()
    response = client.post(
        "/penyedia/hasil/", {**form, "valid_until": needed.isoformat()}, follow=True
    )
    page = response.content.decode()
    assert "Masa berlaku penawaran diperpanjang" in page
    (extension,) = ValidityExtension.objects.all()
    assert extension.company == company and extension.valid_until == needed
    assert AuditEvent.objects.filter(action="evaluation.validity_extended").count() == 1
    # The request is met: no more warning or form, the new date is shown.
    assert "diperpanjang sampai paling sedikit" not in page
    assert 'name="valid_until"' not in page and f"{needed:%d-%m-%Y}" in page


def test_a_lapsed_bid_offers_the_form_without_a_request(opened, client):
    clock_module.get_clock().move(timedelta(days=70))
    _company, vendor = opened.companies["C"]
    client.force_login(vendor)
    page = client.get("/penyedia/hasil/").content.decode()
    assert "lewat masa berlaku" in page and 'name="valid_until"' in page
    assert "diperpanjang sampai paling sedikit" not in page


# --- the public award page in a real browser ------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_public_award_page_in_both_languages(page, live_server, api, org, tmp_path):
    from playwright.sync_api import expect

    state = open_three_bids(api, org, tmp_path)
    _evaluated_and_qualified(state)
    _adopt(state, "award", _nib(state, "C"))
    names = {n: state.companies[n][0].name for n in ("A", "B", "C")}
    page.goto(f"{live_server.url}/tender/{state.tender.code}/pemenang/")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    award = page.locator("#award")
    winner = award.locator("tr", has_text="Pemenang").first
    expect(winner).to_contain_text(names["C"])
    expect(winner).to_contain_text("harga penawaran terkoreksi Rp1.875.162.000")
    expect(winner).to_contain_text("harga evaluasi Rp1.875.162.000")
    # The reserves in their order: A (corrected Rp2.389.547.250), then B (Rp2.456.320.000).
    expect(award.locator("tr", has_text="Pemenang cadangan 1")).to_contain_text(names["A"])
    expect(award.locator("tr", has_text="Pemenang cadangan 1")).to_contain_text("Rp2.389.547.250")
    expect(award.locator("tr", has_text="Pemenang cadangan 2")).to_contain_text(names["B"])
    expect(award.locator("tr", has_text="Pemenang cadangan 2")).to_contain_text("Rp2.456.320.000")
    rows = page.locator("#evaluation tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text(names["C"])
    expect(rows.nth(2)).to_contain_text(names["B"])
    expect(rows.nth(2)).to_contain_text("Rp2.300.000.000")  # B's stated total, corrected above
    expect(page.locator("main")).to_contain_text("Masa sanggah sampai")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    award = page.locator("#award")
    expect(award.locator("tr", has_text="Winner")).to_contain_text(names["C"])
    expect(award.locator("tr", has_text="Winner")).to_contain_text(
        "corrected bid price Rp1.875.162.000"
    )
    expect(award.locator("tr", has_text="Reserve 1")).to_contain_text(names["A"])
    expect(award.locator("tr", has_text="Reserve 2")).to_contain_text("evaluated price")
    expect(page.locator("#evaluation thead")).to_contain_text("Evaluated price")
    expect(page.locator("main")).to_contain_text("Objections until")
    expect(page.locator("main")).not_to_contain_text("Pemenang cadangan")
