"""Dates as Indonesians read them: "Sabtu, 17 Agustus 2024 14:00 WIT" (SPEC.md qualities)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

DAYS_ID = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
DAYS_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS_ID = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]
MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
ZONES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


def zone_abbreviation(zone: str) -> str:
    return ZONES.get(zone, zone)


def format_moment(moment: datetime, zone: str, language: str = "id") -> str:
    local = moment.astimezone(ZoneInfo(zone))
    days, months = (DAYS_EN, MONTHS_EN) if language.startswith("en") else (DAYS_ID, MONTHS_ID)
    return (
        f"{days[local.weekday()]}, {local.day} {months[local.month - 1]} {local.year} "
        f"{local:%H:%M} {zone_abbreviation(zone)}"
    )
