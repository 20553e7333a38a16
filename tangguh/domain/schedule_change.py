"""Schedule changes (perubahan jadwal): always with a public reason, never rewriting the past.

A changed schedule is published with its reason (SPEC "Lifecycle"). A stage that has ended cannot
move, a stage that has started keeps its start, and a running stage that closes a right cannot be
shortened below its minimum (RULES.md "Time"; the minimum is the method's rule under the pinned
rule set). The result is validated in full, so the caller sees every remaining violation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tangguh.domain.calendar import WorkingCalendar
from tangguh.domain.methods import Method, StageKind
from tangguh.domain.rulesets import RuleSet
from tangguh.domain.schedule import Schedule, Stage, StageDiff, schedule_diff
from tangguh.domain.schedule_validation import Violation, lower_bound, validate
from tangguh.domain.stage_templates import Bound, Edge, Point, template_for


class ScheduleChangeRefused(ValueError):
    """A schedule change that may not be applied; ``code`` is stable for API clients."""

    code = "schedule_change.refused"

    def __init__(self, kind: StageKind | None, message_id: str, message_en: str) -> None:
        super().__init__(message_en)
        self.kind = kind
        self.message_id = message_id
        self.message_en = message_en


class ReasonRequired(ScheduleChangeRefused):
    """Every schedule change needs a public reason."""

    code = "schedule_change.reason_required"


class UnknownStage(ScheduleChangeRefused):
    """The change names a stage the schedule does not have."""

    code = "schedule_change.unknown_stage"


class PastStageMoved(ScheduleChangeRefused):
    """The change moves an ended stage, or the start of a stage that has begun."""

    code = "schedule_change.past_stage_moved"


class RunningStageShortened(ScheduleChangeRefused):
    """The change shortens a running rights-closing stage below its minimum."""

    code = "schedule_change.running_stage_below_minimum"


@dataclass(frozen=True)
class ScheduleChange:
    """New start and end for some stages, with the public reason."""

    stages: tuple[Stage, ...]
    reason: str


@dataclass(frozen=True)
class ScheduleChangeResult:
    """The new schedule, what moved, and every remaining violation (errors and warnings)."""

    schedule: Schedule
    diff: tuple[StageDiff, ...]
    reason: str
    violations: tuple[Violation, ...]


def apply_schedule_change(
    schedule: Schedule,
    change: ScheduleChange,
    now: dt.datetime,
    *,
    calendar: WorkingCalendar,
    ruleset: RuleSet,
    method: Method,
    bid_guarantee: bool = False,
) -> ScheduleChangeResult:
    """Apply ``change`` at ``now``, or raise a ``ScheduleChangeRefused`` subclass.

    ``bid_guarantee`` as for ``schedule_validation.validate`` (the tender's bids must carry a
    bid guarantee, so its bid window has that rule's minimum too)."""
    if not change.reason.strip():
        raise ReasonRequired(
            None, "Perubahan jadwal wajib disertai alasan.", "A schedule change needs a reason."
        )
    updated = schedule
    for new in change.stages:
        old = schedule.get(new.kind)
        if old is None:
            raise UnknownStage(
                new.kind,
                f"Tahap {new.kind.label_id} tidak ada dalam jadwal.",
                f"The schedule has no stage {new.kind.label_en}.",
            )
        _refuse_rewriting_the_past(old, new, now)
        updated = updated.with_stage(new)
    for new in change.stages:
        _refuse_shortening_running_stage(
            schedule[new.kind], updated, now, calendar, ruleset, method, bid_guarantee
        )
    return ScheduleChangeResult(
        updated,
        schedule_diff(schedule, updated),
        change.reason.strip(),
        validate(updated, calendar, ruleset, method, bid_guarantee=bid_guarantee),
    )


def _refuse_rewriting_the_past(old: Stage, new: Stage, now: dt.datetime) -> None:
    moved = new.start != old.start or new.end != old.end
    if old.end <= now and moved:
        raise PastStageMoved(
            old.kind,
            f"Tahap {old.kind.label_id} sudah selesai dan tidak dapat diubah.",
            f"Stage {old.kind.label_en} has ended and cannot be changed.",
        )
    if old.start <= now and new.start != old.start:
        raise PastStageMoved(
            old.kind,
            f"Tahap {old.kind.label_id} sudah dimulai; waktu mulainya tidak dapat diubah.",
            f"Stage {old.kind.label_en} has started; its start cannot be changed.",
        )
    if new.end <= now < old.end:
        raise PastStageMoved(
            old.kind,
            f"Akhir tahap {old.kind.label_id} tidak dapat dipindah ke masa lalu.",
            f"The end of stage {old.kind.label_en} cannot be moved into the past.",
        )


def _refuse_shortening_running_stage(
    old: Stage,
    updated: Schedule,
    now: dt.datetime,
    calendar: WorkingCalendar,
    ruleset: RuleSet,
    method: Method,
    bid_guarantee: bool,
) -> None:
    new = updated[old.kind]
    if not (old.kind.closes_right and old.contains(now) and new.end < old.end):
        return
    for rule in template_for(method).rules_for(bid_guarantee=bid_guarantee):
        if rule.bound is not Bound.MIN or rule.to != Point(old.kind, Edge.END):
            continue
        frm = updated.latest(rule.frm)
        if frm is not None and new.end < lower_bound(rule, frm, calendar, ruleset):
            raise RunningStageShortened(
                old.kind,
                f"Tahap {old.kind.label_id} sedang berjalan dan tidak boleh dipersingkat di bawah "
                f"batas minimum ({rule.rule_key}).",
                f"Stage {old.kind.label_en} is running and cannot be shortened below its minimum "
                f"({rule.rule_key}).",
            )
