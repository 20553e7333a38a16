"""Announcing a tender, changing its schedule in public, cancelling it."""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.audit.services import audit_append
from tangguh.bids.services.keys import sealing_keys_require_ready
from tangguh.core.calendar import node_calendar
from tangguh.core.errors import Conflict, InvalidInput
from tangguh.domain.methods import Method, StageKind
from tangguh.domain.rulesets import ruleset_by_code, ruleset_in_force
from tangguh.domain.schedule import Stage
from tangguh.domain.schedule_change import (
    ScheduleChange as DomainChange,
)
from tangguh.domain.schedule_change import (
    ScheduleChangeRefused,
    apply_schedule_change,
)
from tangguh.domain.schedule_validation import Severity, validate
from tangguh.tenders.models import ScheduleChange, Tender, TenderStage
from tangguh.tenders.publication import tender_published
from tangguh.tenders.selectors import tender_bid_guarantee_required, tender_schedule
from tangguh.tenders.services.common import require_draft, require_live, tender_for_committee
from tangguh.tenders.services.setup import schedule_violations_error


def tender_announce(*, actor: User, tender_id: int) -> Tender:
    """Publish the tender (tayang). Pins the rule set in force now; needs a valid schedule
    whose bid deadline is still ahead, at least one tender document, and sealing keys dealt
    to the current Pokja with every member's key check recorded (``tangguh.bids.services.keys``:
    a tender is never public with keys a member could not open)."""
    tender = tender_for_committee(actor=actor, tender_id=tender_id, action="tender.announce")
    require_draft(tender)
    require_live(tender)
    schedule = tender_schedule(tender)
    now = clock.now()
    if not schedule.stages or schedule.bid_deadline is None:
        raise InvalidInput(
            "tender.schedule_missing",
            "Jadwal tender belum disusun.",
            "The tender has no schedule yet.",
            field="stages",
        )
    if schedule.bid_deadline <= now:
        raise InvalidInput(
            "tender.deadline_passed",
            "Batas akhir penawaran sudah lewat; susun ulang jadwal.",
            "The bid deadline has passed; set the schedule again.",
            field="stages",
        )
    if not tender.documents.exists():
        raise InvalidInput(
            "tender.documents_missing",
            "Unggah Dokumen Pemilihan dahulu.",
            "Upload the tender documents first.",
            field="documents",
        )
    calendar = node_calendar()
    ruleset = ruleset_in_force(calendar.local(now))
    guarantee = tender_bid_guarantee_required(tender=tender, ruleset=ruleset)
    problems = [
        v
        for v in validate(
            schedule, calendar, ruleset, Method(tender.method), bid_guarantee=guarantee
        )
        if v.severity == Severity.ERROR
    ]
    if problems:
        raise schedule_violations_error(problems)
    with transaction.atomic():
        # Checked under the tender's lock, so a redeal cannot slip in between the check and
        # the publication.
        locked = Tender.objects
        if connection.features.has_select_for_update:
            locked = locked.select_for_update()
        tender = locked.get(pk=tender.pk)
        require_draft(tender)
        sealing_keys_require_ready(tender)
        tender.announced_at = now
        tender.ruleset_code = ruleset.code
        tender.save(update_fields=["announced_at", "ruleset_code"])
        audit_append(
            actor=actor,
            action="tender.announced",
            object_type="tender",
            object_id=tender.pk,
            payload={
                "code": tender.code,
                "ruleset": ruleset.code,
                "bid_deadline": schedule.bid_deadline.isoformat(),
            },
        )
        tender_published(tender=tender, event="announced")
    return tender


def tender_change_schedule(
    *,
    actor: User,
    tender_id: int,
    stages: list[tuple[str, datetime, datetime]],
    reason: str,
    cause: str = "committee",
) -> ScheduleChange:
    """Move stages of an announced tender, in public, with a reason. Refuses moving what is
    past and shortening a running rights-closing stage below its minimum (domain rules)."""
    tender = tender_for_committee(actor=actor, tender_id=tender_id, action="tender.reschedule")
    require_live(tender)
    if tender.announced_at is None:
        raise Conflict(
            "tender.not_announced",
            "Tender belum diumumkan; ubah jadwal draf secara langsung.",
            "The tender is not announced; edit the draft schedule instead.",
        )
    return schedule_change_apply(
        actor=actor, tender=tender, stages=stages, reason=reason, cause=cause
    )


def schedule_change_apply(
    *,
    actor: User | None,
    tender: Tender,
    stages: list[tuple[str, datetime, datetime]],
    reason: str,
    cause: str,
) -> ScheduleChange:
    """Apply and record a public schedule change (also used by addenda and outages)."""
    try:
        new_stages = tuple(Stage(StageKind(kind), start, end) for kind, start, end in stages)
    except ValueError as exc:
        raise InvalidInput(
            "schedule.stage_invalid",
            "Tahap tidak dikenal atau waktu tanpa zona.",
            "Unknown stage or a time without zone.",
            field="stages",
        ) from exc
    calendar = node_calendar()
    ruleset = ruleset_by_code(tender.ruleset_code)
    try:
        result = apply_schedule_change(
            tender_schedule(tender),
            DomainChange(new_stages, reason or ""),
            clock.now(),
            calendar=calendar,
            ruleset=ruleset,
            method=Method(tender.method),
            bid_guarantee=tender_bid_guarantee_required(tender=tender, ruleset=ruleset),
        )
    except ScheduleChangeRefused as exc:
        raise InvalidInput(
            exc.code,
            exc.message_id,
            exc.message_en,
            field="reason" if exc.code.endswith("reason_required") else "stages",
        ) from exc
    problems = [v for v in result.violations if v.severity == Severity.ERROR]
    if problems:
        raise schedule_violations_error(problems)
    if not result.diff:
        raise InvalidInput(
            "schedule.unchanged",
            "Jadwal tidak berubah.",
            "The schedule did not change.",
            field="stages",
        )
    diff = [
        {
            "stage": d.kind.value,
            "before": [d.before.start.isoformat(), d.before.end.isoformat()],
            "after": [d.after.start.isoformat(), d.after.end.isoformat()],
        }
        for d in result.diff
    ]
    with transaction.atomic():
        for moved in result.diff:
            row = TenderStage.objects.get(tender=tender, kind=moved.kind.value)
            row.start, row.end = moved.after.start, moved.after.end
            row.changes += 1
            row.save(update_fields=["start", "end", "changes"])
        change = ScheduleChange.objects.create(
            tender=tender, at=clock.now(), actor=actor, reason=result.reason, cause=cause, diff=diff
        )
        audit_append(
            actor=actor or "system",
            action="tender.schedule_changed",
            object_type="tender",
            object_id=tender.pk,
            payload={"reason": result.reason, "cause": cause, "diff": diff},
        )
        tender_published(tender=tender, event="schedule_changed", detail=result.reason)
    return change


def tender_cancel(*, actor: User, tender_id: int, reason: str) -> Tender:
    """Cancel a tender with a public reason (Perpres 16/2018 Ps 52 lineage: cancellation by
    the PA/KPA or on the Pokja's proposal; the reason is always published)."""
    tender = tender_for_committee(actor=actor, tender_id=tender_id, action="tender.cancel")
    require_live(tender)
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise InvalidInput(
            "tender.cancel_reason_required",
            "Alasan pembatalan wajib diisi (paling sedikit 10 karakter).",
            "A cancellation reason of at least 10 characters is required.",
            field="reason",
        )
    with transaction.atomic():
        tender.cancelled_at = clock.now()
        tender.cancel_reason = reason
        tender.save(update_fields=["cancelled_at", "cancel_reason"])
        audit_append(
            actor=actor,
            action="tender.cancelled",
            object_type="tender",
            object_id=tender.pk,
            payload={"reason": reason},
        )
        tender_published(tender=tender, event="cancelled", detail=reason)
    return tender
