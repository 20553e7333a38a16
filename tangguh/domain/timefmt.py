"""Moments stated in the node's zone, zone named, in Indonesian and English (SPEC "Time")."""

from __future__ import annotations

import datetime as dt

from tangguh.domain.calendar import WorkingCalendar

_DAYS_ID = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_MONTHS_ID = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip
_DAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def format_moment_id(moment: dt.datetime, calendar: WorkingCalendar) -> str:
    """E.g. "Selasa, 2 Juli 2024 15:00 WIT"."""
    local = calendar.local(moment)
    return (
        f"{_DAYS_ID[local.weekday()]}, {local.day} {_MONTHS_ID[local.month - 1]} {local.year} "
        f"{local:%H:%M} {calendar.zone_abbreviation}"
    )


def format_moment_en(moment: dt.datetime, calendar: WorkingCalendar) -> str:
    """E.g. "Tuesday 2 July 2024 15:00 WIT"."""
    local = calendar.local(moment)
    return (
        f"{_DAYS_EN[local.weekday()]} {local.day} {_MONTHS_EN[local.month - 1]} {local.year} "
        f"{local:%H:%M} {calendar.zone_abbreviation}"
    )
