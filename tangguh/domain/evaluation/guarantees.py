"""Guarantee amounts.

Performance guarantee (jaminan pelaksanaan), Perpres 16/2018 Ps 33 (V): required for contracts
above Rp200 juta; 5% of the contract value when the corrected bid is 80-100% of the HPS, 5% of
the HPS when it is below 80%.
"""

from __future__ import annotations

from decimal import Decimal

from tangguh.domain.money import percent_of

PERFORMANCE_GUARANTEE_ABOVE = Decimal(200_000_000)
PERFORMANCE_GUARANTEE_PERCENT = Decimal(5)


def performance_guarantee(*, contract_value: Decimal, hps: Decimal) -> Decimal | None:
    """The amount, or None when no performance guarantee is required."""
    if contract_value <= PERFORMANCE_GUARANTEE_ABOVE:
        return None
    if contract_value < hps * Decimal("0.8"):
        return percent_of(hps, PERFORMANCE_GUARANTEE_PERCENT)
    return percent_of(contract_value, PERFORMANCE_GUARANTEE_PERCENT)
