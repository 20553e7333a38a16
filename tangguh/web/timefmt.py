"""Dates on pages, as Indonesians read them ("Sabtu, 17 Agustus 2024 14:00 WIT"), using the
domain's formatting for the node's zone."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from tangguh.domain.calendar import ZONES, WorkingCalendar
from tangguh.domain.timefmt import format_moment_en, format_moment_id


@lru_cache(maxsize=4)
def _calendar(zone: str) -> WorkingCalendar:
    return WorkingCalendar(zone=zone)


def zone_abbreviation(zone: str) -> str:
    return ZONES.get(zone, zone)


def format_moment(moment: datetime, zone: str, language: str = "id") -> str:
    calendar = _calendar(zone)
    if language.startswith("en"):
        return format_moment_en(moment, calendar)
    return format_moment_id(moment, calendar)
