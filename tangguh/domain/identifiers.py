"""Indonesian business identifiers: their formats, normalised to digits.

NIB (Nomor Induk Berusaha): 13 digits, issued through OSS (PP 5/2021).
NPWP: 15 digits (formatted 99.999.999.9-999.999), or 16 digits since the NIK-based format of
PMK 112/2022 (in use from 2024).
"""

from __future__ import annotations

import re


class IdentifierError(ValueError):
    def __init__(self, field: str, rule_id: str, rule_en: str) -> None:
        super().__init__(rule_en)
        self.field = field
        self.rule_id = rule_id
        self.rule_en = rule_en


def _digits(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "")


def normalize_nib(value: str) -> str:
    digits = _digits(value)
    if not re.fullmatch(r"\d{13}", digits):
        raise IdentifierError("nib", "NIB harus 13 digit angka.", "NIB must be 13 digits.")
    return digits


def normalize_npwp(value: str) -> str:
    digits = _digits(value)
    if not re.fullmatch(r"\d{15}|\d{16}", digits):
        raise IdentifierError(
            "npwp",
            "NPWP harus 15 digit (format lama) atau 16 digit.",
            "NPWP must be 15 digits (old format) or 16 digits.",
        )
    return digits


def format_npwp(digits: str) -> str:
    """99.999.999.9-999.999 for the 15-digit form; the 16-digit form is shown as is."""
    if len(digits) == 15:
        d = digits
        return f"{d[0:2]}.{d[2:5]}.{d[5:8]}.{d[8]}-{d[9:12]}.{d[12:15]}"
    return digits
