"""A node's working calendar: its zone, working hours, national holidays and local days off.

Deadlines that close a right must fall on a working day within working hours (standard tender
document (SDP) text on sanggah; Perpres 70/2012 Ps 62(4)-(5) lineage). National holidays and
*cuti bersama* come from the ``holidays`` package (country ID, categories public and government),
which follows the yearly Keputusan Bersama Menteri on cuti bersama. Working hours are a node
setting (our default, RULES.md "Working hours", confidence D). Local days off (a regional
holiday such as the anniversary of Kabupaten Mimika, or a day the office is closed) are node data
the administrator keeps; they are passed in, so this module stays pure (RULES.md "Holidays").

Every function takes zone-aware datetimes and states its result in the node's zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

ZONES: dict[str, str] = {
    "Asia/Jakarta": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}
"""The three Indonesian time zones a node may run in, with their Indonesian abbreviation."""

_SEARCH_LIMIT_DAYS = 800


@dataclass(frozen=True)
class WorkingHours:
    """Opening and closing time of one working weekday (closing time included)."""

    opens: dt.time
    closes: dt.time

    def __post_init__(self) -> None:
        if not self.opens < self.closes:
            raise ValueError("working hours must open before they close")

    @property
    def length(self) -> dt.timedelta:
        """The length of a full working day with these hours."""
        day = dt.date(2000, 1, 3)
        return dt.datetime.combine(day, self.closes) - dt.datetime.combine(day, self.opens)


_MON_THU = WorkingHours(dt.time(8, 0), dt.time(16, 0))
_FRI = WorkingHours(dt.time(8, 0), dt.time(16, 30))

DEFAULT_WEEK: tuple[WorkingHours | None, ...] = (
    _MON_THU,
    _MON_THU,
    _MON_THU,
    _MON_THU,
    _FRI,
    None,
    None,
)
"""Default working hours, Monday first: Mon–Thu 08:00–16:00, Fri 08:00–16:30 (RULES.md, D)."""


@lru_cache(maxsize=64)
def national_holidays(year: int) -> dict[dt.date, str]:
    """Indonesian public holidays and cuti bersama of ``year`` (date → Indonesian name).

    Source: ``holidays.country_holidays("ID", categories=("public", "government"))``; the
    government category holds cuti bersama (Keputusan Bersama Menteri, yearly).
    """
    found = holidays.country_holidays("ID", years=year, categories=("public", "government"))
    return dict(found.items())


def _require_aware(moment: dt.datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("domain time must be zone-aware")


@dataclass(frozen=True)
class WorkingCalendar:
    """The working calendar of one node (LPSE), e.g. Kabupaten Mimika on Asia/Jayapura (WIT)."""

    zone: str = "Asia/Jakarta"
    week: tuple[WorkingHours | None, ...] = DEFAULT_WEEK
    local_days_off: frozenset[dt.date] = field(default_factory=frozenset)
    # The names of local days off, as (date, name) pairs: a tuple keeps the calendar hashable.
    local_day_names: tuple[tuple[dt.date, str], ...] = ()

    @classmethod
    def with_local_days(
        cls,
        zone: str,
        local_days: Mapping[dt.date, str],
        week: tuple[WorkingHours | None, ...] = DEFAULT_WEEK,
    ) -> WorkingCalendar:
        """A calendar whose local days off are ``local_days`` (date → name)."""
        pairs = tuple(sorted(local_days.items()))
        return cls(
            zone=zone, week=week, local_days_off=frozenset(local_days), local_day_names=pairs
        )

    def __post_init__(self) -> None:
        if self.zone not in ZONES:
            raise ValueError(f"unknown zone {self.zone!r}; expected one of {sorted(ZONES)}")
        if len(self.week) != 7:
            raise ValueError("week must give hours (or None) for each of the 7 weekdays")
        if not any(self.week):
            raise ValueError("a calendar needs at least one working weekday")

    @property
    def tz(self) -> ZoneInfo:
        """The node's zone as a ``ZoneInfo``."""
        return ZoneInfo(self.zone)

    @property
    def zone_abbreviation(self) -> str:
        """WIB, WITA or WIT."""
        return ZONES[self.zone]

    def local(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` stated in the node's zone."""
        _require_aware(moment)
        return moment.astimezone(self.tz)

    def at(self, day: dt.date, time_of_day: dt.time) -> dt.datetime:
        """The moment at ``time_of_day`` on ``day`` in the node's zone."""
        return dt.datetime.combine(day, time_of_day, tzinfo=self.tz)

    def holiday_name(self, day: dt.date) -> str | None:
        """The name of the national holiday or local day off on ``day``, if any."""
        if day in self.local_days_off:
            return dict(self.local_day_names).get(day) or "Hari libur daerah"
        return national_holidays(day.year).get(day)

    def hours_on(self, day: dt.date) -> WorkingHours | None:
        """The working hours on ``day``, or None when it is not a working day."""
        if self.holiday_name(day) is not None:
            return None
        return self.week[day.weekday()]

    def is_working_day(self, day: dt.date) -> bool:
        """True when ``day`` is a working weekday and not a holiday or local day off."""
        return self.hours_on(day) is not None

    def next_working_day(self, day: dt.date, *, strictly_after: bool = False) -> dt.date:
        """The first working day on or after ``day`` (after it when ``strictly_after``)."""
        candidate = day + dt.timedelta(days=1) if strictly_after else day
        for _ in range(_SEARCH_LIMIT_DAYS):
            if self.is_working_day(candidate):
                return candidate
            candidate += dt.timedelta(days=1)
        raise ValueError(f"no working day within {_SEARCH_LIMIT_DAYS} days of {day}")

    def is_working_moment(self, moment: dt.datetime) -> bool:
        """True when ``moment`` falls on a working day within its working hours (ends included)."""
        local = self.local(moment)
        hours = self.hours_on(local.date())
        return hours is not None and hours.opens <= local.time() <= hours.closes

    def next_working_moment(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` if it is a working moment, else the next opening time after it."""
        local = self.local(moment)
        if self.is_working_moment(local):
            return local
        hours = self.hours_on(local.date())
        if hours is not None and local.time() < hours.opens:
            return self.at(local.date(), hours.opens)
        day = self.next_working_day(local.date(), strictly_after=True)
        return self.at(day, self._hours(day).opens)

    def end_on_working_day(self, moment: dt.datetime) -> dt.datetime:
        """Move a stage end to a working moment, never earlier.

        A working moment stays. Before opening on a working day it moves to that opening time.
        Otherwise it moves to the next working day keeping its time of day, clamped into that
        day's working hours (SDP: a rights-closing stage ends on a working day within working
        hours).
        """
        local = self.local(moment)
        if self.is_working_moment(local):
            return local
        hours = self.hours_on(local.date())
        if hours is not None and local.time() < hours.opens:
            return self.at(local.date(), hours.opens)
        day = self.next_working_day(local.date(), strictly_after=True)
        day_hours = self._hours(day)
        kept = min(max(local.time().replace(tzinfo=None), day_hours.opens), day_hours.closes)
        return self.at(day, kept)

    def add_calendar_days(self, moment: dt.datetime, days: int) -> dt.datetime:
        """``days`` calendar days after ``moment``, ending on a working day within working hours.

        Counting in calendar days with the end moved to a working day is the schedule basis of the
        standard tender document (RULES.md "Schedule basis", V).
        """
        if days < 0:
            raise ValueError("days must not be negative")
        local = self.local(moment)
        wall = dt.datetime.combine(local.date() + dt.timedelta(days=days), local.time())
        return self.end_on_working_day(wall.replace(tzinfo=self.tz))

    def add_working_days(self, moment: dt.datetime, days: int) -> dt.datetime:
        """``days`` working days after ``moment``, at the same time of day within working hours.

        Counting starts from the next working moment; each step moves to the next working day. The
        time of day is clamped into the landing day's working hours.
        """
        if days < 0:
            raise ValueError("days must not be negative")
        start = self.next_working_moment(moment)
        day = start.date()
        for _ in range(days):
            day = self.next_working_day(day, strictly_after=True)
        hours = self._hours(day)
        kept = min(max(start.time().replace(tzinfo=None), hours.opens), hours.closes)
        return self.at(day, kept)

    def working_hours_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """The working time that lies between ``start`` and ``end`` (zero if end ≤ start)."""
        first, last = self.local(start), self.local(end)
        total = dt.timedelta(0)
        if last <= first:
            return total
        day = first.date()
        while day <= last.date():
            hours = self.hours_on(day)
            if hours is not None:
                lo = max(first, self.at(day, hours.opens))
                hi = min(last, self.at(day, hours.closes))
                if hi > lo:
                    total += hi - lo
            day += dt.timedelta(days=1)
        return total

    def working_day_length(self, day: dt.date) -> dt.timedelta:
        """The length of the working hours on ``day`` (zero when it is not a working day)."""
        hours = self.hours_on(day)
        return hours.length if hours is not None else dt.timedelta(0)

    def _hours(self, day: dt.date) -> WorkingHours:
        hours = self.hours_on(day)
        if hours is None:
            raise ValueError(f"{day} is not a working day")
        return hours
