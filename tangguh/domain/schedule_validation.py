"""Schedule validation: every violation of a proposed schedule at once.

Rules come from the method's stage template (Perpres 16/2018 Ps 50) with the numbers of the
pinned rule set (RULES.md "Time"). Minimums protect participants' rights and are errors; maximums
are committee duties (answer to objections, SPPBJ, contract) and are warnings: a late duty does
not void a selection, and shifting a schedule after an outage keeps stage lengths (RULES.md outage
policy, see ADR 0101).

Some rules depend on the tender, not on the method: the bid window when bids must carry a bid
guarantee (RULES.md "Bid window when a bid guarantee is required") applies only when the caller
says so (``bid_guarantee``, from ``tangguh.domain.evaluation.guarantees.bid_guarantee_required``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from tangguh.domain.calendar import WorkingCalendar
from tangguh.domain.methods import Method, StageKind
from tangguh.domain.rule_values import DayType
from tangguh.domain.rulesets import RuleSet
from tangguh.domain.schedule import Schedule
from tangguh.domain.stage_templates import Bound, Edge, GapRule, Point, template_for
from tangguh.domain.timefmt import format_moment_en, format_moment_id

SCHEDULE_BASIS_SOURCE = "SDP (sanggah); Perpres 70/2012 Ps 62(4)-(5) lineage"
ORDER_SOURCE = "Perpres 16/2018 Ps 50 (order of stages)"


class Severity(StrEnum):
    """ERROR refuses the schedule; WARNING is shown but does not block it."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Violation:
    """One broken rule: stable ``code``, the stage, the rule, expected and actual, and a message."""

    code: str
    stage: StageKind
    rule: str
    expected: dt.datetime | None
    actual: dt.datetime | None
    source: str
    severity: Severity
    message_id: str
    message_en: str


def stage_times_valid(start: dt.datetime, end: dt.datetime) -> bool:
    """True when a stage's times are zone-aware and it ends after it starts.

    What ``PUT /schedule`` requires of every stage before the timing rules (refused with
    ``schedule.stage_times_invalid``): a stage is a period, so a zero-length one is refused, and
    the proposer must never make one.
    """
    for moment in (start, end):
        if moment.tzinfo is None or moment.utcoffset() is None:
            return False
    return end > start


def lower_bound(
    rule: GapRule, frm: dt.datetime, calendar: WorkingCalendar, ruleset: RuleSet
) -> dt.datetime:
    """The earliest moment a MIN rule allows for its ``to`` point, counted from ``frm``."""
    value = ruleset.rule(rule.rule_key)
    days = ruleset.days(rule.rule_key)
    if value.day_type is DayType.WORKING:
        return calendar.add_working_days(frm, days)
    local = calendar.local(frm)
    wall = dt.datetime.combine(local.date() + dt.timedelta(days=days), local.time())
    return wall.replace(tzinfo=calendar.tz)


def upper_bound(
    rule: GapRule, frm: dt.datetime, calendar: WorkingCalendar, ruleset: RuleSet
) -> dt.datetime:
    """The moment whose date is the last a MAX rule allows, counted from ``frm``."""
    value = ruleset.rule(rule.rule_key)
    days = ruleset.days(rule.rule_key)
    if value.day_type is DayType.WORKING:
        return calendar.add_working_days(frm, days)
    return calendar.add_calendar_days(frm, days)


def _point_label(point: Point, lang: str) -> str:
    if point == Point(StageKind.BID_SUBMISSION, Edge.END):
        return "batas akhir pemasukan penawaran" if lang == "id" else "the bid deadline"
    label = point.stage.label_id if lang == "id" else point.stage.label_en
    if lang == "id":
        return f"{'awal' if point.edge is Edge.START else 'akhir'} {label}"
    return f"the {'start' if point.edge is Edge.START else 'end'} of {label}"


class _Collector:
    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar
        self.found: list[Violation] = []

    def fmt(self, moment: dt.datetime | None, lang: str) -> str:
        if moment is None:
            return "-"
        if lang == "id":
            return format_moment_id(moment, self.calendar)
        return format_moment_en(moment, self.calendar)

    def add(self, code, stage, rule, expected, actual, source, severity, msg_id, msg_en) -> None:
        self.found.append(
            Violation(code, stage, rule, expected, actual, source, severity, msg_id, msg_en)
        )


def validate(
    schedule: Schedule,
    calendar: WorkingCalendar,
    ruleset: RuleSet,
    method: Method,
    *,
    bid_guarantee: bool = False,
) -> tuple[Violation, ...]:
    """Every violation of ``schedule`` for ``method`` under ``ruleset``, errors and warnings.

    ``bid_guarantee``: the tender's bids must carry a bid guarantee, so the bid window must last
    the rule set's ``bid_window_with_guarantee_min_working_days``.
    """
    template = template_for(method)
    out = _Collector(calendar)
    _check_stage_set(schedule, template.kinds, {s.kind for s in template.stages if s.optional}, out)
    for spec in template.stages:
        stage = schedule.get(spec.kind)
        if stage is None:
            continue
        _check_stage_shape(schedule, spec.kind, spec.after, out)
    for rule in template.rules_for(bid_guarantee=bid_guarantee):
        _check_gap(schedule, rule, ruleset, out)
    return tuple(out.found)


def errors(violations: tuple[Violation, ...]) -> tuple[Violation, ...]:
    """Only the violations that refuse a schedule."""
    return tuple(v for v in violations if v.severity is Severity.ERROR)


def _check_stage_set(schedule, kinds, optional, out: _Collector) -> None:
    seen: set[StageKind] = set()
    for stage in schedule.stages:
        if stage.kind in seen:
            out.add(
                f"{stage.kind}.duplicate",
                stage.kind,
                "stage_set",
                None,
                stage.start,
                ORDER_SOURCE,
                Severity.ERROR,
                f"Tahap {stage.kind.label_id} tercantum lebih dari sekali.",
                f"Stage {stage.kind.label_en} appears more than once.",
            )
        elif stage.kind not in kinds:
            out.add(
                f"{stage.kind}.unexpected",
                stage.kind,
                "stage_set",
                None,
                stage.start,
                ORDER_SOURCE,
                Severity.ERROR,
                f"Tahap {stage.kind.label_id} tidak dikenal untuk metode ini.",
                f"Stage {stage.kind.label_en} does not belong to this method.",
            )
        seen.add(stage.kind)
    for kind in kinds:
        if kind not in seen and kind not in optional:
            out.add(
                f"{kind}.missing",
                kind,
                "stage_set",
                None,
                None,
                ORDER_SOURCE,
                Severity.ERROR,
                f"Tahap {kind.label_id} belum dijadwalkan.",
                f"Stage {kind.label_en} is not scheduled.",
            )


def _check_stage_shape(schedule: Schedule, kind: StageKind, after, out: _Collector) -> None:
    stage = schedule[kind]
    cal = out.calendar
    if stage.end < stage.start:
        out.add(
            f"{kind}.ends_before_start",
            kind,
            "order",
            stage.start,
            stage.end,
            ORDER_SOURCE,
            Severity.ERROR,
            f"{kind.label_id} berakhir ({out.fmt(stage.end, 'id')}) sebelum dimulai "
            f"({out.fmt(stage.start, 'id')}).",
            f"{kind.label_en} ends ({out.fmt(stage.end, 'en')}) before it starts "
            f"({out.fmt(stage.start, 'en')}).",
        )
    previous = tuple(after)
    earliest = schedule.latest(previous) if previous else None
    if earliest is not None and stage.start < earliest:
        ref = max((p for p in previous if schedule.moment(p) is not None), key=schedule.moment)
        out.add(
            f"{kind}.starts_before_{ref.stage}_{ref.edge}",
            kind,
            "order",
            earliest,
            stage.start,
            ORDER_SOURCE,
            Severity.ERROR,
            f"{kind.label_id} dimulai {out.fmt(stage.start, 'id')}, sebelum "
            f"{_point_label(ref, 'id')} ({out.fmt(earliest, 'id')}).",
            f"{kind.label_en} starts {out.fmt(stage.start, 'en')}, before "
            f"{_point_label(ref, 'en')} ({out.fmt(earliest, 'en')}).",
        )
    if kind.ends_on_working_moment and not cal.is_working_moment(stage.end):
        suggested = cal.end_on_working_day(stage.end)
        out.add(
            f"{kind}.end_not_working_moment",
            kind,
            "ends_on_working_moment",
            suggested,
            stage.end,
            SCHEDULE_BASIS_SOURCE,
            Severity.ERROR,
            f"{kind.label_id} harus berakhir pada hari dan jam kerja; "
            f"{out.fmt(stage.end, 'id')} bukan jam kerja (usul: {out.fmt(suggested, 'id')}).",
            f"{kind.label_en} must end on a working day within working hours; "
            f"{out.fmt(stage.end, 'en')} is not (suggested: {out.fmt(suggested, 'en')}).",
        )


def _check_gap(schedule: Schedule, rule: GapRule, ruleset: RuleSet, out: _Collector) -> None:
    frm = schedule.latest(rule.frm)
    to = schedule.moment(rule.to)
    if frm is None or to is None:
        return
    value = ruleset.rule(rule.rule_key)
    days = ruleset.days(rule.rule_key)
    unit_id = "hari kerja" if value.day_type is DayType.WORKING else "hari kalender"
    unit_en = "working days" if value.day_type is DayType.WORKING else "calendar days"
    ref = max((p for p in rule.frm if schedule.moment(p) is not None), key=schedule.moment)
    cal = out.calendar
    if rule.bound is Bound.MIN:
        bound = lower_bound(rule, frm, cal, ruleset)
        if to >= bound:
            return
        # Every minimum is an error whatever its confidence (RULES.md legend: V/S/D say how sure
        # the value is, not how binding), the bid guarantee window (S, pre-2018) included.
        severity, word_id, word_en = Severity.ERROR, "paling cepat", "at least"
    else:
        bound = upper_bound(rule, frm, cal, ruleset)
        if cal.local(to).date() <= cal.local(bound).date():
            return
        severity, word_id, word_en = Severity.WARNING, "paling lambat", "at most"
    why_id = " karena jaminan penawaran disyaratkan" if rule.bid_guarantee_only else ""
    why_en = " because a bid guarantee is required" if rule.bid_guarantee_only else ""
    out.add(
        rule.code,
        rule.to.stage,
        rule.rule_key,
        bound,
        to,
        f"{value.source} ({value.confidence})",
        severity,
        f"{_point_label(rule.to, 'id').capitalize()} harus {word_id} {days} {unit_id} setelah "
        f"{_point_label(ref, 'id')}{why_id}: batas {out.fmt(bound, 'id')}, dijadwalkan "
        f"{out.fmt(to, 'id')}.",
        f"{_point_label(rule.to, 'en').capitalize()} must be {word_en} {days} {unit_en} after "
        f"{_point_label(ref, 'en')}{why_en}: limit {out.fmt(bound, 'en')}, scheduled "
        f"{out.fmt(to, 'en')}.",
    )
