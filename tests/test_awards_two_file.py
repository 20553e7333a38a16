"""A two-file tender's evaluation takes the technical result from ``tangguh.evaluation``: a bid
that failed it was never decrypted and is excluded with the Pokja's technical reason; the
workspace refuses technical checks of its own there."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.test_opening import _past_deadline, _refused, _token
from tests.test_opening_two_file import (  # noqa: F401 (the fixtures)
    _own_blob_store,
    _record,
    _release,
    _verdicts,
    two,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:EdDSA is deprecated"),
]


def test_the_technical_result_decides_and_only_passed_prices_rank(api, two):  # noqa: F811
    first, second, _ = two.members
    statement = _past_deadline(api, two)
    for member in (first, second):
        assert _release(api, two, member, "technical", statement).status_code == 201
    pokja = _token(api, two, first)
    verdicts = _verdicts(two, A=True, B="Metode pelaksanaan tidak memenuhi", C="Tidak sah")
    assert _record(api, two, pokja, verdicts).status_code == 201
    for member in (first, second):
        assert _release(api, two, member, "price", statement).status_code == 201

    evaluation = api.call("GET", f"/tenders/{two.tender.code}/evaluation", token=pokja)
    assert evaluation.status_code == 200, evaluation.content
    body = evaluation.json()
    rows = {b["company_nib"]: b for b in body["bids"]}
    assert rows[two.nib["A"]]["rank"] == 1
    assert Decimal(rows[two.nib["A"]]["corrected_total"]) == Decimal("2389450000")
    assert "Metode pelaksanaan tidak memenuhi" in rows[two.nib["B"]]["excluded"]["reason"]
    assert rows[two.nib["B"]]["corrected_total"] is None  # its price was never decrypted
    assert rows[two.nib["C"]]["excluded"]["code"] == "failed_checks"
    assert body["winner"] == two.nib["A"] and body["reserves"] == []

    check = {
        "company_nib": two.nib["A"],
        "stage": "technical",
        "items": [{"item": "Metode", "passed": True}],
    }
    response = api.call(
        "POST", f"/tenders/{two.tender.code}/evaluation/checks", json=check, token=pokja
    )
    _refused(response, 409, "evaluation.technical_in_two_file")
