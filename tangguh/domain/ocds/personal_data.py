"""Personal data that open data must never carry (UU 27/2022 on personal data protection):
NIK, a person's NPWP and telephone numbers. ``findings`` scans any JSON value for them;
``redact`` blanks them out of free text (titles, reasons, descriptions typed by people) before
a release is built, so a careless cancellation reason cannot publish a phone number.

The patterns are deliberately narrow where they must not touch public identifiers:
- NIK (Permendagri 73/2022: 6-digit region, birth date with day + 40 for women, 4-digit serial):
  exactly 16 digits whose region and date are plausible. A digit run touching a hex letter is
  part of a SHA-256, not a NIK.
- NPWP: the 15-digit form (99.999.999.9-999.999, dotted or bare) whose taxpayer-type digits
  04 to 09 mark a person (01 to 03 are companies); the 16-digit form of a person is their NIK.
- Telephone: an Indonesian number, +62/62/0 then a mobile (8…) or area code, 9 to 14 digits.
  Not inside a key fingerprint (five or more groups of four hex characters, as
  ``tangguh.domain.sealing.fingerprint`` writes them): "0700 8473 0028 …" is a fingerprint whose
  first groups happen to be digits, and no phone number has five groups of four.
Tender codes (202400017), amounts (JSON numbers, never scanned) and dates do not match.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

REDACTED = "[disamarkan]"

_NOT_HEX_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_HEX_AFTER = r"(?![0-9A-Za-z])"
_NIK = re.compile(_NOT_HEX_BEFORE + r"(\d{16})" + _NOT_HEX_AFTER)
_NPWP_DOTTED = re.compile(
    _NOT_HEX_BEFORE + r"(\d{2})\.(\d{3})\.(\d{3})\.(\d)[-.](\d{3})\.(\d{3})" + _NOT_HEX_AFTER
)
_NPWP_BARE = re.compile(_NOT_HEX_BEFORE + r"(\d{15})" + _NOT_HEX_AFTER)
_PHONE = re.compile(
    # Not inside a word or a number: "Rp1.062.500.000" holds no phone number.
    r"(?<![0-9A-Za-z+])(?<!\d[.,])"
    r"(?:\+62[\s.-]?|62[\s.-]?|\(?0)"
    r"(?:8\d{1,3}|[2-79]\d{1,3}\)?)"
    r"(?:[\s.-]?\d{2,5}){1,3}" + _NOT_HEX_AFTER
)

_FINGERPRINT = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{4}(?: [0-9a-fA-F]{4}){4,}(?![0-9A-Za-z])")


@dataclass(frozen=True)
class Finding:
    path: str
    kind: str  # nik | npwp | phone
    text: str


def _plausible_nik(digits: str) -> bool:
    province = int(digits[:2])
    day, month = int(digits[6:8]), int(digits[8:10])
    if day > 40:
        day -= 40
    return 11 <= province <= 94 and 1 <= day <= 31 and 1 <= month <= 12


def _personal_npwp(digits: str) -> bool:
    return len(digits) == 15 and 4 <= int(digits[:2]) <= 9


def _phone_digits(match: str) -> int:
    return sum(c.isdigit() for c in match)


def scan_text(text: str) -> Iterator[tuple[str, str, int, int]]:
    """(kind, matched text, start, end) of every piece of personal data in ``text``."""
    for match in _NIK.finditer(text):
        if _plausible_nik(match.group(1)):
            yield "nik", match.group(0), match.start(), match.end()
    for match in _NPWP_DOTTED.finditer(text):
        if _personal_npwp("".join(match.groups())):
            yield "npwp", match.group(0), match.start(), match.end()
    for match in _NPWP_BARE.finditer(text):
        if _personal_npwp(match.group(1)):
            yield "npwp", match.group(0), match.start(), match.end()
    fingerprints = [m.span() for m in _FINGERPRINT.finditer(text)]
    for match in _PHONE.finditer(text):
        inside = any(a <= match.start() and match.end() <= b for a, b in fingerprints)
        if not inside and 9 <= _phone_digits(match.group(0)) <= 14:
            yield "phone", match.group(0), match.start(), match.end()


def redact(text: str) -> str:
    """``text`` with every NIK, personal NPWP and telephone number replaced by REDACTED."""
    spans = sorted({(start, end) for _, _, start, end in scan_text(text or "")})
    if not spans:
        return text or ""
    pieces, cursor = [], 0
    for start, end in spans:
        if start < cursor:  # overlapping matches (a NIK that also looks like a phone)
            start = cursor
        if start >= end:
            continue
        pieces.append(text[cursor:start])
        pieces.append(REDACTED)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def findings(value: object, path: str = "") -> list[Finding]:
    """Every piece of personal data in the strings of a JSON value (keys included), by path."""
    found: list[Finding] = []
    if isinstance(value, str):
        found.extend(Finding(path, kind, text) for kind, text, _, _ in scan_text(value))
    elif isinstance(value, dict):
        for key, item in value.items():
            found.extend(findings(key, f"{path}/{key}#key"))
            found.extend(findings(item, f"{path}/{key}"))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(findings(item, f"{path}/{index}"))
    return found
