"""Extension of rights-closing stages after an outage (gangguan sistem).

Law: the Pokja may cancel, or move the schedule by the time lost, recording it in minutes
(Perka LKPP 1/2015, secondary). Our policy (RULES.md "Outage extension policy", D): participants
regain the time they lost. For each rights-closing stage an outage overlaps, the new end is the
old end plus the overlap rounded up to whole days, moved to the next working day keeping its time
of day within working hours; while less than one full working day (of the day the new end falls
on) lies between service returning and the new end, the end moves one more working day. Later
stages shift to keep their lengths. Once opening has begun the bid window is never extended: the
Pokja decides publicly (SPEC "Outage resilience").

A shifted stage that closes a right or a duty (``StageKind.ends_on_working_moment``) is moved on
to a working moment, never earlier, so the shifted schedule passes the validator the Pokja's own
edits pass. Other stages (evaluation, award, announcements, SPPBJ, contract) keep the shifted time
and may end on a weekend or holiday: RULES.md "Schedule basis" (SDP) asks a working end only of
the rights-closing stages, and moving them would lengthen them for no one's right.

The result is always computed from the schedule before any outage and the full outage list, so
computing it again changes nothing, and the order of outages does not matter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from tangguh.domain.calendar import WorkingCalendar
from tangguh.domain.methods import BID_WINDOW, CLOSES_PARTICIPANT_RIGHT, Method, StageKind
from tangguh.domain.rulesets import RuleSet
from tangguh.domain.schedule import Schedule, Stage
from tangguh.domain.schedule_validation import lower_bound
from tangguh.domain.stage_templates import Bound, Edge, Point, template_for
from tangguh.domain.timefmt import format_moment_en, format_moment_id

_DAY = dt.timedelta(days=1)
POLICY_SOURCE = "Perka LKPP 1/2015 (S); Tangguh outage extension policy (D), RULES.md"


@dataclass(frozen=True)
class Outage:
    """A period in which the service could not be used (heartbeat gap, probe, or declared)."""

    start: dt.datetime
    end: dt.datetime
    reason: str = ""

    def __post_init__(self) -> None:
        for moment in (self.start, self.end):
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise ValueError("domain time must be zone-aware")
        if self.end <= self.start:
            raise ValueError("an outage must end after it starts")


@dataclass(frozen=True)
class OutagePolicy:
    """The node's outage extension policy (our default, configurable; RULES.md)."""

    extended_stages: frozenset[StageKind] = CLOSES_PARTICIPANT_RIGHT
    round_up_to: dt.timedelta = _DAY
    full_working_day_after_return: bool = True


DEFAULT_POLICY = OutagePolicy()


@dataclass(frozen=True)
class OutageChange:
    """One stage moved because of outages, with the time lost inside it and the reason."""

    kind: StageKind
    before: Stage
    after: Stage
    lost: dt.timedelta
    reason_id: str
    reason_en: str


@dataclass(frozen=True)
class CommitteeDecisionRequired:
    """An outage hit the bid window after opening began: the Pokja must decide publicly."""

    kind: StageKind
    outages: tuple[Outage, ...]
    code: str = "outage.committee_must_decide"
    message_id: str = (
        "Pembukaan penawaran sudah dimulai; masa pemasukan penawaran tidak diperpanjang otomatis. "
        "Pokja memutuskan secara terbuka: pemasukan ulang dengan kunci baru atau tender gagal."
    )
    message_en: str = (
        "Opening has begun; the bid window is not extended automatically. The Pokja decides "
        "publicly between re-submission with fresh keys and a failed tender."
    )


@dataclass(frozen=True)
class OutageExtension:
    """The schedule after outages, what changed and why, and decisions left to the committee."""

    schedule: Schedule
    changes: tuple[OutageChange, ...] = ()
    committee_decisions: tuple[CommitteeDecisionRequired, ...] = field(default=())


def merge_outages(outages: list[Outage] | tuple[Outage, ...]) -> tuple[Outage, ...]:
    """Outages sorted by start, overlapping or touching ones merged into one."""
    merged: list[Outage] = []
    for item in sorted(outages, key=lambda o: (o.start, o.end)):
        if merged and item.start <= merged[-1].end:
            last = merged[-1]
            reasons = "; ".join(r for r in dict.fromkeys((last.reason, item.reason)) if r)
            merged[-1] = Outage(last.start, max(last.end, item.end), reasons)
        else:
            merged.append(item)
    return tuple(merged)


def _overlap(outages: tuple[Outage, ...], start: dt.datetime, end: dt.datetime):
    hit = tuple(o for o in outages if o.start < end and o.end > start)
    lost = sum((min(o.end, end) - max(o.start, start) for o in hit), dt.timedelta(0))
    return hit, lost


def _round_up(lost: dt.timedelta, unit: dt.timedelta) -> dt.timedelta:
    return -(-lost // unit) * unit


def _extend_end(
    end: dt.datetime,
    lost: dt.timedelta,
    service_returned: dt.datetime,
    calendar: WorkingCalendar,
    policy: OutagePolicy,
) -> dt.datetime:
    local = calendar.local(end)
    days = _round_up(lost, policy.round_up_to)
    wall = dt.datetime.combine(local.date(), local.time()) + days
    new_end = calendar.end_on_working_day(wall.replace(tzinfo=calendar.tz))
    if not policy.full_working_day_after_return:
        return new_end
    while calendar.working_hours_between(service_returned, new_end) < calendar.working_day_length(
        calendar.local(new_end).date()
    ):
        day = calendar.next_working_day(calendar.local(new_end).date(), strictly_after=True)
        hours = calendar.hours_on(day)
        kept = min(max(calendar.local(new_end).time(), hours.opens), hours.closes)
        new_end = calendar.at(day, kept)
    return new_end


def extend_for_outages(
    schedule: Schedule,
    outages: list[Outage] | tuple[Outage, ...],
    calendar: WorkingCalendar,
    policy: OutagePolicy = DEFAULT_POLICY,
    *,
    opening_begun: bool = False,
    method: Method | None = None,
    ruleset: RuleSet | None = None,
    bid_guarantee: bool = False,
) -> OutageExtension:
    """Extend the stages of ``schedule`` (the schedule before any outage) for ``outages``.

    With ``method`` and ``ruleset`` the minimums of the method's template are applied again to
    shifted stages, so a schedule that validated still validates; ``bid_guarantee`` as for
    ``schedule_validation.validate`` (the bid window when bids must carry a guarantee).
    """
    merged = merge_outages(outages)
    if not merged:
        return OutageExtension(schedule)
    rules = (
        template_for(method).rules_for(bid_guarantee=bid_guarantee)
        if method is not None and ruleset is not None
        else ()
    )
    end_shifts: list[tuple[dt.datetime, dt.timedelta]] = []
    new_schedule = Schedule(())
    changes: list[OutageChange] = []
    decisions: list[CommitteeDecisionRequired] = []
    for old in schedule.stages:
        shift = max(
            (s for old_end, s in end_shifts if old_end <= old.start), default=dt.timedelta(0)
        )
        begin, finish = old.start + shift, old.end + shift
        # A rule may count from the stage's own (shifted) start: the bid window with a guarantee.
        placed = Schedule((*new_schedule.stages, Stage(old.kind, begin, begin)))
        for rule in rules:
            if rule.bound is Bound.MIN and rule.to == Point(old.kind, Edge.END):
                frm = placed.latest(rule.frm)
                if frm is not None and shift:
                    finish = max(finish, lower_bound(rule, frm, calendar, ruleset))
        if old.kind.ends_on_working_moment and finish != old.end:
            finish = calendar.end_on_working_day(finish)
        hit, lost = _overlap(merged, begin, finish)
        extended = False
        if lost and old.kind in policy.extended_stages:
            if opening_begun and old.kind in BID_WINDOW:
                decisions.append(CommitteeDecisionRequired(old.kind, hit))
            else:
                returned = max(o.end for o in hit)
                finish = _extend_end(finish, lost, returned, calendar, policy)
                extended = True
        new = Stage(old.kind, calendar.local(begin), calendar.local(finish))
        new_schedule = Schedule((*new_schedule.stages, new))
        end_shifts.append((old.end, new.end - old.end))
        if new.start != old.start or new.end != old.end:
            changes.append(_change(old, new, hit, lost if extended else None, calendar))
    return OutageExtension(new_schedule, tuple(changes), tuple(decisions))


def _change(old, new, hit, lost, calendar) -> OutageChange:
    # ``lost`` is None unless the stage itself was extended: a bid window left to the Pokja once
    # opening has begun may still move with earlier stages, and then it was only shifted.
    if lost is not None and new.end != old.end:
        spans_id = ", ".join(
            f"{format_moment_id(o.start, calendar)} s.d. {format_moment_id(o.end, calendar)}"
            for o in hit
        )
        spans_en = ", ".join(
            f"{format_moment_en(o.start, calendar)} to {format_moment_en(o.end, calendar)}"
            for o in hit
        )
        hours = round(lost / dt.timedelta(hours=1), 1)
        return OutageChange(
            old.kind,
            old,
            new,
            lost,
            f"Diperpanjang karena gangguan sistem {spans_id} ({hours} jam hilang). "
            f"Dasar: {POLICY_SOURCE}.",
            f"Extended for the outage {spans_en} ({hours} hours lost). Basis: {POLICY_SOURCE}.",
        )
    return OutageChange(
        old.kind,
        old,
        new,
        dt.timedelta(0),
        "Digeser agar panjang tahap tetap setelah perpanjangan karena gangguan sistem.",
        "Moved to keep its length after an extension for an outage.",
    )
