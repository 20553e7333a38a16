"""Arithmetic correction of a unit-price bid's bill of quantities (koreksi aritmatik).

Source (S, Perka LKPP 14/2012 lineage, carried into the standard tender documents for
unit-price contracts): items and volumes are those of the tender document; each line is
recomputed as volume x unit price with the **unit price fixed**; an item the vendor left
unpriced counts as included in other items (it adds nothing, and the vendor must still deliver
it); items the document does not have are struck. The corrected total may move the ranking,
and a corrected total above the HPS fails (RULES.md "Money and evaluation").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from tangguh.domain.money import round_rupiah


@dataclass(frozen=True)
class DocumentItem:
    """A line of the tender document's bill of quantities."""

    item: str
    unit: str
    volume: Decimal


@dataclass(frozen=True)
class OfferedLine:
    """A line as the vendor wrote it in ``penawaran.json``."""

    item: str
    volume: Decimal
    unit_price: Decimal | None
    total: Decimal | None


@dataclass(frozen=True)
class Correction:
    """One change the correction made, for the evaluation minutes. ``kind`` is one of
    ``volume`` (the document's volume used), ``line_total`` (volume x unit price differs from the
    vendor's line total), ``unpriced`` (counted as included elsewhere), ``extra_item`` (struck)."""

    item: str
    kind: str
    before: Decimal | None
    after: Decimal | None


@dataclass(frozen=True)
class CorrectedBill:
    stated_total: Decimal
    corrected_total: Decimal
    lines: tuple[tuple[str, Decimal], ...]  # (item, corrected line total)
    corrections: tuple[Correction, ...]

    @property
    def changed(self) -> bool:
        return self.corrected_total != self.stated_total


def correct_bill(
    *,
    document: Sequence[DocumentItem],
    offered: Sequence[OfferedLine],
    stated_total: Decimal,
) -> CorrectedBill:
    """Recompute ``offered`` against ``document`` (see the module docstring)."""
    by_item: dict[str, OfferedLine] = {}
    for line in offered:
        by_item.setdefault(line.item, line)
    corrections: list[Correction] = []
    lines: list[tuple[str, Decimal]] = []
    total = Decimal(0)
    for item in document:
        line = by_item.get(item.item)
        if line is None or line.unit_price is None or line.unit_price == 0:
            corrections.append(Correction(item.item, "unpriced", None, Decimal(0)))
            lines.append((item.item, Decimal(0)))
            continue
        if line.volume != item.volume:
            corrections.append(Correction(item.item, "volume", line.volume, item.volume))
        line_total = item.volume * line.unit_price
        if line.total is not None and line.total != line_total:
            corrections.append(Correction(item.item, "line_total", line.total, line_total))
        lines.append((item.item, line_total))
        total += line_total
    known = {item.item for item in document}
    for line in offered:
        if line.item not in known:
            corrections.append(Correction(line.item, "extra_item", line.total, None))
    return CorrectedBill(
        stated_total=stated_total,
        corrected_total=round_rupiah(total),
        lines=tuple(lines),
        corrections=tuple(corrections),
    )
