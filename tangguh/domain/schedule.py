"""A selection schedule (jadwal): its stages with their start and end moments.

A schedule is a plain value; what it must satisfy lives in ``schedule_validation`` and the stage
templates. Perpres 16/2018 Ps 50 names the stages; the Pokja sets the schedule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from tangguh.domain.methods import StageKind
from tangguh.domain.stage_templates import Edge, Point


@dataclass(frozen=True)
class Stage:
    """One stage of a schedule, from ``start`` to ``end`` (zone-aware)."""

    kind: StageKind
    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        for moment in (self.start, self.end):
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise ValueError("domain time must be zone-aware")

    @property
    def length(self) -> dt.timedelta:
        """How long the stage lasts."""
        return self.end - self.start

    def contains(self, moment: dt.datetime) -> bool:
        """True when ``moment`` lies within the stage (start included, end excluded)."""
        return self.start <= moment < self.end


@dataclass(frozen=True)
class Schedule:
    """The stages of one selection, in template order."""

    stages: tuple[Stage, ...]

    def get(self, kind: StageKind) -> Stage | None:
        """The stage of ``kind``, or None when the schedule has none."""
        for item in self.stages:
            if item.kind == kind:
                return item
        return None

    def __getitem__(self, kind: StageKind) -> Stage:
        found = self.get(kind)
        if found is None:
            raise KeyError(kind)
        return found

    def has(self, kind: StageKind) -> bool:
        """True when the schedule has a stage of ``kind``."""
        return self.get(kind) is not None

    def moment(self, point: Point) -> dt.datetime | None:
        """The moment of a stage start or end, or None when the stage is absent."""
        found = self.get(point.stage)
        if found is None:
            return None
        return found.start if point.edge is Edge.START else found.end

    def latest(self, points: tuple[Point, ...]) -> dt.datetime | None:
        """The latest moment among ``points`` present in the schedule."""
        moments = [m for m in (self.moment(p) for p in points) if m is not None]
        return max(moments) if moments else None

    def with_stage(self, stage: Stage) -> Schedule:
        """A copy with ``stage`` replacing the stage of the same kind."""
        if not self.has(stage.kind):
            raise KeyError(stage.kind)
        return replace(
            self, stages=tuple(stage if s.kind == stage.kind else s for s in self.stages)
        )

    @property
    def bid_deadline(self) -> dt.datetime | None:
        """The end of bid submission (batas akhir pemasukan penawaran)."""
        return self.moment(Point(StageKind.BID_SUBMISSION, Edge.END))


@dataclass(frozen=True)
class StageDiff:
    """How one stage moved: before and after."""

    kind: StageKind
    before: Stage
    after: Stage


def schedule_diff(before: Schedule, after: Schedule) -> tuple[StageDiff, ...]:
    """The stages whose start or end differ between two schedules of the same stages."""
    diffs = []
    for old in before.stages:
        new = after.get(old.kind)
        if new is not None and (new.start != old.start or new.end != old.end):
            diffs.append(StageDiff(old.kind, old, new))
    return tuple(diffs)
