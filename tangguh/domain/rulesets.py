"""Versioned rule sets: one per legal regime, each value tagged with day type, confidence, source.

A tender keeps the rule set in force when it was announced (RULES.md). The regimes are Perpres
16/2018 as amended by Perpres 12/2021 (in force 2 February 2021), and as further amended by
Perpres 46/2025 (in force 30 April 2025). Confidence: V read in the regulation or standard
document, S secondary source quoting it, D our node-configurable default.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal

from tangguh.domain.rule_values import (
    Confidence,
    DayType,
    RuleValue,
    days_rule,
    percent_rule,
    rupiah_rule,
)


class UnknownRule(KeyError):
    """A rule key that the rule set does not define."""

    code = "ruleset.unknown_rule"


class NotConfigurable(ValueError):
    """An attempt to override a legal value (confidence V or S) at node level."""

    code = "ruleset.not_configurable"


class NoRuleSetInForce(LookupError):
    """No encoded regime covers the moment (before Perpres 12/2021)."""

    code = "ruleset.none_in_force"


@dataclass(frozen=True)
class RuleSet:
    """A legal regime's parameters, from the day it came into force."""

    code: str
    title: str
    in_force_from: dt.date
    in_force_source: str
    values: tuple[RuleValue, ...]

    def rule(self, key: str) -> RuleValue:
        """The tagged value for ``key``."""
        for item in self.values:
            if item.key == key:
                return item
        raise UnknownRule(key)

    def days(self, key: str) -> int:
        """A duration in days (calendar or working, as the rule says)."""
        value = self.rule(key).value
        if not isinstance(value, int):
            raise TypeError(f"{key} is not a number of days")
        return value

    def amount(self, key: str) -> Decimal:
        """A money amount (rupiah) or percentage as ``Decimal``."""
        return Decimal(self.rule(key).value)

    def with_node_defaults(self, overrides: dict[str, int | Decimal]) -> RuleSet:
        """A copy where node-configurable defaults (D) take the node's values.

        Legal values (V, S) cannot be overridden.
        """
        by_key = {item.key: item for item in self.values}
        for key in overrides:
            if key not in by_key:
                raise UnknownRule(key)
            if not by_key[key].node_configurable:
                raise NotConfigurable(key)
        values = tuple(
            replace(item, value=overrides[item.key]) if item.key in overrides else item
            for item in self.values
        )
        return replace(self, values=values)


_C, _CW, _W = DayType.CALENDAR, DayType.CALENDAR_END_ON_WORKING_DAY, DayType.WORKING
_V, _S, _D = Confidence.V, Confidence.S, Confidence.D

_TIME_VALUES: tuple[RuleValue, ...] = (
    days_rule(
        "announcement_min_days",
        7,
        _C,
        _D,
        "Perlem 12/2021 minimums not retrieved; our default",
        "Announcement and document download at least this long before the bid deadline",
    ),
    days_rule(
        "bid_after_addendum_min_working_days",
        3,
        _W,
        _D,
        "our default",
        "Working days between the clarification (and its last addendum) and the bid deadline",
    ),
    days_rule(
        "bid_window_with_guarantee_min_working_days",
        2,
        _W,
        _S,
        "pre-2018 practice (S)",
        "Bid window when a bid guarantee is required",
    ),
    days_rule(
        "fast_tender_bid_window_min_days",
        3,
        _C,
        _D,
        "our default",
        "Tender Cepat: announcement to price-bid deadline",
    ),
    days_rule(
        "qualification_objection_days",
        5,
        _CW,
        _S,
        "SDP seleksi (secondary)",
        "Objection window after the shortlist announcement (prequalification)",
    ),
    days_rule(
        "objection_window_days",
        5,
        _CW,
        _V,
        'SDP "cara sanggah"',
        "Objection window (masa sanggah) after the winner announcement",
    ),
    days_rule(
        "objection_answer_max_days",
        3,
        _CW,
        _V,
        "SDP",
        "Answer to objections at most this long after the objection window closes",
    ),
    days_rule(
        "appeal_window_days",
        5,
        _C,
        _S,
        "Perpres 16/2018 Ps 50(2); secondary",
        "Appeal (sanggah banding, construction only) filed within this after the answer",
    ),
    days_rule(
        "appeal_answer_max_days",
        14,
        _C,
        _S,
        "secondary",
        "PA/KPA answers an appeal at most this long after the guarantee is confirmed",
    ),
    days_rule(
        "sppbj_max_working_days",
        6,
        _W,
        _D,
        "old regime value (D)",
        "SPPBJ at most this long after the objection/appeal period",
    ),
    days_rule(
        "contract_max_working_days",
        14,
        _W,
        _D,
        "old regime value (D)",
        "Contract signed at most this long after the SPPBJ",
    ),
    days_rule(
        "hps_fixed_max_working_days",
        28,
        _W,
        _V,
        "Perpres 16/2018 Ps 26(5)",
        "HPS fixed at most this long before the bid deadline",
    ),
)

_MONEY_VALUES_2021: tuple[RuleValue, ...] = (
    rupiah_rule(
        "direct_procurement_limit_goods",
        200_000_000,
        _S,
        "Perpres 16/2018 Ps 38(3)",
        "Pengadaan Langsung limit, goods and other services",
    ),
    rupiah_rule(
        "direct_procurement_limit_works",
        200_000_000,
        _S,
        "Perpres 16/2018 Ps 38(3)",
        "Pengadaan Langsung limit, construction works",
    ),
    rupiah_rule(
        "direct_procurement_limit_consultancy",
        100_000_000,
        _S,
        "Perpres 16/2018 Ps 41(3)",
        "Pengadaan Langsung limit, consultancy",
    ),
    rupiah_rule(
        "performance_guarantee_contract_threshold",
        200_000_000,
        _V,
        "Perpres 16/2018 Ps 33",
        "Performance guarantee required above this contract value",
    ),
    percent_rule(
        "performance_guarantee_percent",
        5,
        _V,
        "Perpres 16/2018 Ps 33",
        "Performance guarantee, of contract value (of HPS when the bid is below 80%)",
    ),
    percent_rule(
        "low_bid_threshold_percent",
        80,
        _V,
        "Perpres 16/2018 Ps 33",
        "Below this share of HPS: price clarification compulsory",
    ),
    rupiah_rule(
        "bid_guarantee_hps_threshold",
        10_000_000_000,
        _V,
        "Perpres 16/2018 (RULES.md)",
        "Bid guarantee only above this HPS (construction, integrated works)",
    ),
    percent_rule(
        "appeal_guarantee_percent", 1, _V, "Perpres 16/2018 Ps 32", "Appeal guarantee, of HPS"
    ),
    rupiah_rule(
        "price_preference_hps_threshold",
        1_000_000_000,
        _V,
        "Perpres 16/2018 Ps 67 as amended by 12/2021",
        "Domestic-content price preference applies above this HPS (goods)",
    ),
    percent_rule(
        "price_preference_min_tkdn_percent",
        25,
        _V,
        "Perpres 16/2018 Ps 67 as amended by 12/2021",
        "Minimum TKDN for the price preference",
    ),
    percent_rule(
        "price_preference_max_percent",
        25,
        _V,
        "Perpres 16/2018 Ps 67 as amended by 12/2021",
        "Highest price preference",
    ),
    rupiah_rule(
        "small_business_reservation_limit",
        15_000_000_000,
        _S,
        "Perpres 12/2021 Ps 65(4)",
        "Packages up to this value reserved for small businesses",
    ),
    rupiah_rule(
        "award_by_pa_limit",
        100_000_000_000,
        _S,
        "secondary",
        "Above this (goods, works, other services) PA/KPA decides the award",
    ),
    rupiah_rule(
        "award_by_pa_limit_consultancy",
        10_000_000_000,
        _S,
        "secondary",
        "Above this (consultancy) PA/KPA decides the award",
    ),
    percent_rule(
        "technical_passing_score", 70, _D, "our default", "Technical passing score for consultancy"
    ),
    RuleValue(
        "reserve_winners_max",
        2,
        "count",
        DayType.NONE,
        _S,
        "secondary",
        "Reserve winners (cadangan 1 and 2)",
    ),
)

_CHANGES_2025: tuple[RuleValue, ...] = (
    rupiah_rule(
        "direct_procurement_limit_works",
        400_000_000,
        _S,
        "Perpres 46/2025 Ps 1 angka 40a",
        "Pengadaan Langsung limit, construction works",
    ),
    rupiah_rule(
        "hps_optional_budget_limit",
        10_000_000,
        _S,
        "Perpres 46/2025 Ps 26(7)",
        "HPS optional for budgets up to this",
    ),
    rupiah_rule(
        "hps_optional_epurchasing_limit",
        100_000_000,
        _S,
        "Perpres 46/2025 Ps 26(7)",
        "HPS optional for e-purchasing up to this",
    ),
)


def _amend(base: tuple[RuleValue, ...], changes: tuple[RuleValue, ...]) -> tuple[RuleValue, ...]:
    changed = {item.key: item for item in changes}
    kept = tuple(changed.pop(item.key, item) for item in base)
    return kept + tuple(changed.values())


PERPRES_16_2018_AS_AMENDED_12_2021 = RuleSet(
    code="perpres-16-2018-12-2021",
    title="Perpres 16/2018 as amended by Perpres 12/2021",
    in_force_from=dt.date(2021, 2, 2),
    in_force_source="Perpres 12/2021, in force on promulgation (2 February 2021)",
    values=_TIME_VALUES + _MONEY_VALUES_2021,
)

PERPRES_16_2018_AS_AMENDED_46_2025 = RuleSet(
    code="perpres-16-2018-46-2025",
    title="Perpres 16/2018 as amended by Perpres 12/2021 and Perpres 46/2025",
    in_force_from=dt.date(2025, 4, 30),
    in_force_source="Perpres 46/2025 (in force 30 April 2025)",
    values=_amend(_TIME_VALUES + _MONEY_VALUES_2021, _CHANGES_2025),
)

RULESETS: tuple[RuleSet, ...] = (
    PERPRES_16_2018_AS_AMENDED_12_2021,
    PERPRES_16_2018_AS_AMENDED_46_2025,
)
"""Every encoded regime, oldest first."""


def ruleset_in_force(at: dt.datetime) -> RuleSet:
    """The rule set in force at ``at`` (its date in its own zone; pass the node's local time).

    A tender pins the rule set in force at its announcement (RULES.md).
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("domain time must be zone-aware")
    day = at.date()
    in_force = [item for item in RULESETS if item.in_force_from <= day]
    if not in_force:
        raise NoRuleSetInForce(f"no encoded rule set before {RULESETS[0].in_force_from}")
    return in_force[-1]


def ruleset_by_code(code: str) -> RuleSet:
    """The rule set a tender pinned, by its stable code."""
    for item in RULESETS:
        if item.code == code:
            return item
    raise LookupError(code)
