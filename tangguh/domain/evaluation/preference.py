"""Domestic-content price preference (preferensi harga TKDN).

Perpres 16/2018 Ps 67 as amended by Perpres 12/2021 (V): for **goods** tenders with HPS above
Rp1 miliar, a bid with TKDN of at least 25% is evaluated at HEA = (1 - KP) x HP, where
KP = TKDN x the highest preference (at most 25%) and HP the price after arithmetic correction.
The lowest HEA ranks first; HEA only ranks, the contract price stays the bid's own price.
"""

from __future__ import annotations

from decimal import Decimal

PREFERENCE_MIN_HPS = Decimal(1_000_000_000)  # Ps 67: HPS above Rp1 miliar
PREFERENCE_MIN_TKDN = Decimal(25)  # Ps 67: TKDN at least 25%
HIGHEST_PREFERENCE = Decimal(25)  # Ps 67: at most 25%
_HUNDRED = Decimal(100)


def preference_applies(*, category: str, hps: Decimal, tkdn_percent: Decimal | None) -> bool:
    return (
        category == "goods"
        and hps > PREFERENCE_MIN_HPS
        and tkdn_percent is not None
        and tkdn_percent >= PREFERENCE_MIN_TKDN
    )


def preference_factor(tkdn_percent: Decimal, highest: Decimal = HIGHEST_PREFERENCE) -> Decimal:
    """KP as a fraction: TKDN% x highest preference%, e.g. 40% x 25% = 0.10."""
    if highest > HIGHEST_PREFERENCE:
        raise ValueError("the highest preference is at most 25%")
    return (tkdn_percent / _HUNDRED) * (highest / _HUNDRED)


def evaluated_price(
    *, price: Decimal, category: str, hps: Decimal, tkdn_percent: Decimal | None
) -> Decimal:
    """HEA when the preference applies, else the price itself (exact, not rounded: it only
    ranks)."""
    if not preference_applies(category=category, hps=hps, tkdn_percent=tkdn_percent):
        return price
    assert tkdn_percent is not None  # noqa: S101 (preference_applies checked it)
    return (Decimal(1) - preference_factor(tkdn_percent)) * price
