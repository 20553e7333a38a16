"""Each rule of the evaluation workspace and its bad input, one at a time: the CSV bill of
quantities, scores for merit point, the price clarification, rejections in a vote, a late
answer, an appeal outside its window. Every refusal has its code and changes nothing."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest

from tangguh import clock as clock_module
from tangguh.awards.models import (
    Appeal,
    Award,
    BidScore,
    BillItem,
    Minute,
    Objection,
    PriceClarification,
)
from tangguh.domain.roles import Role
from tests.test_awards import (
    ITEMS,
    _adopt,
    _bill,
    _call,
    _evaluated_and_qualified,
    _member_token,
    _nib,
    _pass_all,
    _refused,
    _vote,
    open_three_bids,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:EdDSA is deprecated"),
]


@pytest.fixture(autouse=True)
def _own_blob_store(settings, tmp_path):
    settings.TANGGUH_DATA_DIR = tmp_path / "data"


@pytest.fixture
def opened(api, org, tmp_path):
    return open_three_bids(api, org, tmp_path)


def _csv(state, content: str):
    upload = io.BytesIO(content.encode())
    upload.name = "boq.csv"
    return state.api.client.post(
        f"/api/v1/tenders/{state.tender.code}/evaluation/bill.csv",
        {"file": upload},
        HTTP_AUTHORIZATION=f"Bearer {_member_token(state, state.members[0])}",
    )


def test_a_csv_bill_with_bad_rows_stores_nothing_and_names_each_row(opened):
    content = "item,unit,volume\nLapis pondasi,m3,abc\n,ton,3\nLaston,ton,-1\n"
    response = _csv(opened, content)
    _refused(response, 422, "bill.rows_invalid")
    rows = [d["row"] for d in response.json()["details"]]
    assert rows == [2, 3, 4]
    assert not BillItem.objects.exists()
    _refused(_csv(opened, "nama,volume\nx,1\n"), 422, "bill.columns")
    good = "item,unit,volume\n" + "".join(f"{i},{u},{v}\n" for i, u, v in ITEMS)
    response = _csv(opened, good)
    assert response.status_code == 200, response.content
    assert [b["item"] for b in response.json()["bill_of_quantities"]] == [i for i, _, _ in ITEMS]


def test_merit_point_ranks_by_technical_and_price_scores(opened):
    tender = opened.tender
    lowest = {
        "company_nib": _nib(opened, "A"),
        "scores": [{"criterion": "Metode", "weight": "1", "score": "80"}],
    }
    _refused(
        _call(opened, "POST", "/evaluation/scores", json=lowest), 409, "evaluation.scores_not_used"
    )
    tender.evaluation_method, tender.technical_weight, tender.price_weight = "merit_point", 70, 30
    tender.save(update_fields=["evaluation_method", "technical_weight", "price_weight"])
    _bill(opened)
    bad = {
        "company_nib": _nib(opened, "A"),
        "scores": [{"criterion": "Metode", "weight": "1", "score": "101"}],
    }
    _refused(_call(opened, "POST", "/evaluation/scores", json=bad), 422, "evaluation.score_range")
    assert not BidScore.objects.exists()
    scores = {"A": ("95", "90"), "B": ("60", "60"), "C": ("70", "60")}
    for name, (method, staff) in scores.items():
        body = {
            "company_nib": _nib(opened, name),
            "scores": [
                {"criterion": "Metode pelaksanaan", "weight": "60", "score": method},
                {"criterion": "Tenaga ahli", "weight": "40", "score": staff},
            ],
        }
        response = _call(opened, "POST", "/evaluation/scores", json=body)
        assert response.status_code == 201, response.content
    result = response.json()
    rows = {b["company_nib"]: b for b in result["bids"]}
    # A: technical 93; price score 1875162000/2389547250*100 = 78.47...; 0.7*93 + 0.3*78.47
    a = rows[_nib(opened, "A")]
    assert Decimal(a["technical_score"]) == Decimal(93)
    price_score = Decimal("1875162000") / Decimal("2389547250") * 100
    assert Decimal(a["score"]) == (70 * Decimal(93) + 30 * price_score) / 100
    assert result["winner"] == _nib(opened, "A")  # the best combined score, not the cheapest


def test_a_clarification_only_below_80_percent_and_an_unreasonable_price_fails(opened):
    _bill(opened)
    body = {"company_nib": _nib(opened, "A"), "reasonable": True, "note": "Wajar."}
    _refused(
        _call(opened, "POST", "/evaluation/clarifications", json=body),
        409,
        "evaluation.clarification_not_needed",
    )
    body = {
        "company_nib": _nib(opened, "C"),
        "reasonable": False,
        "note": "Harga aspal di bawah harga pabrik; analisa harga satuan tidak dapat diterima.",
    }
    result = _call(opened, "POST", "/evaluation/clarifications", json=body).json()
    row = next(b for b in result["bids"] if b["company_nib"] == _nib(opened, "C"))
    assert row["excluded"]["code"] == "failed_checks" and "tidak wajar" in row["excluded"]["reason"]
    assert result["winner"] == _nib(opened, "A")
    assert PriceClarification.objects.get().reasonable is False


def test_a_rejection_needs_a_reason_and_two_rejections_leave_no_majority(opened):
    _bill(opened)
    _pass_all(opened)
    minute = _call(opened, "POST", "/evaluation/minutes", json={"kind": "evaluation"}).json()
    first, second, third = opened.members
    _refused(_vote(opened, minute, first, approve=False), 422, "minute.reason_required")
    assert (
        _vote(opened, minute, first, approve=False, reason="Koreksi belum diperiksa.").status_code
        == 201
    )
    assert _vote(opened, minute, second, approve=False, reason="Sependapat.").status_code == 201
    assert _vote(opened, minute, third).status_code == 201
    _refused(
        _call(opened, "POST", f"/evaluation/minutes/{minute['id']}/decision"),
        409,
        "minute.no_majority",
    )
    # A new proposal withdraws the open one.
    again = _call(opened, "POST", "/evaluation/minutes", json={"kind": "evaluation"}).json()
    assert Minute.objects.get(pk=minute["id"]).status == "withdrawn"
    assert again["status"] == "open"


def test_a_changed_evaluation_cannot_be_adopted_under_the_old_minute(opened):
    _bill(opened)
    _pass_all(opened)
    minute = _call(opened, "POST", "/evaluation/minutes", json={"kind": "evaluation"}).json()
    for member in opened.members[:2]:
        assert _vote(opened, minute, member).status_code == 201
    body = {
        "company_nib": _nib(opened, "B"),
        "stage": "administrative",
        "items": [{"item": "Surat penawaran", "passed": False, "reason": "Tidak ditandatangani."}],
    }
    assert _call(opened, "POST", "/evaluation/checks", json=body).status_code == 201
    _refused(
        _call(opened, "POST", f"/evaluation/minutes/{minute['id']}/decision"), 409, "minute.stale"
    )


def test_a_late_answer_is_marked_and_an_appeal_after_its_window_is_refused(opened, org):
    _evaluated_and_qualified(opened)
    _adopt(opened, "award", _nib(opened, "C"))
    loser = opened.companies["A"][1]
    token = opened.api.token_for(loser)
    filed = opened.api.client.post(
        f"/api/v1/tenders/{opened.tender.code}/objections",
        {"text": "Penawaran pemenang di bawah 80% HPS dan tidak wajar."},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert filed.status_code == 201
    clock_module.get_clock().move(timedelta(days=10))  # past the answer deadline
    opened.tokens.clear()
    answer = _call(
        opened,
        "POST",
        f"/objections/{filed.json()['id']}/answer",
        json={"answer": "Klarifikasi harga sudah dilakukan dan wajar.", "upheld": False},
    )
    assert answer.status_code == 200 and answer.json()["answered_late"] is True
    _refused(
        _call(
            opened,
            "POST",
            f"/objections/{filed.json()['id']}/answer",
            json={"answer": "Jawaban kedua untuk sanggah ini.", "upheld": True},
        ),
        409,
        "objection.already_answered",
    )
    clock_module.get_clock().move(timedelta(days=6))
    token = opened.api.token_for(loser)
    late = opened.api.call(
        "POST",
        f"/tenders/{opened.tender.code}/appeals",
        token=token,
        json={
            "objection_id": filed.json()["id"],
            "text": "Sanggah banding atas jawaban Pokja.",
            "guarantee_reference": "JSB-2",
        },
    )
    _refused(late, 409, "appeal.outside_window")
    assert not Appeal.objects.exists()
    # another bidder cannot appeal someone else's objection
    other = opened.api.token_for(opened.companies["B"][1])
    response = opened.api.call(
        "POST",
        f"/tenders/{opened.tender.code}/appeals",
        token=other,
        json={
            "objection_id": filed.json()["id"],
            "text": "Sanggah banding atas jawaban Pokja.",
            "guarantee_reference": "JSB-3",
        },
    )
    _refused(response, 403, "appeal.not_objector")
    assert org.users[Role.VENDOR] == loser


def test_an_objection_outside_the_system_counts_only_during_a_recorded_outage(opened, org):
    _evaluated_and_qualified(opened)
    _adopt(opened, "award", _nib(opened, "C"))
    award = Award.objects.get()
    received = award.announced_at + timedelta(days=1)
    body = {
        "company_nib": _nib(opened, "B"),
        "text": "Sanggah kami kirim melalui surat karena sistem tidak dapat diakses.",
        "received_at": received.isoformat(),
        "outage_id": 999,
    }
    clock_module.get_clock().move(timedelta(days=2))
    opened.tokens.clear()
    _refused(_call(opened, "POST", "/objections/outside", json=body), 409, "objection.no_outage")
    admin = opened.api.token_for(org.users[Role.ADMIN])
    declared = opened.api.call(
        "POST",
        "/outages",
        token=admin,
        json={
            "start": (award.announced_at + timedelta(hours=20)).isoformat(),
            "end": (award.announced_at + timedelta(hours=30)).isoformat(),
            "reason": "Pusat data padam.",
            "scope": "node",
        },
    )
    assert declared.status_code == 201, declared.content
    body["outage_id"] = declared.json()["outage"]["id"]
    vendor = opened.api.token_for(opened.companies["B"][1])
    _refused(
        _call(opened, "POST", "/objections/outside", user=vendor, json=body),
        403,
        "evaluation.not_member",
    )
    _refused(
        _call(opened, "POST", "/objections/outside", json={**body, "company_nib": "9999999999999"}),
        403,
        "objection.not_participant",
    )
    recorded = _call(opened, "POST", "/objections/outside", json=body)
    assert recorded.status_code == 201, recorded.content
    assert recorded.json()["received_outside"] is True
    assert Objection.objects.get().outage_id == body["outage_id"]


def test_the_domestic_preference_ranks_but_the_contract_price_is_the_bid(opened):
    package = opened.tender.package
    package.category = "goods"  # HPS Rp2,5 miliar > Rp1 miliar; every bid has TKDN 30%
    package.save(update_fields=["category"])
    _evaluated_and_qualified(opened)
    _adopt(opened, "award", _nib(opened, "C"))
    award = Award.objects.get()
    assert award.price == Decimal("1875162000")
    # HEA = (1 - 0.30 x 0.25) x price
    assert award.evaluated_price == Decimal("0.925") * Decimal("1875162000")
    public = opened.api.call("GET", f"/tenders/{opened.tender.code}/award").json()
    assert Decimal(public["award"]["winner"]["price"]) == Decimal("1875162000")
    assert Decimal(public["award"]["winner"]["evaluated_price"]) == award.evaluated_price
