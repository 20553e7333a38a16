"""Versioned rule sets: the regime in force and the tagging of every value."""

import datetime as dt
from decimal import Decimal

import pytest

from tangguh.domain.rulesets import (
    PERPRES_16_2018_AS_AMENDED_12_2021,
    PERPRES_16_2018_AS_AMENDED_46_2025,
    RULESETS,
    Confidence,
    NoRuleSetInForce,
    NotConfigurable,
    ruleset_by_code,
    ruleset_in_force,
)
from tests.domain.factories import wib, wit


def test_perpres_46_2025_applies_from_30_april_2025():
    assert ruleset_in_force(wib(2025, 4, 29, 23, 59)) is PERPRES_16_2018_AS_AMENDED_12_2021
    assert ruleset_in_force(wib(2025, 4, 30, 0, 0)) is PERPRES_16_2018_AS_AMENDED_46_2025


def test_in_force_date_is_read_in_the_zone_of_the_moment():
    # 00:30 WIT on 30 April is still 29 April in Jakarta; a Mimika tender takes the new regime.
    assert ruleset_in_force(wit(2025, 4, 30, 0, 30)) is PERPRES_16_2018_AS_AMENDED_46_2025


def test_no_rule_set_before_perpres_12_2021():
    with pytest.raises(NoRuleSetInForce):
        ruleset_in_force(wib(2020, 12, 31, 12, 0))


def test_direct_procurement_limit_for_works_doubles_under_46_2025():
    key = "direct_procurement_limit_works"
    assert PERPRES_16_2018_AS_AMENDED_12_2021.amount(key) == Decimal(200_000_000)
    assert PERPRES_16_2018_AS_AMENDED_46_2025.amount(key) == Decimal(400_000_000)


def test_every_value_is_tagged_and_keys_are_unique():
    for ruleset in RULESETS:
        keys = [item.key for item in ruleset.values]
        assert len(keys) == len(set(keys))
        for item in ruleset.values:
            assert item.source and item.description
            assert isinstance(item.confidence, Confidence)
            assert not isinstance(item.value, float)
        assert ruleset_by_code(ruleset.code) is ruleset


def test_node_may_change_defaults_but_not_legal_values():
    ruleset = PERPRES_16_2018_AS_AMENDED_12_2021
    changed = ruleset.with_node_defaults({"announcement_min_days": 10})
    assert changed.days("announcement_min_days") == 10
    assert ruleset.days("announcement_min_days") == 7
    with pytest.raises(NotConfigurable):
        ruleset.with_node_defaults({"objection_window_days": 3})


def test_naive_moment_is_refused():
    with pytest.raises(ValueError):
        ruleset_in_force(dt.datetime(2025, 5, 1))
