"""Rupiah amounts: ``Decimal`` only, rounded to whole rupiah, shown as "Rp1.234.568".

The rupiah has no minor unit in use; amounts are rounded half up to whole rupiah (our default,
D). Percentages of an amount (guarantees: Perpres 16/2018 Ps 33; appeal guarantee 1% of HPS,
Ps 32) are computed exactly and rounded once at the end.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_ONE = Decimal(1)
_HUNDRED = Decimal(100)


def _require_decimal(amount: object) -> Decimal:
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int)):
        raise TypeError("money must be Decimal or int, never float")
    value = Decimal(amount)
    if not value.is_finite():
        raise ValueError("money must be finite")
    return value


def round_rupiah(amount: Decimal | int, rounding: str = ROUND_HALF_UP) -> Decimal:
    """``amount`` rounded to whole rupiah (half up by default)."""
    return _require_decimal(amount).quantize(_ONE, rounding=rounding)


def percent_of(amount: Decimal | int, percent: Decimal | int) -> Decimal:
    """``percent`` % of ``amount``, rounded to whole rupiah (e.g. a 5% performance guarantee)."""
    return round_rupiah(_require_decimal(amount) * _require_decimal(percent) / _HUNDRED)


def format_rupiah(amount: Decimal | int) -> str:
    """Indonesian format: "Rp1.234.568", "-Rp500"; rounded to whole rupiah first."""
    value = round_rupiah(amount)
    sign = "-" if value < 0 else ""
    grouped = f"{abs(int(value)):,}".replace(",", ".")
    return f"{sign}Rp{grouped}"


def parse_rupiah(text: str) -> Decimal:
    """The amount in "Rp1.234.568" or "1.234.568" (dots group thousands; no decimals)."""
    cleaned = text.strip().replace(" ", "")
    negative = cleaned.startswith("-")
    cleaned = cleaned.lstrip("-").removeprefix("Rp").removeprefix("rp")
    digits = cleaned.replace(".", "")
    if not digits.isdigit():
        raise ValueError(f"not a rupiah amount: {text!r}")
    try:
        value = Decimal(digits)
    except InvalidOperation as exc:  # pragma: no cover - isdigit() guards this
        raise ValueError(f"not a rupiah amount: {text!r}") from exc
    return -value if negative else value
