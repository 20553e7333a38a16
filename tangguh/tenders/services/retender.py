"""A re-tender (tender ulang) after a failed tender (Perpres 16/2018 Ps 51(5)-(6)): a new draft
tender carrying the failed one's data. A package has exactly one tender, so the package is
copied too; the Pokja then sets a new schedule, deals new sealing keys and announces it as any
draft. The link back to the failed tender is kept by whoever decided the re-tender (the failure
record of ``tangguh.awards``) and in the audit log of both tenders."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.audit.services import audit_append
from tangguh.core.errors import Conflict, InvalidInput
from tangguh.planning.models import Package
from tangguh.tenders.models import DocumentKind, Tender, TenderDocument
from tangguh.tenders.services.common import tender_for_committee
from tangguh.tenders.services.setup import _next_code

REASON_MAX = 4000
# What a new draft carries from the failed tender's documents: the tender document and its
# addenda (as tender documents of the draft, for the Pokja to replace by a consolidated one).
# The minutes of the failed procedure stay with it.
CARRIED_DOCUMENTS = (DocumentKind.TENDER_DOCUMENT, DocumentKind.ADDENDUM)
SETTINGS = (
    "committee",
    "method",
    "envelopes",
    "evaluation_method",
    "technical_weight",
    "price_weight",
    "passing_score",
    "qualification_requirements",
    "small_business_reserved",
)


def tender_retender(*, actor: User, tender: Tender, reason: str) -> Tender:
    """Create the re-tender of ``tender``: a copy of its package and a draft tender with its
    method, envelopes, evaluation settings, qualification requirements and tender documents
    (the same stored bytes), but no schedule. Only the tender's own Pokja; audited on both.

    Runs in the caller's transaction when there is one (the caller records the link)."""
    tender = tender_for_committee(actor=actor, tender_id=tender.pk, action="tender.retender")
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise InvalidInput(
            "tender.retender_reason_required",
            "Alasan tender ulang wajib diisi.",
            "A reason for the re-tender is required.",
            field="reason",
        )
    if tender.announced_at is None:
        raise Conflict(
            "tender.not_announced",
            "Tender ulang hanya untuk tender yang sudah diumumkan.",
            "Only an announced tender can be re-tendered.",
        )
    now = clock.now()
    old = tender.package
    with transaction.atomic():
        package = Package.objects.create(
            work_unit=old.work_unit,
            plan_item=old.plan_item,
            fiscal_year=old.fiscal_year,
            title=old.title,
            category=old.category,
            budget=old.budget,
            owner_estimate=old.owner_estimate,
            location=old.location,
            created_by=actor,
            created_at=now,
            procurement_unit=old.procurement_unit,
            delegated_at=old.delegated_at,
            committee=tender.committee,
            assigned_at=now,
        )
        values = {name: getattr(tender, name) for name in SETTINGS}
        for _attempt in range(3):
            try:
                with transaction.atomic():
                    new = Tender.objects.create(
                        package=package,
                        code=_next_code(old.fiscal_year),
                        title=f"{tender.title} (Tender Ulang)"[:300],
                        created_at=now,
                        **values,
                    )
                break
            except IntegrityError:  # another draft took the same number; take the next
                continue
        else:
            raise Conflict("tender.code_busy", "Coba lagi.", "Please try again.")
        carried = [
            TenderDocument(
                tender=new,
                kind=DocumentKind.TENDER_DOCUMENT,
                title=(
                    document.title
                    if document.kind == DocumentKind.TENDER_DOCUMENT
                    else f"{document.title} (adendum tender {tender.code})"
                )[:200],
                filename=document.filename,
                content_type=document.content_type,
                sha256=document.sha256,
                size=document.size,
                version=document.version,
                uploaded_by=actor,
                uploaded_at=now,
                note=f"Dari tender {tender.code} / from tender {tender.code}",
            )
            for document in tender.documents.filter(kind__in=CARRIED_DOCUMENTS).order_by(
                "uploaded_at", "pk"
            )
        ]
        TenderDocument.objects.bulk_create(carried)
        payload = {
            "retender_of": tender.code,
            "new_tender": new.code,
            "package": package.pk,
            "reason": reason,
            "documents": [d.sha256 for d in carried],
        }
        audit_append(
            actor=actor,
            action="tender.retender_created",
            object_type="tender",
            object_id=new.pk,
            payload=payload,
        )
        audit_append(
            actor=actor,
            action="tender.retendered",
            object_type="tender",
            object_id=tender.pk,
            payload=payload,
        )
    return new
