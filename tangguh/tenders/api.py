"""Tender preparation, announcement, schedule changes and cancellation (Pokja), and the
public detail ``GET /api/v1/tenders/{code}``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from tangguh.accounts.api import Strict, bearer
from tangguh.tenders.detail import tender_public_data
from tangguh.tenders.selectors import tender_find, tender_get_public, tender_not_found
from tangguh.tenders.services.documents import tender_document_add
from tangguh.tenders.services.lifecycle import (
    tender_announce,
    tender_cancel,
    tender_change_schedule,
)
from tangguh.tenders.services.setup import (
    tender_prepare,
    tender_propose_schedule,
    tender_set_schedule,
)

router = Router(tags=["tenders"])


class Requirement(Strict):
    text: str = Field(max_length=1000)
    kind: str = Field(default="other", max_length=40)


class PrepareIn(Strict):
    package_id: int
    method: str
    envelopes: int = 1
    evaluation_method: str
    technical_weight: int | None = None
    price_weight: int | None = None
    passing_score: int | None = None
    qualification_requirements: list[Requirement] = []


class StageIn(Strict):
    kind: str
    start: datetime
    end: datetime


class ScheduleIn(Strict):
    stages: list[StageIn]


class ScheduleChangeIn(Strict):
    stages: list[StageIn]
    reason: str = Field(max_length=2000)


class ProposeIn(Strict):
    announce_at: datetime | None = None


class CancelIn(Strict):
    reason: str = Field(max_length=2000)


class StageOut(Schema):
    kind: str
    label: str
    label_en: str
    start: datetime
    end: datetime
    changes: int
    current: bool


class DocumentOut(Schema):
    id: int
    title: str
    kind: str
    version: int
    filename: str
    sha256: str
    size: int
    uploaded_at: datetime


class ChangeOut(Schema):
    at: datetime
    reason: str
    cause: str
    diff: list[dict]


class TenderOut(Schema):
    code: str
    title: str
    agency: str
    work_unit: str
    category: str
    category_label: str
    method: str
    method_label: str
    envelopes: int
    evaluation_method: str
    evaluation_label: str
    fiscal_year: int
    budget: Decimal
    owner_estimate: Decimal
    location: str
    small_business_reserved: bool
    qualification_requirements: list[dict]
    created_at: datetime
    announced_at: datetime | None
    ruleset: str
    time_zone: str
    phase: str
    phase_label: str
    next_change: datetime | None
    current_stage: str | None
    bid_deadline: datetime | None
    cancelled: bool
    cancel_reason: str
    schedule: list[StageOut]
    documents: list[DocumentOut]
    schedule_changes: list[ChangeOut]


def _own(request, code: str):
    """The tender, or ``tender.not_found`` also for a draft the caller may not know of; the
    service then refuses (403) a caller who may see it but not act on it."""
    return tender_find(code, viewer=request.auth)


@router.post("/prepare", auth=bearer, response={201: TenderOut})
def prepare(request, payload: PrepareIn):
    data = payload.dict()
    data["qualification_requirements"] = [r for r in data["qualification_requirements"]]
    tender = tender_prepare(actor=request.auth, **data)
    return Status(201, tender_public_data(tender))


@router.post("/{code}/schedule/propose", auth=bearer, response=TenderOut)
def propose(request, code: str, payload: ProposeIn):
    tender = tender_propose_schedule(
        actor=request.auth, tender_id=_own(request, code).pk, announce_at=payload.announce_at
    )
    return tender_public_data(tender)


@router.put("/{code}/schedule", auth=bearer, response=TenderOut)
def set_schedule(request, code: str, payload: ScheduleIn):
    tender = tender_set_schedule(
        actor=request.auth,
        tender_id=_own(request, code).pk,
        stages=[(s.kind, s.start, s.end) for s in payload.stages],
    )
    return tender_public_data(tender)


@router.post("/{code}/documents", auth=bearer, response={201: DocumentOut})
def add_document(request, code: str, title: Form[str], file: File[UploadedFile]):
    document = tender_document_add(
        actor=request.auth,
        tender_id=_own(request, code).pk,
        title=title,
        filename=file.name or "",
        handle=file,
    )
    return Status(201, document)


@router.post("/{code}/announce", auth=bearer, response=TenderOut)
def announce(request, code: str):
    return tender_public_data(tender_announce(actor=request.auth, tender_id=_own(request, code).pk))


@router.post("/{code}/schedule-changes", auth=bearer, response={201: ChangeOut})
def change_schedule(request, code: str, payload: ScheduleChangeIn):
    change = tender_change_schedule(
        actor=request.auth,
        tender_id=_own(request, code).pk,
        stages=[(s.kind, s.start, s.end) for s in payload.stages],
        reason=payload.reason,
    )
    return Status(201, change)


@router.post("/{code}/cancel", auth=bearer, response=TenderOut)
def cancel(request, code: str, payload: CancelIn):
    tender = tender_cancel(
        actor=request.auth, tender_id=_own(request, code).pk, reason=payload.reason
    )
    return tender_public_data(tender)


# Declared last: "/{code}" would otherwise also match "/prepare" (Django tries URL
# patterns in order).
@router.get("/{code}", response=TenderOut, summary="Public tender detail")
def detail(request, code: str):
    tender = tender_get_public(code)
    if tender is None:
        raise tender_not_found()
    return tender_public_data(tender)
