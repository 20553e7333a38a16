"""Applying the outage extension policy to one tender, as a public schedule change.

The policy is the domain's (``tangguh.domain.outage.extend_for_outages``, RULES.md "Outage
extension policy"); this module only feeds it the schedule before outages and the full list of
counting outages, and records what it says: moved stages as a public schedule change with a
reason citing the outages (audited, published, participants notified), and decisions the
domain leaves to the Pokja.

Why not ``tenders.services.lifecycle.schedule_change_apply``: it refuses to move a stage that
has ended, and the first case of this policy is a bid window that ended while the node was down
(Mimika, June 2024). The change is written the same way — the stage rows, a ``ScheduleChange``
with cause ``outage``, the audit event ``tender.schedule_changed`` and the publication hook —
so every reader of schedule changes sees it like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import connection, transaction

from tangguh.accounts.selectors import users_with_role
from tangguh.audit.services import audit_append
from tangguh.core.calendar import node_calendar
from tangguh.domain.methods import Method, StageKind
from tangguh.domain.outage import DEFAULT_POLICY, POLICY_SOURCE, extend_for_outages
from tangguh.domain.roles import Role
from tangguh.domain.rulesets import ruleset_by_code
from tangguh.domain.schedule import Schedule, Stage, StageDiff, schedule_diff
from tangguh.domain.timefmt import format_moment_en, format_moment_id
from tangguh.notifications.messages import Message
from tangguh.notifications.selectors import tender_participant_users
from tangguh.notifications.services import notification_send
from tangguh.outages.models import (
    Outage,
    OutageDecision,
    OutageExtension,
    OutageSource,
    TenderOutageState,
)
from tangguh.outages.selectors import as_domain, opening_begun
from tangguh.tenders.models import ScheduleChange, Tender, TenderStage
from tangguh.tenders.publication import tender_published
from tangguh.tenders.selectors import tender_bid_guarantee_required, tender_schedule

TOO_LATE = "outage.extension_too_late"
SOURCE_LABELS = {
    OutageSource.DETECTED: ("terdeteksi dari heartbeat", "detected by the heartbeat"),
    OutageSource.DECLARED: ("dinyatakan administrator", "declared by the administrator"),
    OutageSource.PROBE: ("dilaporkan probe eksternal", "reported by an external probe"),
}


@dataclass
class TenderExtension:
    """What applying the outages did to one tender."""

    tender: Tender
    change: ScheduleChange | None = None
    decisions: list[OutageDecision] = field(default_factory=list)


# --- schedule as JSON (the state row) --------------------------------------------------------


def _to_json(schedule: Schedule) -> list[list[str]]:
    return [
        [s.kind.value, s.start.astimezone(UTC).isoformat(), s.end.astimezone(UTC).isoformat()]
        for s in schedule.stages
    ]


def _from_json(rows: list[list[str]]) -> Schedule:
    return Schedule(
        tuple(
            Stage(StageKind(kind), datetime.fromisoformat(start), datetime.fromisoformat(end))
            for kind, start, end in rows
        )
    )


def _lock(tender: Tender) -> Tender:
    query = Tender.objects.select_related("committee")
    if connection.features.has_select_for_update:
        query = query.select_for_update()
    return query.get(pk=tender.pk)


def _starting_point(
    state: TenderOutageState | None, current: Schedule
) -> tuple[Schedule, list[int]]:
    """The schedule before outages and the outages already inside it."""
    if state is None:
        return current, []
    if _to_json(current) != state.target:
        # The Pokja changed the schedule after our last extension: its change is the new
        # starting point, and the outages applied so far are part of it.
        return current, sorted({*state.baked, *state.applied})
    return _from_json(state.baseline), list(state.baked)


# --- the reason --------------------------------------------------------------------------------


def _overlapping(outages: list[Outage], stage: Stage | None) -> list[Outage]:
    if stage is None:
        return outages
    return [o for o in outages if o.start < stage.end and o.end > stage.start] or outages


def _cited(outages: list[Outage], diff: tuple[StageDiff, ...]) -> list[Outage]:
    spans = [(d.before.start, d.before.end) for d in diff]
    hit = [o for o in outages if any(o.start < end and o.end > start for start, end in spans)]
    return hit or outages


def outage_citation(outage: Outage) -> tuple[str, str]:
    """ "#3 (detected by the heartbeat, node): reason" in Indonesian and English."""
    label_id, label_en = SOURCE_LABELS[OutageSource(outage.source)]
    return (
        f"#{outage.pk} ({label_id}, {outage.scope}): {outage.reason}",
        f"#{outage.pk} ({label_en}, {outage.scope}): {outage.reason}",
    )


def _reason(result_changes, cited: list[Outage]) -> str:
    extended = [c for c in result_changes if c.lost]
    moved = [c for c in result_changes if not c.lost]
    text_id = ["Perpanjangan otomatis karena gangguan layanan."]
    text_en = ["Automatic extension for an outage."]
    for change in extended:
        text_id.append(f"{change.kind.label_id}: {change.reason_id}")
        text_en.append(f"{change.kind.label_en}: {change.reason_en}")
    if moved:
        text_id.append(
            "Tahap berikutnya digeser agar panjangnya tetap: "
            + ", ".join(c.kind.label_id for c in moved)
            + "."
        )
        text_en.append(
            "Later stages moved to keep their lengths: "
            + ", ".join(c.kind.label_en for c in moved)
            + "."
        )
    citations = [outage_citation(o) for o in cited]
    # An admin's reason often ends with a full stop already: do not print two.
    text_id.append(
        "Gangguan: " + "; ".join(c[0].rstrip(".") for c in citations) + ". Lihat /status."
    )
    text_en.append("Outages: " + "; ".join(c[1].rstrip(".") for c in citations) + ". See /status.")
    return " ".join(text_id) + "\n\n" + " ".join(text_en)


# --- applying --------------------------------------------------------------------------------


def tender_outage_extend(
    *, tender: Tender, outages: list[Outage], now: datetime
) -> TenderExtension:
    """Recompute the tender's schedule for every counting outage and record the difference.

    ``outages`` is the full list of counting outages (idempotence rests on it). Outages that
    ended before the tender was announced are not its concern.
    """
    calendar = node_calendar()
    with transaction.atomic():
        tender = _lock(tender)
        outcome = TenderExtension(tender)
        state = TenderOutageState.objects.filter(tender=tender).first()
        current = tender_schedule(tender)
        baseline, baked = _starting_point(state, current)
        counted = [
            o
            for o in outages
            if o.pk not in baked and (tender.announced_at is None or o.end > tender.announced_at)
        ]
        ids = sorted(o.pk for o in counted)
        try:
            ruleset = ruleset_by_code(tender.ruleset_code)
        except LookupError:
            ruleset = None
        result = extend_for_outages(
            baseline,
            [as_domain(o) for o in counted],
            calendar,
            DEFAULT_POLICY,
            opening_begun=opening_begun(tender),
            method=Method(tender.method) if ruleset is not None else None,
            ruleset=ruleset,
            bid_guarantee=ruleset is not None
            and tender_bid_guarantee_required(tender=tender, ruleset=ruleset),
        )
        diff = schedule_diff(current, result.schedule)
        too_late = [
            d for d in diff if d.kind in DEFAULT_POLICY.extended_stages and d.after.end <= now
        ]
        for decision in result.committee_decisions:
            outcome.decisions.append(
                _decision(
                    tender,
                    decision.kind,
                    decision.code,
                    _overlapping(counted, current.get(decision.kind)),
                    decision.message_id,
                    decision.message_en,
                    now,
                )
            )
        if too_late:
            # Time given back after it has passed helps no one and would rewrite history:
            # the schedule stays, and the Pokja decides (publicly) what to do instead.
            for moved in too_late:
                outcome.decisions.append(
                    _decision(
                        tender,
                        moved.kind,
                        TOO_LATE,
                        _overlapping(counted, moved.before),
                        "Gangguan dicatat setelah perpanjangan yang semestinya sudah lewat "
                        f"(seharusnya sampai {format_moment_id(moved.after.end, calendar)}); "
                        "jadwal tidak diubah otomatis. Pokja memutuskan secara terbuka.",
                        "The outage was recorded after the extension it calls for had passed "
                        f"(it would run to {format_moment_en(moved.after.end, calendar)}); the "
                        "schedule is not changed automatically. The Pokja decides publicly.",
                        now,
                    )
                )
            _save_state(tender, state, current, sorted({*baked, *ids}), [], current, now)
            return outcome
        if diff:
            outcome.change = _record_change(tender, diff, result.changes, counted, now)
            _save_state(tender, state, baseline, baked, ids, result.schedule, now)
        elif state is not None or outcome.decisions:
            _save_state(tender, state, baseline, baked, ids, current, now)
    return outcome


def _save_state(tender, state, baseline, baked, applied, target, now) -> None:
    values = {
        "baseline": _to_json(baseline),
        "target": _to_json(target),
        "baked": list(baked),
        "applied": list(applied),
        "updated_at": now,
    }
    if state is None:
        TenderOutageState.objects.create(tender=tender, **values)
        return
    for name, value in values.items():
        setattr(state, name, value)
    state.save()


def _record_change(tender, diff, changes, counted, now) -> ScheduleChange:
    cited = _cited(counted, diff)
    reason = _reason(changes, cited)
    rows = [
        {
            "stage": d.kind.value,
            "before": [d.before.start.isoformat(), d.before.end.isoformat()],
            "after": [d.after.start.isoformat(), d.after.end.isoformat()],
        }
        for d in diff
    ]
    for moved in diff:
        row = TenderStage.objects.get(tender=tender, kind=moved.kind.value)
        row.start, row.end = moved.after.start, moved.after.end
        row.changes += 1
        row.save(update_fields=["start", "end", "changes"])
    change = ScheduleChange.objects.create(
        tender=tender, at=now, actor=None, reason=reason, cause="outage", diff=rows
    )
    OutageExtension.objects.create(
        tender=tender,
        schedule_change=change,
        outage_ids=sorted(o.pk for o in cited),
        diff=rows,
        at=now,
    )
    audit_append(
        actor="system",
        action="tender.schedule_changed",
        object_type="tender",
        object_id=tender.pk,
        payload={
            "reason": reason,
            "cause": "outage",
            "diff": rows,
            "outages": sorted(o.pk for o in cited),
            "policy": POLICY_SOURCE,
        },
    )
    tender_published(tender=tender, event="schedule_changed", detail=reason)
    return change


def _decision(tender, kind, code, outages, message_id, message_en, now) -> OutageDecision:
    ids = sorted(o.pk for o in outages)
    decision, created = OutageDecision.objects.get_or_create(
        tender=tender,
        stage=kind.value,
        outage_key=",".join(str(i) for i in ids),
        defaults={
            "code": code,
            "outage_ids": ids,
            "message_id": message_id,
            "message_en": message_en,
            "raised_at": now,
        },
    )
    if created:
        audit_append(
            actor="system",
            action="outage.decision_required",
            object_type="tender",
            object_id=tender.pk,
            payload={"stage": kind.value, "code": code, "outages": ids},
        )
        _tell_decision_required(tender, kind, message_id, message_en)
    return decision


def _tell_decision_required(tender: Tender, kind: StageKind, message_id: str, message_en: str):
    members = users_with_role(Role.COMMITTEE_MEMBER, f"committee:{tender.committee_id}")
    recipients = list({u.pk: u for u in [*members, *tender_participant_users(tender)]}.values())
    notification_send(
        recipients=recipients,
        tender=tender,
        message=Message(
            "outage_decision",
            f"Gangguan layanan pada tender {tender.code}: Pokja memutuskan"[:200],
            f"Outage on tender {tender.code}: the Pokja decides"[:200],
            f"Tahap {kind.label_id} tender {tender.code} {tender.title} terkena gangguan "
            f"layanan. {message_id}",
            f"Stage {kind.label_en} of tender {tender.code} {tender.title} was hit by an "
            f"outage. {message_en}",
        ),
    )
