"""The clarification minutes (BA Pemberian Penjelasan): a PDF made from the questions and
answers, stored by content and published as a tender document with its SHA-256."""

from __future__ import annotations

import io

from django.conf import settings
from django.db import transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.audit.services import audit_append
from tangguh.clarification.models import ClarificationMinutes
from tangguh.clarification.pdf import render_pdf
from tangguh.clarification.selectors import (
    clarification_stage,
    tender_addenda,
    tender_questions,
)
from tangguh.clarification.services.common import (
    moment_en,
    moment_id,
    require_announced_live,
)
from tangguh.core.calendar import node_calendar
from tangguh.core.errors import Conflict
from tangguh.domain.methods import Method
from tangguh.notifications.services import notify_tender_participants
from tangguh.organizations.selectors import node_get
from tangguh.tenders.models import DocumentKind, Tender
from tangguh.tenders.selectors import tender_schedule
from tangguh.tenders.services.common import tender_for_committee
from tangguh.tenders.services.documents import document_record, document_store

MINUTES_TITLE = "Berita Acara Pemberian Penjelasan"


def minutes_publish(*, actor: User, tender_id: int) -> ClarificationMinutes:
    """The Pokja publishes the minutes once the clarification stage has begun. Publishing again
    (after late answers or an addendum) makes a new version; earlier ones stay public."""
    tender = tender_for_committee(actor=actor, tender_id=tender_id, action="minutes.publish")
    require_announced_live(tender)
    stage = clarification_stage(tender)
    now = clock.now()
    if stage is None or now < stage.start:
        when_id = moment_id(stage.start) if stage else "-"
        when_en = moment_en(stage.start) if stage else "-"
        raise Conflict(
            "minutes.too_early",
            f"Berita Acara Pemberian Penjelasan dapat diterbitkan setelah tahap Pemberian "
            f"Penjelasan dimulai ({when_id}).",
            f"The clarification minutes can be published once the clarification stage has "
            f"begun ({when_en}).",
        )
    questions = tender_questions(tender)
    answered = sum(1 for q in questions if q.answered_at is not None)
    pdf = render_pdf(
        template="clarification/minutes.html", context=minutes_context(tender, questions, now)
    )
    filename = f"ba-pemberian-penjelasan-{tender.code}.pdf"
    stored = document_store(filename=filename, handle=io.BytesIO(pdf))
    with transaction.atomic():
        document = document_record(
            actor=actor,
            tender=tender,
            title=MINUTES_TITLE,
            filename=filename,
            stored=stored,
            kind=DocumentKind.MINUTES,
        )
        minutes = ClarificationMinutes.objects.create(
            tender=tender,
            document=document,
            questions=len(questions),
            answered=answered,
            published_by=actor,
            published_at=now,
        )
        audit_append(
            actor=actor,
            action="minutes.published",
            object_type="tender",
            object_id=tender.pk,
            payload={
                "minutes": minutes.pk,
                "document": document.pk,
                "sha256": document.sha256,
                "version": document.version,
                "questions": len(questions),
                "answered": answered,
            },
        )
        notify_tender_participants(
            tender=tender,
            event="minutes",
            detail=f"{MINUTES_TITLE} v{document.version}, SHA-256 {document.sha256}",
        )
    return minutes


def minutes_context(tender: Tender, questions: list, now) -> dict:
    """Plain values for the minutes template: every time in the node's zone, zone named."""
    calendar = node_calendar()
    stage = clarification_stage(tender)
    deadline = tender_schedule(tender).bid_deadline
    package = tender.package
    current = node_get()
    return {
        "sandbox": settings.TANGGUH_ENV == "sandbox",
        "node_name": current.name if current else settings.TANGGUH_NODE_NAME,
        "tender": {
            "code": tender.code,
            "title": tender.title,
            "agency": package.work_unit.agency.name,
            "work_unit": package.work_unit.name,
            "method": Method(tender.method).label_id,
            "fiscal_year": package.fiscal_year,
            "committee": tender.committee.name,
        },
        "zone": {"abbreviation": calendar.zone_abbreviation, "name": calendar.zone},
        "stage": {"start": moment_id(stage.start), "end": moment_id(stage.end)} if stage else None,
        "bid_deadline": moment_id(deadline) if deadline else "-",
        "questions": [
            {
                "number": q.number,
                "section": q.section,
                "text": q.text,
                "asked_at": moment_id(q.asked_at),
                "answer": q.answer,
                "answered_at": moment_id(q.answered_at) if q.answered_at else "",
            }
            for q in questions
        ],
        "answered": sum(1 for q in questions if q.answered_at is not None),
        "addenda": [
            {"number": a.number, "description": a.description, "issued_at": moment_id(a.issued_at)}
            for a in tender_addenda(tender)
        ],
        "published_at": moment_id(now),
    }
