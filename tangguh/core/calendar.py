"""The node's working calendar: its zone, working hours and holidays (domain object)."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings

from tangguh.domain.calendar import WorkingCalendar


@lru_cache(maxsize=1)
def _calendar(zone: str) -> WorkingCalendar:
    return WorkingCalendar(zone=zone)


def node_calendar() -> WorkingCalendar:
    """The calendar every deadline of this node is computed with. Local days off added by the
    administrator arrive with the resilience issue; until then national holidays and cuti
    bersama only."""
    return _calendar(settings.TIME_ZONE)
