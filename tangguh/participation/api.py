"""Participation over the API: the integrity pact, registering for a tender, downloading its
documents, the vendor's own tenders, and the blacklist copy."""

from __future__ import annotations

from datetime import date, datetime

from ninja import File, Router, Schema, Status, UploadedFile
from pydantic import Field

from tangguh import clock
from tangguh.accounts.api import Strict, bearer
from tangguh.accounts.selectors import user_grants
from tangguh.accounts.services.permissions import permission_require
from tangguh.core.errors import NotFound, permission_denied
from tangguh.domain.roles import NODE_SCOPE, Permission, is_allowed
from tangguh.participation.http import blob_attachment
from tangguh.participation.models import Participation
from tangguh.participation.selectors import (
    blacklist_entries,
    blacklist_last_sync,
    my_tenders,
    pact_for,
    participants_of,
    participation_get,
)
from tangguh.participation.services.blacklist import MAX_EXPORT_BYTES, blacklist_sync
from tangguh.participation.services.downloads import tender_document_download
from tangguh.participation.services.registration import (
    company_for_vendor,
    participation_register,
    tender_public_or_404,
)
from tangguh.vendors.selectors import vendor_companies_of

router = Router(tags=["participation"])
me_router = Router(tags=["participation"])
blacklist_router = Router(tags=["blacklist"])


class PactOut(Schema):
    tender: str
    company_id: int
    version: str
    text: str
    sha256: str


class RegisterIn(Strict):
    company_id: int | None = None
    accept_integrity_pact: bool
    pact_sha256: str = Field(max_length=64)


class ParticipationOut(Schema):
    tender: str
    company_id: int
    company_name: str
    registered_at: datetime
    registered_by: str
    pact_version: str
    pact_sha256: str
    pact_accepted_at: datetime
    business_size: str


class NextStepOut(Schema):
    code: str
    text: str
    text_id: str
    text_en: str
    due: datetime | None


class MyTenderOut(Schema):
    code: str
    title: str
    company_id: int
    company_name: str
    phase: str
    phase_label: str
    current_stage: str | None
    bid_deadline: datetime | None
    cancelled: bool
    next_step: NextStepOut


class SyncOut(Schema):
    at: datetime
    filename: str
    sha256: str
    entries: int


class EntryOut(Schema):
    npwp: str
    nib: str
    name: str
    starts_on: date
    ends_on: date | None
    decree_reference: str
    source: str


class BlacklistOut(Schema):
    last_sync: SyncOut | None
    entries: list[EntryOut]


def _participation_out(participation: Participation) -> dict:
    return {
        "tender": participation.tender.code,
        "company_id": participation.company_id,
        "company_name": participation.company.name,
        "registered_at": participation.registered_at,
        "registered_by": participation.registered_by.username,
        "pact_version": participation.pact_version,
        "pact_sha256": participation.pact_sha256,
        "pact_accepted_at": participation.pact_accepted_at,
        "business_size": participation.business_size,
    }


def _english(request) -> bool:
    return request.headers.get("Accept-Language", "").lower().startswith("en")


@router.get(
    "/{code}/integrity-pact",
    auth=bearer,
    response=PactOut,
    summary="The integrity pact to accept (its sha256 goes back with the registration)",
)
def integrity_pact(request, code: str, company_id: int | None = None):
    company = company_for_vendor(
        actor=request.auth, company_id=company_id, action="participation.pact"
    )
    tender = tender_public_or_404(code)
    pact = pact_for(user=request.auth, company=company, tender=tender)
    return {
        "tender": tender.code,
        "company_id": company.pk,
        "version": pact.version,
        "text": pact.text,
        "sha256": pact.sha256,
    }


@router.post(
    "/{code}/participation",
    auth=bearer,
    response={200: ParticipationOut, 201: ParticipationOut},
    summary="Register for a tender (201 new, 200 already registered)",
)
def register(request, code: str, payload: RegisterIn):
    participation, created = participation_register(
        actor=request.auth,
        tender_code=code,
        company_id=payload.company_id,
        accept_integrity_pact=payload.accept_integrity_pact,
        pact_sha256=payload.pact_sha256,
    )
    return Status(201 if created else 200, _participation_out(participation))


@router.get("/{code}/participation", auth=bearer, response=ParticipationOut)
def my_participation(request, code: str, company_id: int | None = None):
    company = company_for_vendor(
        actor=request.auth, company_id=company_id, action="participation.read"
    )
    participation = participation_get(tender_public_or_404(code), company)
    if participation is None:
        raise NotFound(
            "participation.not_registered",
            "Perusahaan Anda belum terdaftar pada tender ini.",
            "Your company is not registered for this tender.",
            field="code",
        )
    return _participation_out(participation)


@router.get("/{code}/participants", auth=bearer, response=list[ParticipationOut])
def participants(request, code: str):
    tender = tender_public_or_404(code)
    permission_require(
        user=request.auth,
        permission=Permission.PREPARE_TENDER,
        scope=f"committee:{tender.committee_id}",
        action="participation.list",
    )
    return [_participation_out(p) for p in participants_of(tender)]


@router.get(
    "/{code}/documents/{document_id}",
    auth=bearer,
    summary="Download a tender document (registered participants, the tender's Pokja)",
)
def download(request, code: str, document_id: int):
    document = tender_document_download(
        actor=request.auth, tender_code=code, document_id=document_id
    )
    return blob_attachment(
        sha256=document.sha256,
        filename=document.filename,
        content_type=document.content_type,
        size=document.size,
    )


@me_router.get(
    "/tenders", auth=bearer, response=list[MyTenderOut], summary="My tenders (Paket Saya)"
)
def mine(request):
    if not vendor_companies_of(request.auth):
        raise permission_denied(Permission.SUBMIT_BID.value)
    english = _english(request)
    rows = []
    for row in my_tenders(request.auth, clock.now()):
        step = row.next_step
        rows.append(
            {
                "code": row.tender.code,
                "title": row.tender.title,
                "company_id": row.participation.company_id,
                "company_name": row.participation.company.name,
                "phase": row.phase.name.lower(),
                "phase_label": row.phase.label_id,
                "current_stage": row.current_stage.value if row.current_stage else None,
                "bid_deadline": row.bid_deadline,
                "cancelled": row.tender.cancelled_at is not None,
                "next_step": {
                    "code": step.code,
                    "text": step.text_en if english else step.text_id,
                    "text_id": step.text_id,
                    "text_en": step.text_en,
                    "due": step.due,
                },
            }
        )
    return rows


@blacklist_router.get("", auth=bearer, response=BlacklistOut, summary="The local blacklist copy")
def blacklist(request, q: str = "", limit: int = 100, offset: int = 0):
    if not is_allowed(user_grants(request.auth), Permission.MANAGE_NODE, [NODE_SCOPE]):
        permission_require(
            user=request.auth, permission=Permission.VERIFY_VENDORS, action="blacklist.read"
        )
    sync = blacklist_last_sync()
    return {
        "last_sync": sync,
        "entries": blacklist_entries(query=q, limit=max(1, min(limit, 500)), offset=max(0, offset)),
    }


@blacklist_router.post(
    "/sync",
    auth=bearer,
    response={201: SyncOut},
    summary="Replace the local copy from a national export (multipart field `file`, JSON or CSV)",
)
def sync(request, file: File[UploadedFile]):
    return Status(
        201,
        blacklist_sync(
            actor=request.auth, data=file.read(MAX_EXPORT_BYTES + 1), filename=file.name or ""
        ),
    )
