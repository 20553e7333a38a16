"""The value types of rule sets: a tagged legal or default parameter, its day type and confidence.

Confidence follows RULES.md: V read in the regulation or standard document text, S secondary
source quoting it, D our default (node-configurable).
"""

from __future__ import annotations

from dataclasses import dataclass
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


def days_rule(key, value, day_type, confidence, source, description) -> RuleValue:
    """A duration in days."""
    return RuleValue(key, value, "days", day_type, confidence, source, description)


def rupiah_rule(key, value, confidence, source, description) -> RuleValue:
    """A money amount in rupiah."""
    return RuleValue(key, Decimal(value), "rupiah", DayType.NONE, confidence, source, description)


def percent_rule(key, value, confidence, source, description) -> RuleValue:
    """A percentage."""
    return RuleValue(key, Decimal(value), "percent", DayType.NONE, confidence, source, description)
