"""The bid guarantee in the evaluation: for a works tender above Rp10 miliar a bid whose
guarantee is missing, below 1% of the HPS or ends before the bid fails (RULES.md "Bid
guarantee", "Bid validity"); a version 1 package's unknown amount and validity are shown for the
Pokja to read on the guarantee, not held against the bid. A vendor who extends its bid's
validity must extend the guarantee with it, and the evaluation then measures the guarantee's
new end against the bid's new one."""

from __future__ import annotations

import datetime as dt

import pytest

from tangguh.accounts.selectors import users_with_role
from tangguh.audit.models import AuditEvent
from tangguh.awards.models import ValidityExtension
from tangguh.awards.selectors import evaluation_compute, evaluation_snapshot
from tangguh.domain.roles import Role
from tangguh.tenders.models import Tender
from tests.domain.test_bid_package import VALID, VALID_V1
from tests.test_opening_guarantee import BID_VALID_UNTIL, HPS, _guarantee, _open
from tests.test_web_workflow import _client

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:EdDSA is deprecated"),
]

GUARANTEE_REASON = "jaminan penawaran / bid guarantee"


@pytest.fixture(autouse=True)
def _own_blob_store(settings, tmp_path):
    settings.TANGGUH_DATA_DIR = tmp_path / "data"


def _fresh(tender):
    """The tender as a request would load it (``_open`` changed its package's HPS after the
    tender object was made)."""
    return Tender.objects.get(pk=tender.pk)


def _by_name(evaluation, rows):
    names = {row.envelope.company_id: name for name, row in rows.items()}
    return {names[view.company.pk]: view for view in evaluation.bids}


def test_a_missing_short_or_too_small_guarantee_fails_the_bid(api, org, tmp_path):
    tender, _, members, rows = _open(
        api,
        org,
        tmp_path,
        owner_estimate=HPS,
        category="works",
        documents={
            "sound": {**VALID, "bid_guarantee": _guarantee()},
            "small": {**VALID, "bid_guarantee": _guarantee(amount="119999999")},
            "short": {**VALID, "bid_guarantee": _guarantee(valid_until="2024-08-29")},
            "none": {**VALID, "bid_guarantee": None},
            "legacy": {**VALID_V1, "bid_guarantee": "JP-2023/0099 Bank Papua"},
        },
    )
    evaluation = evaluation_compute(_fresh(tender))
    views = _by_name(evaluation, rows)
    failing = {
        name: [r for r in view.failed_reasons if r.startswith(GUARANTEE_REASON)]
        for name, view in views.items()
    }
    assert failing["sound"] == [] and failing["legacy"] == []
    assert len(failing["small"]) == 1 and "di bawah 1% HPS" in failing["small"][0]
    assert len(failing["short"]) == 1 and BID_VALID_UNTIL in failing["short"][0]
    assert len(failing["none"]) == 1 and "tidak dicantumkan" in failing["none"][0]
    # the unknowns of a version 1 package are shown, not held against it
    assert [p.code for p in views["legacy"].guarantee_problems] == [
        "bid_guarantee.amount_unknown",
        "bid_guarantee.validity_unknown",
    ]
    # the ranking sees the failures: only the sound and the legacy bid can rank
    excluded = {b["company_nib"] for b in evaluation_snapshot(evaluation)["bids"] if b["excluded"]}
    names = {views[n].company.nib: n for n in views}
    assert {names[nib] for nib in excluded} == {"small", "short", "none"}
    snapshot = {names[b["company_nib"]]: b for b in evaluation_snapshot(evaluation)["bids"]}
    assert snapshot["sound"]["guarantee_required"] is True
    assert snapshot["sound"]["bid_guarantee"]["valid_until"] == BID_VALID_UNTIL
    assert [p["code"] for p in snapshot["none"]["guarantee_problems"]] == ["bid_guarantee.missing"]
    # the Pokja's evaluation page shows each guarantee and its problems
    page = _client(members[0]).get(f"/pokja/tender/{tender.code}/evaluasi/").text
    assert page.count('class="guarantee"') == 5
    assert "Rp120.000.000" in page and "PT Bank Pembangunan Daerah Papua" in page
    for code in ("missing", "amount_below_minimum", "validity_short", "amount_unknown"):
        assert f"<code>bid_guarantee.{code}</code>" in page


def test_goods_bids_are_not_failed_for_their_guarantee(api, org, tmp_path):
    tender, _, _, _ = _open(
        api,
        org,
        tmp_path,
        owner_estimate="50000000000.00",
        category="goods",
        documents={"none": {**VALID, "bid_guarantee": None}},
    )
    (view,) = evaluation_compute(_fresh(tender)).bids
    assert not view.guarantee_required and view.guarantee_problems == []
    assert not [r for r in view.failed_reasons if r.startswith(GUARANTEE_REASON)]


def test_extending_the_bid_extends_the_guarantee_or_is_refused(api, org, tmp_path):
    tender, _, _, rows = _open(
        api,
        org,
        tmp_path,
        owner_estimate=HPS,
        category="works",
        documents={"sound": {**VALID, "bid_guarantee": _guarantee()}},
    )
    company = rows["sound"].envelope.company
    (vendor,) = users_with_role(Role.VENDOR, f"company:{company.pk}")
    token = api.token_for(vendor)
    path = f"/tenders/{tender.code}/bid-validity"
    later = "2024-10-31"

    # without the guarantee's new end, or with one before the bid's: refused, nothing stored
    for body in (
        {"valid_until": later},
        {"valid_until": later, "guarantee_valid_until": "2024-10-30"},
    ):
        refused = api.call("POST", path, token=token, json=body)
        assert refused.status_code == 422, refused.content
        assert refused.json()["code"] == "validity.guarantee_short"
        assert refused.json()["field"] == "guarantee_valid_until"
    assert not ValidityExtension.objects.exists()
    assert not AuditEvent.objects.filter(action="evaluation.validity_extended").exists()

    accepted = api.call(
        "POST", path, token=token, json={"valid_until": later, "guarantee_valid_until": later}
    )
    assert accepted.status_code == 201, accepted.content
    (extension,) = ValidityExtension.objects.all()
    assert extension.guarantee_valid_until == dt.date(2024, 10, 31)
    event = AuditEvent.objects.get(action="evaluation.validity_extended")
    assert event.payload["guarantee_valid_until"] == later
    (view,) = evaluation_compute(_fresh(tender)).bids
    assert view.valid_until == dt.date(2024, 10, 31)
    assert view.guarantee.valid_until == dt.date(2024, 10, 31)
    assert view.guarantee_problems == []
    assert not [r for r in view.failed_reasons if r.startswith(GUARANTEE_REASON)]
    # the vendor's results page shows the guarantee's new end next to the bid's
    page = _client(vendor).get("/penyedia/hasil/").text
    assert "jaminan penawaran sampai 31-10-2024" in page
