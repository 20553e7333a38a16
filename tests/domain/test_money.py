"""Rupiah helpers: Decimal only, whole rupiah, Indonesian formatting."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tangguh.domain.money import format_rupiah, parse_rupiah, percent_of, round_rupiah


def test_rupiah_is_rounded_half_up_and_grouped_with_dots():
    assert format_rupiah(Decimal("1234567.5")) == "Rp1.234.568"
    assert format_rupiah(Decimal("999.49")) == "Rp999"
    assert format_rupiah(Decimal("-500")) == "-Rp500"
    assert format_rupiah(0) == "Rp0"


def test_float_money_is_refused():
    with pytest.raises(TypeError):
        round_rupiah(1.5)


def test_performance_guarantee_five_percent_of_contract():
    assert percent_of(Decimal("1234567891"), 5) == Decimal("61728395")


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=-(10**15), max_value=10**15, places=2, allow_nan=False))
def test_formatted_amount_parses_back_to_the_rounded_amount(amount):
    assert parse_rupiah(format_rupiah(amount)) == round_rupiah(amount)
