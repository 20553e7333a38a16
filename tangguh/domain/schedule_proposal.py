"""The earliest valid schedule for a method, from the announcement moment.

Each stage starts when the stages it follows end (Perpres 16/2018 Ps 50 order), lasts its default
length (node-configurable, D), is pushed later by every minimum of the rule set (RULES.md "Time"),
and, when it closes a right, ends on a working day within working hours (SDP).
"""

from __future__ import annotations

import datetime as dt

from tangguh.domain.calendar import WorkingCalendar
from tangguh.domain.methods import Method
from tangguh.domain.rule_values import DayType
from tangguh.domain.rulesets import RuleSet
from tangguh.domain.schedule import Schedule, Stage
from tangguh.domain.schedule_validation import lower_bound
from tangguh.domain.stage_templates import Bound, Edge, Point, StageSpec, template_for


def propose_schedule(
    announce_at: dt.datetime,
    method: Method,
    calendar: WorkingCalendar,
    ruleset: RuleSet,
    *,
    include_optional: bool = False,
    bid_guarantee: bool = False,
) -> Schedule:
    """The earliest schedule that validates without errors, starting at ``announce_at``.

    Every stage ends after it starts, so the Pokja can save the proposal unchanged with
    ``PUT /schedule`` (``schedule_validation.stage_times_valid``); stages with no default length
    are the ones a rule minimum lengthens.

    ``include_optional`` adds the appeal stages (sanggah banding, construction only, Perpres
    16/2018 Ps 50(2)).

    ``bid_guarantee``: the tender's bids must carry a bid guarantee, so the bid window also lasts
    the rule set's minimum for that (``schedule_validation.validate`` with the same flag).
    """
    template = template_for(method)
    rules = template.rules_for(bid_guarantee=bid_guarantee)
    specs = [s for s in template.stages if include_optional or not s.optional]
    schedule = Schedule(())
    for spec in specs:
        begin = _start(spec, schedule, calendar.local(announce_at), calendar)
        finish = _length_end(spec, begin, calendar)
        # A rule may count from the stage's own start (the bid window with a guarantee), so the
        # stage being placed counts too, with its start.
        placed = Schedule((*schedule.stages, Stage(spec.kind, begin, begin)))
        for rule in rules:
            if rule.bound is Bound.MIN and rule.to == Point(spec.kind, Edge.END):
                frm = placed.latest(rule.frm)
                if frm is not None:
                    finish = max(finish, lower_bound(rule, frm, calendar, ruleset))
        if spec.kind.ends_on_working_moment:
            finish = calendar.end_on_working_day(finish)
        schedule = Schedule((*schedule.stages, Stage(spec.kind, begin, calendar.local(finish))))
    return schedule


def _start(
    spec: StageSpec, schedule: Schedule, announce_at: dt.datetime, calendar: WorkingCalendar
) -> dt.datetime:
    previous = schedule.latest(spec.after)
    begin = announce_at if previous is None else previous
    if spec.start_offset_days:
        begin = calendar.next_working_moment(
            calendar.add_calendar_days(begin, spec.start_offset_days)
        )
    return calendar.local(begin)


def _length_end(spec: StageSpec, begin: dt.datetime, calendar: WorkingCalendar) -> dt.datetime:
    if spec.default_length == 0:
        return begin
    if spec.length_day_type is DayType.WORKING:
        return calendar.add_working_days(begin, spec.default_length)
    return calendar.add_calendar_days(begin, spec.default_length)
