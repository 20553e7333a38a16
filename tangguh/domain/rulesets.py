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
from enum import StrEnum


class DayType(StrEnum):
    """How a duration is counted."""

    CALENDAR = "calendar"
    CALENDAR_END_ON_WORKING_DAY = "calendar, end on working day"
    WORKING = "working"
    NONE = "—"


class Confidence(StrEnum):
    """How sure we are of a value: V read in the text, S secondary source, D our default."""

    V = "V"
    S = "S"
    D = "D"


@dataclass(frozen=True)
class RuleValue:
    """One legal or default parameter of a rule set."""

    key: str
    value: int | Decimal
    unit: str
    day_type: DayType
    confidence: Confidence
    source: str
    description: str

    @property
    def node_configurable(self) -> bool:
        """Defaults (confidence D) may be changed by a node; legal values may not."""
        return self.confidence is Confidence.D


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


def _days(key, value, day_type, confidence, source, description) -> RuleValue:
    return RuleValue(key, value, "days", day_type, confidence, source, description)


def _rupiah(key, value, confidence, source, description) -> RuleValue:
    return RuleValue(key, Decimal(value), "rupiah", DayType.NONE, confidence, source, description)


def _percent(key, value, confidence, source, description) -> RuleValue:
    return RuleValue(key, Decimal(value), "percent", DayType.NONE, confidence, source, description)


_C, _CW, _W = DayType.CALENDAR, DayType.CALENDAR_END_ON_WORKING_DAY, DayType.WORKING
_V, _S, _D = Confidence.V, Confidence.S, Confidence.D

_TIME_VALUES: tuple[RuleValue, ...] = (
    _days("announcement_min_days", 7, _C, _D, "Perlem 12/2021 minimums not retrieved; our default",
          "Announcement and document download at least this long before the bid deadline"),
    _days("bid_after_addendum_min_working_days", 3, _W, _D, "our default",
          "Working days between the clarification (and its last addendum) and the bid deadline"),
    _days("bid_window_with_guarantee_min_working_days", 2, _W, _S, "pre-2018 practice (S)",
          "Bid window when a bid guarantee is required"),
    _days("fast_tender_bid_window_min_days", 3, _C, _D, "our default",
          "Tender Cepat: announcement to price-bid deadline"),
    _days("qualification_objection_days", 5, _CW, _S, "SDP seleksi (secondary)",
          "Objection window after the shortlist announcement (prequalification)"),
    _days("objection_window_days", 5, _CW, _V, "SDP \"cara sanggah\"",
          "Objection window (masa sanggah) after the winner announcement"),
    _days("objection_answer_max_days", 3, _CW, _V, "SDP",
          "Answer to objections at most this long after the objection window closes"),
    _days("appeal_window_days", 5, _C, _S, "Perpres 16/2018 Ps 50(2); secondary",
          "Appeal (sanggah banding, construction only) filed within this after the answer"),
    _days("appeal_answer_max_days", 14, _C, _S, "secondary",
          "PA/KPA answers an appeal at most this long after the guarantee is confirmed"),
    _days("sppbj_max_working_days", 6, _W, _D, "old regime value (D)",
          "SPPBJ at most this long after the objection/appeal period"),
    _days("contract_max_working_days", 14, _W, _D, "old regime value (D)",
          "Contract signed at most this long after the SPPBJ"),
    _days("hps_fixed_max_working_days", 28, _W, _V, "Perpres 16/2018 Ps 26(5)",
          "HPS fixed at most this long before the bid deadline"),
)

_MONEY_VALUES_2021: tuple[RuleValue, ...] = (
    _rupiah("direct_procurement_limit_goods", 200_000_000, _S, "Perpres 16/2018 Ps 38(3)",
            "Pengadaan Langsung limit, goods and other services"),
    _rupiah("direct_procurement_limit_works", 200_000_000, _S, "Perpres 16/2018 Ps 38(3)",
            "Pengadaan Langsung limit, construction works"),
    _rupiah("direct_procurement_limit_consultancy", 100_000_000, _S, "Perpres 16/2018 Ps 41(3)",
            "Pengadaan Langsung limit, consultancy"),
    _rupiah("performance_guarantee_contract_threshold", 200_000_000, _V, "Perpres 16/2018 Ps 33",
            "Performance guarantee required above this contract value"),
    _percent("performance_guarantee_percent", 5, _V, "Perpres 16/2018 Ps 33",
             "Performance guarantee, of contract value (of HPS when the bid is below 80%)"),
    _percent("low_bid_threshold_percent", 80, _V, "Perpres 16/2018 Ps 33",
             "Below this share of HPS: price clarification compulsory"),
    _rupiah("bid_guarantee_hps_threshold", 10_000_000_000, _V, "Perpres 16/2018 (RULES.md)",
            "Bid guarantee only above this HPS (construction, integrated works)"),
    _percent("appeal_guarantee_percent", 1, _V, "Perpres 16/2018 Ps 32",
             "Appeal guarantee, of HPS"),
    _rupiah("price_preference_hps_threshold", 1_000_000_000, _V,
            "Perpres 16/2018 Ps 67 as amended by 12/2021",
            "Domestic-content price preference applies above this HPS (goods)"),
    _percent("price_preference_min_tkdn_percent", 25, _V,
             "Perpres 16/2018 Ps 67 as amended by 12/2021",
             "Minimum TKDN for the price preference"),
    _percent("price_preference_max_percent", 25, _V,
             "Perpres 16/2018 Ps 67 as amended by 12/2021", "Highest price preference"),
    _rupiah("small_business_reservation_limit", 15_000_000_000, _S, "Perpres 12/2021 Ps 65(4)",
            "Packages up to this value reserved for small businesses"),
    _rupiah("award_by_pa_limit", 100_000_000_000, _S, "secondary",
            "Above this (goods, works, other services) PA/KPA decides the award"),
    _rupiah("award_by_pa_limit_consultancy", 10_000_000_000, _S, "secondary",
            "Above this (consultancy) PA/KPA decides the award"),
    _percent("technical_passing_score", 70, _D, "our default",
             "Technical passing score for consultancy"),
    RuleValue("reserve_winners_max", 2, "count", DayType.NONE, _S, "secondary",
              "Reserve winners (cadangan 1 and 2)"),
)

_CHANGES_2025: tuple[RuleValue, ...] = (
    _rupiah("direct_procurement_limit_works", 400_000_000, _S, "Perpres 46/2025 Ps 1 angka 40a",
            "Pengadaan Langsung limit, construction works"),
    _rupiah("hps_optional_budget_limit", 10_000_000, _S, "Perpres 46/2025 Ps 26(7)",
            "HPS optional for budgets up to this"),
    _rupiah("hps_optional_epurchasing_limit", 100_000_000, _S, "Perpres 46/2025 Ps 26(7)",
            "HPS optional for e-purchasing up to this"),
)


def _amend(base: tuple[RuleValue, ...], changes: tuple[RuleValue, ...]) -> tuple[RuleValue, ...]:
    changed = {item.key: item for item in changes}
    kept = tuple(changed.pop(item.key, item) for item in base)
    return kept + tuple(changed.values())


PERPRES_16_2018_AS_AMENDED_12_2021 = RuleSet(
    code="perpres-16-2018-12-2021",
    title="Perpres 16/2018 as amended by Perpres 12/2021",
    in_force_from=dt.date(2021, 2, 2),
    in_force_source="Perpres 12/2021 Pasal II (in force on promulgation, 2 February 2021)",
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
