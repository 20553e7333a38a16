"""The bid guarantee (jaminan penawaran, RULES.md "Bid guarantee" and "Bid validity"): required
only for works above the rule set's HPS threshold, at least 1% of the HPS, valid at least as
long as the bid; worked examples and properties."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tangguh.domain.bid_package import BidGuarantee
from tangguh.domain.evaluation.guarantees import (
    bid_guarantee_minimum,
    bid_guarantee_problems,
    bid_guarantee_required,
)
from tangguh.domain.rulesets import RULESETS

TEN_BILLION = Decimal(10_000_000_000)
CATEGORIES = ("goods", "works", "consultancy", "other_services")
RULES = RULESETS[-1]


def _guarantee(amount="120000000", valid_until=dt.date(2024, 9, 30)) -> BidGuarantee:
    return BidGuarantee(
        reference="JP-2024/0017",
        issuer="PT Bank Pembangunan Daerah Papua",
        amount=None if amount is None else Decimal(amount),
        valid_until=valid_until,
    )


def _codes(**kwargs) -> list[str]:
    defaults = {
        "required": True,
        "guarantee": _guarantee(),
        "hps": Decimal(12_000_000_000),
        "bid_valid_until": dt.date(2024, 9, 30),
    }
    return [p.code for p in bid_guarantee_problems(**{**defaults, **kwargs})]


@pytest.mark.parametrize("ruleset", RULESETS, ids=lambda r: r.code)
def test_required_only_for_works_strictly_above_ten_billion(ruleset):
    assert ruleset.amount("bid_guarantee_hps_threshold") == TEN_BILLION
    assert bid_guarantee_required(hps=TEN_BILLION + 1, category="works", ruleset=ruleset)
    assert not bid_guarantee_required(hps=TEN_BILLION, category="works", ruleset=ruleset)
    for category in ("goods", "consultancy", "other_services"):
        assert not bid_guarantee_required(
            hps=Decimal(50_000_000_000), category=category, ruleset=ruleset
        )


def test_the_minimum_is_one_percent_of_the_hps_rounded_up_to_whole_rupiah():
    assert bid_guarantee_minimum(hps=Decimal(12_000_000_000)) == Decimal(120_000_000)
    assert bid_guarantee_minimum(hps=Decimal("10000000050")) == Decimal(100_000_001)
    assert bid_guarantee_minimum(hps=Decimal("10000000001.50")) == Decimal(100_000_001)


def test_worked_examples():
    # Jalan Wamena-Habema, HPS Rp12 miliar: Rp120 juta valid to the bid's last day is fine
    assert _codes() == []
    assert _codes(guarantee=None) == ["bid_guarantee.missing"]
    assert _codes(guarantee=_guarantee(amount="119999999")) == [
        "bid_guarantee.amount_below_minimum"
    ]
    assert _codes(guarantee=_guarantee(valid_until=dt.date(2024, 9, 29))) == [
        "bid_guarantee.validity_short"
    ]
    assert _codes(guarantee=_guarantee(amount="1000", valid_until=dt.date(2024, 7, 1))) == [
        "bid_guarantee.amount_below_minimum",
        "bid_guarantee.validity_short",
    ]
    # a version 1 package: only the reference is known
    assert _codes(guarantee=BidGuarantee(reference="JP-2023/0099")) == [
        "bid_guarantee.amount_unknown",
        "bid_guarantee.validity_unknown",
    ]
    # the bid's own validity unknown: the dates are not compared
    assert _codes(guarantee=_guarantee(valid_until=dt.date(2000, 1, 1)), bid_valid_until=None) == []
    # not required: nothing to say, whatever was stated
    assert _codes(required=False, guarantee=None) == []
    assert _codes(required=False, guarantee=_guarantee(amount="1")) == []


def test_each_problem_names_its_field_in_both_languages():
    problems = bid_guarantee_problems(
        required=True,
        guarantee=_guarantee(amount="1000", valid_until=dt.date(2024, 7, 1)),
        hps=Decimal(12_000_000_000),
        bid_valid_until=dt.date(2024, 9, 30),
    )
    assert [p.field for p in problems] == ["bid_guarantee.amount", "bid_guarantee.valid_until"]
    assert "120000000" in problems[0].message_id and "1% HPS" in problems[0].message_id
    assert "1% of the HPS" in problems[0].message_en
    assert "2024-09-30" in problems[1].message_id and "2024-09-30" in problems[1].message_en


money = st.integers(min_value=1, max_value=10**16).map(Decimal)
dates = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31))


@given(hps=money, category=st.sampled_from(CATEGORIES))
def test_required_exactly_for_works_above_the_threshold(hps, category):
    required = bid_guarantee_required(hps=hps, category=category, ruleset=RULES)
    assert required == (category == "works" and hps > TEN_BILLION)


@given(hps=money)
def test_the_minimum_is_the_smallest_whole_amount_at_least_one_percent(hps):
    minimum = bid_guarantee_minimum(hps=hps)
    assert minimum == minimum.to_integral_value()
    assert minimum * 100 >= hps > (minimum - 1) * 100


@given(hps=money, amount=money, valid_until=dates, bid_valid_until=dates)
def test_a_guarantee_is_flagged_exactly_when_too_small_or_too_short(
    hps, amount, valid_until, bid_valid_until
):
    codes = _codes(
        guarantee=_guarantee(amount=amount, valid_until=valid_until),
        hps=hps,
        bid_valid_until=bid_valid_until,
    )
    expected = []
    if amount * 100 < hps:  # below 1% of the HPS, exactly
        expected.append("bid_guarantee.amount_below_minimum")
    if valid_until < bid_valid_until:
        expected.append("bid_guarantee.validity_short")
    assert codes == expected


@given(hps=money, guarantee=st.none() | st.builds(_guarantee, amount=money, valid_until=dates))
def test_nothing_is_flagged_when_no_guarantee_is_required(hps, guarantee):
    assert _codes(required=False, guarantee=guarantee, hps=hps) == []
