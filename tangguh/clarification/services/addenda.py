"""Addenda (adendum dokumen pemilihan): a new version of a tender document with a description.

An addendum must leave at least ``bid_after_addendum_min_working_days`` working days before the
bid deadline (RULES.md "Bid submission after the last addendum", default 3, our default D; the
value comes from the rule set pinned on the tender). When it would not, the schedule change is
required in the same request and applied in the same transaction, publicly, as a schedule
change caused by the addendum.
"""

from __future__ import annotations

from datetime import datetime
from typing import BinaryIO

from django.db import transaction
from django.db.models import Max

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.audit.services import audit_append
from tangguh.clarification.models import Addendum
from tangguh.clarification.services.common import (
    moment_en,
    moment_id,
    require_announced_live,
    tender_lock,
)
from tangguh.core.calendar import node_calendar
from tangguh.core.errors import Conflict, InvalidInput
from tangguh.domain.methods import StageKind
from tangguh.domain.rulesets import ruleset_by_code
from tangguh.tenders.models import DocumentKind, Tender, TenderDocument
from tangguh.tenders.publication import tender_published
from tangguh.tenders.selectors import tender_schedule
from tangguh.tenders.services.common import tender_for_committee
from tangguh.tenders.services.documents import document_record, document_store
from tangguh.tenders.services.lifecycle import schedule_change_apply

RULE = "bid_after_addendum_min_working_days"
StageTimes = list[tuple[str, datetime, datetime]]


def addendum_earliest_deadline(*, tender: Tender, at: datetime) -> tuple[int, datetime]:
    """(minimum working days, earliest bid deadline) for an addendum issued at ``at``."""
    minimum = ruleset_by_code(tender.ruleset_code).days(RULE)
    return minimum, node_calendar().add_working_days(at, minimum)


def addendum_issue(
    *,
    actor: User,
    tender_id: int,
    description: str,
    filename: str,
    handle: BinaryIO,
    amends_document_id: int | None = None,
    title: str = "",
    stages: StageTimes | None = None,
    reason: str = "",
) -> Addendum:
    """The Pokja issues an addendum: a new document version, described, told to participants.

    ``stages`` (with ``reason``) is a schedule change applied with it; it is required when the
    current bid deadline is earlier than the minimum the rule set leaves after an addendum.
    """
    tender = tender_for_committee(actor=actor, tender_id=tender_id, action="addendum.issue")
    require_announced_live(tender)
    now = clock.now()
    deadline = tender_schedule(tender).bid_deadline
    if deadline is None or now >= deadline:
        raise Conflict(
            "addendum.after_bid_deadline",
            "Batas akhir penawaran sudah lewat; adendum tidak dapat diterbitkan.",
            "The bid deadline has passed; no addendum can be issued.",
        )
    description = (description or "").strip()
    if not 10 <= len(description) <= 4000:
        raise InvalidInput(
            "addendum.description_required",
            "Uraian adendum wajib diisi (10–4000 karakter): apa yang berubah dan mengapa.",
            "An addendum description of 10–4000 characters is required: what changed and why.",
            field="description",
        )
    amends = _amended_document(tender, amends_document_id)
    title = amends.title if amends else (title or "").strip()
    if not 3 <= len(title) <= 200:
        raise InvalidInput(
            "addendum.title_required",
            "Sebutkan dokumen yang diubah (amends_document_id) atau judul adendum (3–200).",
            "Name the amended document (amends_document_id) or an addendum title (3–200).",
            field="title",
        )
    _require_time_left(tender, now, deadline, stages)
    stored = document_store(filename=filename, handle=handle)
    with transaction.atomic():
        tender_lock(tender)
        number = (Addendum.objects.filter(tender=tender).aggregate(n=Max("number"))["n"] or 0) + 1
        document = document_record(
            actor=actor,
            tender=tender,
            title=title,
            filename=filename,
            stored=stored,
            kind=DocumentKind.ADDENDUM,
            note=description,
        )
        change = None
        if stages:
            change = schedule_change_apply(
                actor=actor,
                tender=tender,
                stages=stages,
                reason=(reason or "").strip() or f"Adendum {number}: {description}",
                cause="addendum",
            )
        addendum = Addendum.objects.create(
            tender=tender,
            number=number,
            document=document,
            amends=amends,
            description=description,
            schedule_change=change,
            issued_by=actor,
            issued_at=now,
        )
        audit_append(
            actor=actor,
            action="addendum.issued",
            object_type="tender",
            object_id=tender.pk,
            payload={
                "addendum": addendum.pk,
                "number": number,
                "document": document.pk,
                "sha256": document.sha256,
                "amends": amends.pk if amends else None,
                "schedule_change": change.pk if change else None,
            },
        )
        # One hook for every public change: the search index, the OCDS release and the
        # participants' notification (told once, here; a schedule change applied with the
        # addendum tells them of the new schedule under its own event).
        tender_published(tender=tender, event="addendum", detail=f"Adendum {number}: {description}")
    return addendum


def _amended_document(tender: Tender, document_id: int | None) -> TenderDocument | None:
    if document_id is None:
        return None
    document = tender.documents.filter(
        pk=document_id, kind__in=[DocumentKind.TENDER_DOCUMENT, DocumentKind.ADDENDUM]
    ).first()
    if document is None:
        raise InvalidInput(
            "addendum.amended_document_not_found",
            "Dokumen yang diubah tidak ditemukan di antara dokumen pemilihan tender ini.",
            "The amended document is not one of this tender's documents.",
            field="amends_document_id",
        )
    return document


def _require_time_left(
    tender: Tender, now: datetime, deadline: datetime, stages: StageTimes | None
) -> None:
    """Refuse an addendum that leaves less than the minimum before the (new) bid deadline."""
    minimum, earliest = addendum_earliest_deadline(tender=tender, at=now)
    new_deadline = deadline
    for kind, _start, end in stages or []:
        if kind == StageKind.BID_SUBMISSION.value:
            new_deadline = end
    if new_deadline >= earliest:
        return
    changing = bool(stages)
    raise InvalidInput(
        "addendum.schedule_change_required",
        (
            f"Adendum harus menyisakan paling sedikit {minimum} hari kerja sebelum batas akhir "
            f"penawaran. Batas akhir {'yang diusulkan' if changing else 'saat ini'} "
            f"{moment_id(new_deadline)}; ubah jadwal dalam permintaan yang sama dengan batas "
            f"akhir penawaran paling cepat {moment_id(earliest)} beserta tahap sesudahnya."
        ),
        (
            f"An addendum must leave at least {minimum} working days before the bid deadline. "
            f"The {'proposed' if changing else 'current'} deadline is {moment_en(new_deadline)}; "
            f"change the schedule in the same request, with a bid deadline no earlier than "
            f"{moment_en(earliest)} and the stages after it."
        ),
        field="stages",
        details=[
            {
                "rule": RULE,
                "minimum_working_days": minimum,
                "earliest_bid_deadline": node_calendar().local(earliest).isoformat(),
                "bid_deadline": node_calendar().local(new_deadline).isoformat(),
            }
        ],
    )
