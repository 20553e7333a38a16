"""penawaran.json: a valid offer parses to exact amounts; every problem is reported at once,
each with its code and field; money is never a float. Version 2 states the bid guarantee as an
object; a version 1 package (sealed before the upgrade) is still read, not sealed."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tangguh.domain.bid_package import BidGuarantee, BidPackageInvalid, parse_penawaran

VALID = {
    "schema": "tangguh.penawaran",
    "version": 2,
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


GUARANTEE = {
    "reference": "JP-2024/0017",
    "issuer": "PT Bank Pembangunan Daerah Papua",
    "amount": "250000000",
    "valid_until": "2024-09-30",
}
# What a bid sealed before version 2 holds: the guarantee as a free-text reference.
VALID_V1 = {**VALID, "version": 1, "bid_guarantee": "JP-2023/0099 Bank Papua"}


def _codes(document, *, sealing=False) -> dict[str, str]:
    with pytest.raises(BidPackageInvalid) as caught:
        parse_penawaran(document, sealing=sealing)
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


def test_a_structured_bid_guarantee_parses_and_round_trips():
    package = parse_penawaran({**VALID, "bid_guarantee": {**GUARANTEE, "issuer": " Bank "}})
    assert package.bid_guarantee == BidGuarantee(
        reference="JP-2024/0017",
        issuer="Bank",
        amount=Decimal(250_000_000),
        valid_until=dt.date(2024, 9, 30),
    )
    assert package.version == 2
    assert parse_penawaran(json.dumps(package.to_json()), sealing=True) == package


def test_each_missing_or_malformed_guarantee_field_is_named():
    codes = _codes(
        {
            **VALID,
            "bid_guarantee": {"reference": " ", "amount": "1.5", "valid_until": "2024-02-30"},
        }
    )
    assert codes == {
        "bid_guarantee.reference": "penawaran.bid_guarantee_reference",
        "bid_guarantee.issuer": "penawaran.bid_guarantee_issuer",
        "bid_guarantee.amount": "penawaran.amount_whole",
        "bid_guarantee.valid_until": "penawaran.bid_guarantee_valid_until",
    }
    for bad_date in ("20240930", "2024-W39-1", "2024-9-30", "0000-01-01", 20240930, None):
        guarantee = {**GUARANTEE, "valid_until": bad_date}
        assert _codes({**VALID, "bid_guarantee": guarantee}) == {
            "bid_guarantee.valid_until": "penawaran.bid_guarantee_valid_until"
        }
    assert _codes({**VALID, "bid_guarantee": {**GUARANTEE, "amount": None}}) == {
        "bid_guarantee.amount": "penawaran.amount_type"
    }
    assert _codes({**VALID, "bid_guarantee": {**GUARANTEE, "issuer": "x" * 201}}) == {
        "bid_guarantee.issuer": "penawaran.bid_guarantee_issuer"
    }
    # the version 1 free text is no longer a version 2 guarantee
    assert _codes({**VALID, "bid_guarantee": "JP-2024/0017"}) == {
        "bid_guarantee": "penawaran.bid_guarantee"
    }


def test_messages_name_the_problem_in_indonesian_and_english():
    with pytest.raises(BidPackageInvalid) as caught:
        parse_penawaran({**VALID, "bid_guarantee": {**GUARANTEE, "valid_until": "30-09-2024"}})
    (problem,) = caught.value.problems
    assert "tanggal berlaku jaminan" in problem.message_id
    assert "valid-until date" in problem.message_en
    assert "bid_guarantee.valid_until" in str(caught.value)


def test_a_version_1_package_is_read_with_its_reference_and_the_rest_unknown():
    package = parse_penawaran(json.dumps(VALID_V1))
    assert package.version == 1
    assert package.bid_guarantee == BidGuarantee(reference="JP-2023/0099 Bank Papua")
    assert package.bid_guarantee.amount is None and package.bid_guarantee.valid_until is None
    assert package.to_json() == VALID_V1  # written back in its own version
    assert parse_penawaran({**VALID_V1, "bid_guarantee": None}).bid_guarantee is None
    assert _codes({**VALID_V1, "bid_guarantee": "x" * 201}) == {
        "bid_guarantee": "penawaran.bid_guarantee"
    }


def test_sealing_takes_only_the_current_version():
    assert _codes({**VALID_V1, "bid_guarantee": None}, sealing=True) == {
        "schema": "penawaran.schema"
    }
    # read as version 2, the old free text is also named
    assert _codes(VALID_V1, sealing=True) == {
        "schema": "penawaran.schema",
        "bid_guarantee": "penawaran.bid_guarantee",
    }
    assert _codes({**VALID, "version": 3}) == {"schema": "penawaran.schema"}
    assert parse_penawaran(VALID, sealing=True).version == 2


@given(
    reference=st.text(min_size=1, max_size=200).filter(lambda t: t.strip() != ""),
    amount=st.integers(min_value=1, max_value=10**15),
    valid_until=st.dates(min_value=dt.date(1, 1, 1)),
)
def test_any_well_formed_guarantee_round_trips(reference, amount, valid_until):
    guarantee = {
        "reference": reference,
        "issuer": "Bank",
        "amount": str(amount),
        "valid_until": valid_until.isoformat(),
    }
    package = parse_penawaran(json.dumps({**VALID, "bid_guarantee": guarantee}), sealing=True)
    assert package.bid_guarantee.amount == amount
    assert package.bid_guarantee.valid_until == valid_until
    assert package.bid_guarantee.reference == reference.strip()
    assert parse_penawaran(package.to_json(), sealing=True) == package
