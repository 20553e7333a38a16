"""OCDS award and contract releases from the real evaluation workflow (tangguh.awards): three
bids sealed with the reference ``age`` CLI and opened by the quorum, evaluated, the award
adopted by the committee's majority with TOTP and announced, an objection and a construction
appeal to the PA/KPA, the SPPBJ and the contract. Every release passes libcoveocds offline with
the bids extension, award suppliers are tenderers, the contract value is the winning bid's
price, no personal data is published, and the record compiles with ocdsmerge.

The workflow helpers are those of ``tests/test_awards.py``."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest

from tangguh import clock as clock_module
from tangguh.domain.ocds.personal_data import findings
from tangguh.domain.roles import Role
from tests.test_awards import (
    _adopt,
    _bill,
    _call,
    _evaluated_and_qualified,
    _nib,
    _pass_all,
    open_three_bids,
)
from tests.test_ocds import PREFIX, _registered_prefix, feed, validated  # noqa: F401

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:EdDSA is deprecated"),
]

PPK_SIGNATORY = "Yohanes Kambu, S.T."
VENDOR_SIGNATORY = "Martha Rumaropen"
WINNER_PRICE = 1875162000  # C's bid, below 80% of the HPS, clarified as reasonable


@pytest.fixture(autouse=True)
def _own_blob_store(settings, tmp_path):
    settings.TANGGUH_DATA_DIR = tmp_path / "data"


@pytest.fixture
def opened(api, org, tmp_path):
    return open_three_bids(api, org, tmp_path)


def _ocid(state) -> str:
    return f"{PREFIX}-{state.tender.code}"


def _object_and_appeal(state, org) -> None:
    """B objects with a supporting document; the Pokja rejects it; B appeals to the PA/KPA
    (construction) with its guarantee; the PA/KPA confirms it and rejects the appeal."""
    loser = state.api.token_for(state.companies["B"][1])
    pdf = io.BytesIO(b"%PDF-1.4 bukti sanggah")
    pdf.name = "bukti.pdf"
    filed = state.api.client.post(
        f"/api/v1/tenders/{state.tender.code}/objections",
        {
            "text": "Koreksi aritmatik atas penawaran kami tidak sesuai dokumen pemilihan; "
            "hubungi direktur kami di 0812-3456-7890.",
            "file": pdf,
        },
        HTTP_AUTHORIZATION=f"Bearer {loser}",
    )
    assert filed.status_code == 201, filed.content
    objection = filed.json()["id"]
    answered = _call(
        state,
        "POST",
        f"/objections/{objection}/answer",
        json={"answer": "Koreksi sesuai volume dokumen pemilihan; ditolak.", "upheld": False},
    )
    assert answered.status_code == 200, answered.content
    appeal = state.api.call(
        "POST",
        f"/tenders/{state.tender.code}/appeals",
        token=state.api.token_for(state.companies["B"][1]),
        json={
            "objection_id": objection,
            "text": "Kami mengajukan sanggah banding atas jawaban Pokja.",
            "guarantee_reference": "JSB-0091/BankPapua/2024",
        },
    )
    assert appeal.status_code == 201, appeal.content
    kpa = state.api.token_for(org.users[Role.BUDGET_USER])
    appeal_id = appeal.json()["id"]
    assert _call(state, "POST", f"/appeals/{appeal_id}/guarantee", user=kpa).status_code == 200
    answer = _call(
        state,
        "POST",
        f"/appeals/{appeal_id}/answer",
        user=kpa,
        json={"answer": "Sanggah banding tidak beralasan; ditolak.", "upheld": False},
    )
    assert answer.status_code == 200, answer.content


def _contract(state, org, value: int = WINNER_PRICE):
    clock_module.get_clock().move(timedelta(days=20))
    state.tokens.clear()
    ppk = state.api.token_for(org.users[Role.COMMITMENT_OFFICER])
    issued = _call(state, "POST", "/sppbj", user=ppk, json={"number": "027/SPPBJ/2024"})
    assert issued.status_code == 201, issued.content
    contract = _call(
        state,
        "POST",
        "/contract",
        user=ppk,
        json={
            "number": "600/001/KONTRAK/2024",
            "value": str(value),
            "signed_on": "2024-07-25",
            "start_on": "2024-07-26",
            "end_on": "2024-12-20",
            "ppk_signatory": PPK_SIGNATORY,
            "vendor_signatory": VENDOR_SIGNATORY,
        },
    )
    assert contract.status_code == 201, contract.content


def test_award_and_contract_releases_pass_libcoveocds_and_our_checks(opened, org):
    _evaluated_and_qualified(opened)
    # The quorum opening published the bid statistics; no bid detail is public before the
    # award is announced.
    before = feed(opened.api)["releases"]
    assert [r["tag"][0] for r in before] == ["planning", "tender"]
    assert {s["measure"]: s["value"] for s in before[-1]["bids"]["statistics"]} == {
        "bids": 3,
        "bidders": 3,
    }
    assert "details" not in before[-1]["bids"] and "awards" not in before[-1]

    _adopt(opened, "award", _nib(opened, "C"))
    _object_and_appeal(opened, org)
    _contract(opened, org)

    package = feed(opened.api, limit=2)
    releases = package["releases"]
    ocid = _ocid(opened)
    assert [r["id"] for r in releases] == [
        f"{ocid}-planning-1",
        f"{ocid}-tender-1",
        f"{ocid}-award-1",
        f"{ocid}-awardUpdate-1",  # the objection answered
        f"{ocid}-awardUpdate-2",  # the appeal answered
        f"{ocid}-contract-1",
    ]
    report = validated(package)
    assert report.errors == [] and report.count == 6
    answered = releases[3]["awards"][0]["documents"]
    assert [d["documentType"] for d in answered].count("complaints") >= 1

    award_release, contract_release = releases[2], releases[5]
    (award,) = award_release["awards"]
    winner = f"nib-{_nib(opened, 'C')}"
    assert award["status"] == "active"
    assert award["suppliers"] == [{"id": winner, "name": opened.companies["C"][0].name}]
    # The contract price: the bid's own price, never the HEA.
    assert award["value"] == {"amount": WINNER_PRICE, "currency": "IDR"}
    assert award["date"].endswith("+09:00")
    assert award_release["tender"]["status"] == "complete"
    # Every evaluated bid, public now; award suppliers are among the tenderers.
    details = {d["tenderers"][0]["id"]: d for d in award_release["bids"]["details"]}
    assert set(details) == {f"nib-{_nib(opened, n)}" for n in ("A", "B", "C")}
    assert {d["status"] for d in details.values()} == {"valid"}
    assert details[f"nib-{_nib(opened, 'B')}"]["value"]["amount"] == 2456320000  # corrected
    tenderers = {t["id"] for t in award_release["tender"]["tenderers"]}
    assert winner in tenderers and set(details) == tenderers
    roles = {p["id"]: p["roles"] for p in award_release["parties"]}
    assert roles[winner] == ["tenderer", "supplier"]
    assert all(roles[t] for t in tenderers)
    reserves = award["description"].split("Pemenang cadangan ")[1:]
    assert [r[:2] for r in reserves] == ["1:", "2:"]
    assert opened.companies["A"][0].name in reserves[0]
    assert opened.companies["B"][0].name in reserves[1]
    evaluation = next(d for d in award["documents"] if d["documentType"] == "evaluationReports")
    assert "peringkat 1" in evaluation["description"]

    # The contract: linked to the award, the value the PPK recorded (= the winning price),
    # the organizations only; objections and the appeal to the PA/KPA on the award.
    (contract,) = contract_release["contracts"]
    assert contract["awardID"] == award["id"]
    assert contract["value"] == {"amount": WINNER_PRICE, "currency": "IDR"}
    assert contract["dateSigned"] == "2024-07-25T00:00:00+09:00"
    assert contract["period"] == {
        "startDate": "2024-07-26T00:00:00+09:00",
        "endDate": "2024-12-20T23:59:59+09:00",
    }
    assert "600/001/KONTRAK/2024" in contract["title"]
    complaints = [
        d for d in contract_release["awards"][0]["documents"] if d["documentType"] == "complaints"
    ]
    assert [c["title"].split(" ")[0] for c in complaints] == ["Sanggah", "Sanggah"]
    assert "banding" in complaints[1]["title"] and "ditolak" in complaints[1]["description"]
    review = [p for p in contract_release["parties"] if "reviewBody" in p["roles"]]
    assert len(review) == 1 and review[0]["name"].startswith("PA/KPA ")

    # Personal data: no signatory, no phone number typed into the objection, no user.
    text = json.dumps(package, ensure_ascii=False)
    assert findings(package) == []
    assert PPK_SIGNATORY not in text and VENDOR_SIGNATORY not in text
    assert "0812-3456-7890" not in text and "[disamarkan]" in complaints[0]["description"]
    for user in org.users.values():
        assert user.username not in text
    for company, _ in opened.companies.values():
        assert company.npwp not in text and company.email not in text

    # The record compiles with ocdsmerge and validates.
    response = opened.api.call("GET", f"/ocds/records/{ocid}")
    assert response.status_code == 200, response.content
    record_package = response.json()
    assert validated(record_package).errors == []
    compiled = record_package["records"][0]["compiledRelease"]
    assert compiled["awards"][0]["suppliers"][0]["id"] == winner
    assert compiled["contracts"][0]["awardID"] == compiled["awards"][0]["id"]
    assert len(compiled["bids"]["details"]) == 3
    assert compiled["tender"]["status"] == "complete"


def test_a_contract_below_the_bid_price_and_a_disqualified_bid(opened, org):
    """A bid that failed a check is published as disqualified, with its reason in the
    evaluation report; the contract value is what the PPK signed (not above the bid)."""
    _bill(opened)
    _pass_all(opened, names=("A", "C"))
    failed = _call(
        opened,
        "POST",
        "/evaluation/checks",
        json={
            "company_nib": _nib(opened, "B"),
            "stage": "administrative",
            "items": [{"item": "Jaminan penawaran", "passed": False, "reason": "Tidak ada."}],
        },
    )
    assert failed.status_code == 201, failed.content
    clarified = _call(
        opened,
        "POST",
        "/evaluation/clarifications",
        json={"company_nib": _nib(opened, "C"), "reasonable": True, "note": "Wajar."},
    )
    assert clarified.status_code == 201, clarified.content
    _adopt(opened, "evaluation")
    qualified = _call(
        opened,
        "POST",
        "/evaluation/checks",
        json={
            "company_nib": _nib(opened, "C"),
            "stage": "qualification",
            "items": [{"item": "Pembuktian SBU", "passed": True}],
        },
    )
    assert qualified.status_code == 201, qualified.content
    _adopt(opened, "award", _nib(opened, "C"))
    _contract(opened, org, value=WINNER_PRICE - 62000)

    package = feed(opened.api)
    assert [r["tag"][0] for r in package["releases"]] == ["planning", "tender", "award", "contract"]
    assert validated(package).errors == []
    last = package["releases"][-1]
    statuses = {d["tenderers"][0]["id"]: d["status"] for d in last["bids"]["details"]}
    assert statuses[f"nib-{_nib(opened, 'B')}"] == "disqualified"
    assert statuses[f"nib-{_nib(opened, 'C')}"] == "valid"
    report = next(
        d for d in last["awards"][0]["documents"] if d["documentType"] == "evaluationReports"
    )
    assert "gugur" in report["description"] and "Jaminan penawaran" in report["description"]
    assert last["awards"][0]["value"]["amount"] == WINNER_PRICE
    assert last["contracts"][0]["value"]["amount"] == WINNER_PRICE - 62000
    assert "reviewBody" not in {r for p in last["parties"] for r in p["roles"]}


def test_a_failed_tender_is_published_unsuccessful_with_its_reason(opened):
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

    package = feed(opened.api)
    assert [r["tag"][0] for r in package["releases"]] == ["planning", "tender", "tenderUpdate"]
    assert validated(package).errors == []
    tender = package["releases"][-1]["tender"]
    assert tender["status"] == "unsuccessful"
    reason = next(d for d in tender["documents"] if d["id"] == "tender-gagal")
    assert reason["title"].startswith("Tender gagal: Seluruh penawaran di atas HPS")
    assert "Ps 51" in reason["title"]
    assert reason["description"] == "Seluruh penawaran di atas HPS."
    assert "awards" not in package["releases"][-1]


def test_above_the_threshold_the_award_is_published_when_the_pa_kpa_approves(api, org, tmp_path):
    opened = open_three_bids(api, org, tmp_path, scale=100)
    _evaluated_and_qualified(opened)
    _adopt(opened, "award", _nib(opened, "C"))
    # Awaiting the PA/KPA: nothing about the award is public yet.
    assert [r["tag"][0] for r in feed(api)["releases"]] == ["planning", "tender"]
    kpa = api.token_for(org.users[Role.BUDGET_USER])
    decided = _call(opened, "POST", "/award/pa-decision", user=kpa, json={"approve": True})
    assert decided.status_code == 200, decided.content
    package = feed(api)
    assert [r["tag"][0] for r in package["releases"]] == ["planning", "tender", "award"]
    assert package["releases"][-1]["awards"][0]["value"]["amount"] == WINNER_PRICE * 100
    assert validated(package).errors == []
