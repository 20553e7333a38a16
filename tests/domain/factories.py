"""Builders and hypothesis strategies shared by the domain tests."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from tangguh.domain.calendar import ZONES, WorkingCalendar
from tangguh.domain.methods import Method
from tangguh.domain.rulesets import ruleset_in_force
from tangguh.domain.schedule import Schedule
from tangguh.domain.schedule_proposal import propose_schedule

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
WIT = ZoneInfo("Asia/Jayapura")

MIMIKA = WorkingCalendar("Asia/Jayapura")
JAKARTA = WorkingCalendar("Asia/Jakarta")


def wit(*args: int) -> dt.datetime:
    """A moment in WIT (Mimika)."""
    return dt.datetime(*args, tzinfo=WIT)


def wib(*args: int) -> dt.datetime:
    """A moment in WIB (Jakarta)."""
    return dt.datetime(*args, tzinfo=WIB)


calendars = st.sampled_from(sorted(ZONES)).map(WorkingCalendar)

moments = st.datetimes(
    min_value=dt.datetime(2024, 1, 1),
    max_value=dt.datetime(2027, 12, 31, 23, 59),
    timezones=st.sampled_from([WIB, WITA, WIT]),
)
"""Any zone-aware moment in the years 2024–2027, in any Indonesian zone."""


def proposed(announce_at: dt.datetime, method: Method, calendar: WorkingCalendar) -> Schedule:
    """The proposer's schedule under the rule set in force at ``announce_at``."""
    ruleset = ruleset_in_force(calendar.local(announce_at))
    return propose_schedule(announce_at, method, calendar, ruleset, include_optional=True)
