"""The node's working calendar: its zone, working hours and holidays (domain object)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.conf import settings

from tangguh.domain.calendar import WorkingCalendar
from tangguh.organizations.selectors import local_holidays


@lru_cache(maxsize=8)
def _calendar(zone: str, local_days: tuple[tuple[dt.date, str], ...]) -> WorkingCalendar:
    return WorkingCalendar.with_local_days(zone, dict(local_days))


def node_calendar() -> WorkingCalendar:
    """The calendar every deadline of this node is computed with: national holidays and cuti
    bersama (``holidays`` package) plus the local days off the administrator keeps
    (``organizations.LocalHoliday``; RULES.md "Holidays").

    The local days are read on every call (one small query), so a day added on one worker is in
    force on every worker at once. A schedule already set is never moved by a change: schedules
    are validated when proposed or set; later proposals and outage extensions use the calendar
    as it is then (docs/users.md "Local holidays").
    """
    return _calendar(settings.TIME_ZONE, tuple(sorted(local_holidays().items())))
