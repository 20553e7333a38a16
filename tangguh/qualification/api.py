"""The qualification profile over the API: a company's users keep it; verifiers check it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import File, Router, Schema, Status, UploadedFile
from pydantic import Field

from tangguh import clock
from tangguh.accounts.api import Strict, bearer
from tangguh.accounts.services.permissions import permission_require
from tangguh.domain.roles import Permission
from tangguh.participation.http import blob_attachment
from tangguh.qualification.models import (
    BusinessSize,
    CapacityBasis,
    ItemKind,
    Ownership,
    QualificationItem,
    SbuLevel,
    TaxStatus,
)
from tangguh.qualification.selectors import (
    qualification_item_expired,
    qualification_item_values,
    qualification_items_pending,
    qualification_profile_view,
)
from tangguh.qualification.services.access import company_require_own_or_verifier
from tangguh.qualification.services.documents import (
    qualification_document_attach,
    qualification_document_read,
)
from tangguh.qualification.services.items import (
    qualification_item_add,
    qualification_item_delete,
    qualification_item_update,
)
from tangguh.qualification.services.verification import (
    qualification_item_reject,
    qualification_item_verify,
)

router = Router(tags=["qualification"])


class LicenceIn(Strict):
    kind: Literal["licence"]
    kbli_codes: list[str] = Field(max_length=50)
    business_size: BusinessSize


class SbuIn(Strict):
    kind: Literal["sbu"]
    number: str = Field(max_length=60)
    subclassification_code: str = Field(max_length=10)
    qualification_level: SbuLevel
    valid_until: date


class SkkIn(Strict):
    kind: Literal["skk"]
    holder_name: str = Field(max_length=200)
    number: str = Field(max_length=60)
    occupation: str = Field(max_length=200)
    level: int
    valid_until: date


class CapacityIn(Strict):
    kind: Literal["capacity"]
    basis: CapacityBasis
    amount: Decimal
    fiscal_year: int


class ExperienceIn(Strict):
    kind: Literal["experience"]
    contract_name: str = Field(max_length=300)
    client: str = Field(max_length=200)
    contract_value: Decimal
    year: int
    completed_on: date | None = None


class TaxIn(Strict):
    kind: Literal["tax"]
    reference: str = Field(max_length=100)
    status: TaxStatus
    valid_until: date


class StaffIn(Strict):
    kind: Literal["staff"]
    name: str = Field(max_length=200)
    position: str = Field(max_length=200)
    education: str = Field(max_length=100)
    experience_years: int


class EquipmentIn(Strict):
    kind: Literal["equipment"]
    name: str = Field(max_length=200)
    quantity: int
    capacity: str = Field(default="", max_length=100)
    ownership: Ownership


ItemIn = Annotated[
    LicenceIn | SbuIn | SkkIn | CapacityIn | ExperienceIn | TaxIn | StaffIn | EquipmentIn,
    Field(discriminator="kind"),
]


class DocumentOut(Schema):
    sha256: str
    size: int
    filename: str
    uploaded_at: datetime


class VerificationOut(Schema):
    status: str
    reason: str
    verified_at: datetime | None


class ItemOut(Schema):
    id: int
    kind: str
    company_id: int
    values: dict
    expired: bool
    document: DocumentOut | None
    verification: VerificationOut
    updated_at: datetime


class ProfileOut(Schema):
    company_id: int
    company_name: str
    nib: str
    company_status: str
    business_size: str | None
    items: list[ItemOut]


class RejectIn(Strict):
    reason: str = Field(max_length=2000)


def _item_out(item: QualificationItem) -> dict:
    document = None
    if item.document_sha256:
        document = {
            "sha256": item.document_sha256,
            "size": item.document_size,
            "filename": item.document_filename,
            "uploaded_at": item.document_uploaded_at,
        }
    return {
        "id": item.pk,
        "kind": item.kind.value,
        "company_id": item.profile.company_id,
        "values": qualification_item_values(item),
        "expired": qualification_item_expired(item, clock.now().date()),
        "document": document,
        "verification": {
            "status": item.verification,
            "reason": item.verification_reason,
            "verified_at": item.verified_at,
        },
        "updated_at": item.updated_at,
    }


def _values(payload: Schema) -> dict:
    return payload.model_dump()


@router.get("/companies/{company_id}", auth=bearer, response=ProfileOut, summary="A profile")
def profile(request, company_id: int):
    company = company_require_own_or_verifier(
        actor=request.auth, company_id=company_id, action="qualification.read"
    )
    view = qualification_profile_view(company)
    return {
        "company_id": company.pk,
        "company_name": company.name,
        "nib": company.nib,
        "company_status": company.status,
        "business_size": view.business_size.value if view.business_size else None,
        "items": [_item_out(item) for item in view.items],
    }


@router.post("/companies/{company_id}/items", auth=bearer, response={201: ItemOut})
def add_item(request, company_id: int, payload: ItemIn):
    item = qualification_item_add(
        actor=request.auth, company_id=company_id, kind=payload.kind, values=_values(payload)
    )
    return Status(201, _item_out(item))


@router.put("/companies/{company_id}/items/{kind}/{item_id}", auth=bearer, response=ItemOut)
def update_item(request, company_id: int, kind: ItemKind, item_id: int, payload: ItemIn):
    item = qualification_item_update(
        actor=request.auth,
        company_id=company_id,
        kind=kind,
        item_id=item_id,
        values=_values(payload),
    )
    return _item_out(item)


@router.delete("/companies/{company_id}/items/{kind}/{item_id}", auth=bearer, response={204: None})
def delete_item(request, company_id: int, kind: ItemKind, item_id: int):
    qualification_item_delete(actor=request.auth, company_id=company_id, kind=kind, item_id=item_id)
    return Status(204, None)


@router.post(
    "/companies/{company_id}/items/{kind}/{item_id}/document",
    auth=bearer,
    response=ItemOut,
    summary="Attach a supporting PDF (multipart field `file`, at most 20 MB)",
)
def attach_document(
    request, company_id: int, kind: ItemKind, item_id: int, file: File[UploadedFile]
):
    item = qualification_document_attach(
        actor=request.auth,
        company_id=company_id,
        kind=kind,
        item_id=item_id,
        handle=file,
        filename=file.name or "",
        declared_size=file.size,
    )
    return _item_out(item)


@router.get(
    "/companies/{company_id}/items/{kind}/{item_id}/document",
    auth=bearer,
    summary="Download a supporting PDF (the company's users, verifiers)",
)
def read_document(request, company_id: int, kind: ItemKind, item_id: int):
    item = qualification_document_read(
        actor=request.auth, company_id=company_id, kind=kind, item_id=item_id
    )
    return blob_attachment(
        sha256=item.document_sha256,
        filename=item.document_filename,
        content_type="application/pdf",
        size=item.document_size or 0,
    )


@router.get("/pending", auth=bearer, response=list[ItemOut], summary="The verifier's queue")
def pending(request):
    permission_require(
        user=request.auth, permission=Permission.VERIFY_VENDORS, action="qualification.pending"
    )
    return [_item_out(item) for item in qualification_items_pending()]


@router.post("/items/{kind}/{item_id}/verify", auth=bearer, response=ItemOut)
def verify(request, kind: ItemKind, item_id: int):
    return _item_out(qualification_item_verify(actor=request.auth, kind=kind, item_id=item_id))


@router.post("/items/{kind}/{item_id}/reject", auth=bearer, response=ItemOut)
def reject(request, kind: ItemKind, item_id: int, payload: RejectIn):
    item = qualification_item_reject(
        actor=request.auth, kind=kind, item_id=item_id, reason=payload.reason
    )
    return _item_out(item)
