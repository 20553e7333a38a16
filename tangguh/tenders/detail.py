"""The public picture of one tender, as plain data for the API and the page."""

from __future__ import annotations

from django.conf import settings

from tangguh import clock
from tangguh.domain.methods import Method, StageKind
from tangguh.tenders.models import Tender
from tangguh.tenders.selectors import tender_status


def tender_public_data(tender: Tender) -> dict:
    package = tender.package
    now = clock.now()
    status = tender_status(tender, now)
    return {
        "code": tender.code,
        "title": tender.title,
        "agency": package.work_unit.agency.name,
        "work_unit": package.work_unit.name,
        "category": package.category,
        "category_label": package.get_category_display(),
        "method": tender.method,
        "method_label": Method(tender.method).label_id,
        "envelopes": tender.envelopes,
        "evaluation_method": tender.evaluation_method,
        "evaluation_label": tender.get_evaluation_method_display(),
        "fiscal_year": package.fiscal_year,
        "budget": package.budget,
        "owner_estimate": package.owner_estimate,
        "location": package.location,
        "small_business_reserved": tender.small_business_reserved,
        "qualification_requirements": tender.qualification_requirements,
        "created_at": tender.created_at,
        "announced_at": tender.announced_at,
        "ruleset": tender.ruleset_code,
        "time_zone": settings.TIME_ZONE,
        "phase": status.phase.name.lower(),
        "phase_label": status.phase.label_id,
        "next_change": status.next_change,
        "current_stage": status.current_stage.value if status.current_stage else None,
        "bid_deadline": status.bid_deadline,
        "cancelled": tender.cancelled_at is not None,
        "cancel_reason": tender.cancel_reason,
        "schedule": [
            {
                "kind": s.kind,
                "label": StageKind(s.kind).label_id,
                "label_en": StageKind(s.kind).label_en,
                "start": s.start,
                "end": s.end,
                "changes": s.changes,
                "current": s.start <= now < s.end,
            }
            for s in tender.stages.order_by("position")
        ],
        "documents": [
            {
                "id": d.pk,
                "title": d.title,
                "kind": d.kind,
                "version": d.version,
                "filename": d.filename,
                "sha256": d.sha256,
                "size": d.size,
                "uploaded_at": d.uploaded_at,
            }
            for d in tender.documents.order_by("uploaded_at")
        ],
        "schedule_changes": [
            {"at": c.at, "reason": c.reason, "cause": c.cause, "diff": c.diff}
            for c in tender.schedule_changes.order_by("at")
        ],
    }
