"""penawaran.json: a valid offer parses to exact amounts; every problem is reported at once,
each with its code and field; money is never a float."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tangguh.domain.bid_package import BidPackageInvalid, parse_penawaran

VALID = {
    "schema": "tangguh.penawaran",
    "version": 1,
    "tender": "202400017",
    "lot": 1,
    "envelope": "offer",
    "company_nib": "9120001234561",
    "total_price": "2389450000",
    "boq": [
        {
            "item": "Lapis pondasi agregat kelas A",
            "unit": "m3",
            "volume": "1250.5",
            "unit_price": "612500",
            "total": "765931250",
        },
        {
            "item": "Laston lapis aus (AC-WC)",
            "unit": "ton",
            "volume": "1840",
            "unit_price": "882400",
            "total": "1623616000",
        },
    ],
    "tkdn_percent": "43.5",
    "validity_days": 60,
    "bid_guarantee": None,
    "declarations": {"pakta_integritas": True},
}


def _codes(document) -> dict[str, str]:
    with pytest.raises(BidPackageInvalid) as caught:
        parse_penawaran(document)
    return {p.field: p.code for p in caught.value.problems}


def test_a_valid_offer_parses_with_exact_amounts():
    package = parse_penawaran(json.dumps(VALID))
    assert package.total_price == Decimal("2389450000")
    assert package.boq[0].volume == Decimal("1250.5")
    assert package.tkdn_percent == Decimal("43.5")
    assert parse_penawaran(package.to_json()) == package


def test_every_problem_is_reported_at_once_with_its_field():
    broken = {
        **VALID,
        "tender": "17",
        "total_price": 2389450000.5,
        "validity_days": 0,
        "declarations": {},
        "tkdn_percent": "140",
    }
    broken["boq"] = [{"item": "", "volume": "1"}, {**VALID["boq"][0], "unit_price": "-5"}]
    codes = _codes(broken)
    assert codes == {
        "tender": "penawaran.tender",
        "total_price": "penawaran.amount_type",
        "validity_days": "penawaran.validity_days",
        "declarations.pakta_integritas": "penawaran.declaration",
        "tkdn_percent": "penawaran.tkdn_range",
        "boq.0.item": "penawaran.boq_item",
        "boq.1.unit_price": "penawaran.amount_range",
    }


def test_a_technical_envelope_carries_no_price():
    codes = _codes({**VALID, "envelope": "technical"})
    assert codes["total_price"] == "penawaran.price_in_technical"
    assert codes["boq"] == "penawaran.boq_in_technical"
    package = parse_penawaran({**VALID, "envelope": "technical", "total_price": None, "boq": []})
    assert package.total_price is None


@pytest.mark.parametrize("text", ["", "[]", "{", '{"schema": "x"}'])
def test_not_a_penawaran_is_refused(text):
    with pytest.raises(BidPackageInvalid):
        parse_penawaran(text)


@given(st.integers(min_value=1, max_value=10**15))
def test_any_whole_rupiah_amount_round_trips_exactly(amount):
    package = parse_penawaran({**VALID, "total_price": str(amount)})
    assert package.total_price == amount
    assert parse_penawaran(json.dumps(package.to_json())).total_price == amount


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-inf"])
def test_nan_and_infinity_are_refused_not_crashed_on(value):
    """A NaN TKDN once raised InvalidOperation at ``tkdn > 100``, which would have stopped a
    whole opening on one vendor's package."""
    codes = _codes({**VALID, "tkdn_percent": value, "total_price": value})
    assert codes == {
        "tkdn_percent": "penawaran.amount_invalid",
        "total_price": "penawaran.amount_invalid",
    }
