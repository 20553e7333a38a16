"""Phase derivation: the current phase of a selection from its schedule, the clock and decisions.

Phases are derived, never stored (SPEC "Lifecycle"). The stage order follows Perpres 16/2018
Ps 50; opening is refused before the bid deadline (SPEC "Sealed bids and opening"); objections
(sanggah) and appeals (sanggah banding, Ps 50(2)) hold the selection until answered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import IntEnum
from typing import NamedTuple

from tangguh.domain.methods import StageKind
from tangguh.domain.schedule import Schedule


class Phase(IntEnum):
    """The phases of a selection, in the order time moves through them."""

    DRAFT = 0
    ANNOUNCED = 10
    BIDDING = 20
    AWAITING_OPENING = 30
    EVALUATION = 40
    AWAITING_AWARD = 50
    AWARDED = 60
    OBJECTION_WINDOW = 70
    OBJECTION_ANSWER = 80
    APPEAL_WINDOW = 90
    APPEAL_ANSWER = 100
    CONTRACTING = 110
    CONTRACTED = 120
    FAILED = 200
    CANCELLED = 210

    @property
    def label_id(self) -> str:
        """The Indonesian phase name."""
        return _LABELS_ID[self]


_LABELS_ID = {
    Phase.DRAFT: "Draf",
    Phase.ANNOUNCED: "Pengumuman",
    Phase.BIDDING: "Pemasukan penawaran",
    Phase.AWAITING_OPENING: "Menunggu pembukaan",
    Phase.EVALUATION: "Evaluasi",
    Phase.AWAITING_AWARD: "Menunggu penetapan pemenang",
    Phase.AWARDED: "Pemenang ditetapkan",
    Phase.OBJECTION_WINDOW: "Masa sanggah",
    Phase.OBJECTION_ANSWER: "Jawaban sanggah",
    Phase.APPEAL_WINDOW: "Masa sanggah banding",
    Phase.APPEAL_ANSWER: "Jawaban sanggah banding",
    Phase.CONTRACTING: "Penunjukan penyedia dan kontrak",
    Phase.CONTRACTED: "Kontrak ditandatangani",
    Phase.FAILED: "Tender gagal",
    Phase.CANCELLED: "Dibatalkan",
}


@dataclass(frozen=True)
class Decisions:
    """Recorded facts about a selection (each set by a signed, audited decision)."""

    announced: bool = False
    cancelled: bool = False
    failed: bool = False
    opened: bool = False
    evaluated: bool = False
    awarded: bool = False
    objections_pending: bool = False
    appeals_pending: bool = False
    contract_signed: bool = False


class PhaseAt(NamedTuple):
    """The phase at a moment and the next moment at which time alone changes it (or None)."""

    phase: Phase
    next_change: dt.datetime | None


def phase(schedule: Schedule, now: dt.datetime, decisions: Decisions) -> PhaseAt:
    """The current phase and the next moment it changes without a new decision.

    ``next_change`` is None when only a decision can move the selection on.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("domain time must be zone-aware")
    if decisions.cancelled:
        return PhaseAt(Phase.CANCELLED, None)
    if decisions.failed:
        return PhaseAt(Phase.FAILED, None)
    if not decisions.announced:
        return PhaseAt(Phase.DRAFT, None)
    if decisions.contract_signed:
        return PhaseAt(Phase.CONTRACTED, None)
    bidding = schedule.get(StageKind.BID_SUBMISSION)
    if bidding is not None:
        if now < bidding.start:
            return PhaseAt(Phase.ANNOUNCED, bidding.start)
        if now < bidding.end:
            return PhaseAt(Phase.BIDDING, bidding.end)
    if not decisions.opened:
        return PhaseAt(Phase.AWAITING_OPENING, None)
    if not decisions.awarded:
        return PhaseAt(Phase.AWAITING_AWARD if decisions.evaluated else Phase.EVALUATION, None)
    return _after_award(schedule, now, decisions)


def _after_award(schedule: Schedule, now: dt.datetime, decisions: Decisions) -> PhaseAt:
    objection = schedule.get(StageKind.OBJECTION)
    if objection is not None:
        if now < objection.start:
            return PhaseAt(Phase.AWARDED, objection.start)
        if now < objection.end:
            return PhaseAt(Phase.OBJECTION_WINDOW, objection.end)
        if decisions.objections_pending:
            return PhaseAt(Phase.OBJECTION_ANSWER, None)
    appeal = schedule.get(StageKind.APPEAL)
    if appeal is not None:
        if now < appeal.start:
            return PhaseAt(Phase.OBJECTION_ANSWER, appeal.start)
        if now < appeal.end:
            return PhaseAt(Phase.APPEAL_WINDOW, appeal.end)
        if decisions.appeals_pending:
            return PhaseAt(Phase.APPEAL_ANSWER, None)
    return PhaseAt(Phase.CONTRACTING, None)
