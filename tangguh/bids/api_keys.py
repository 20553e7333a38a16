"""Members' personal keys and the public sealing-key document over the API."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema, Status
from pydantic import Field

from tangguh.accounts.api import Strict, bearer
from tangguh.bids.sealing_document import sealing_key_document
from tangguh.bids.services.keys import member_key_enrol
from tangguh.core.errors import NotFound
from tangguh.domain.sealing.fingerprint import recipient_fingerprint
from tangguh.tenders.selectors import tender_get_public

router = Router(tags=["sealing keys"])
me_router = Router(tags=["sealing keys"])


class MemberKeyIn(Strict):
    recipient: str = Field(max_length=100)


class MemberKeyOut(Schema):
    recipient: str
    fingerprint: str
    enrolled_at: datetime


@me_router.post(
    "/member-key",
    auth=bearer,
    response={201: MemberKeyOut},
    summary="Enrol my personal age recipient (committee members)",
)
def enrol(request, payload: MemberKeyIn):
    key = member_key_enrol(actor=request.auth, recipient=payload.recipient)
    return Status(
        201,
        {
            "recipient": key.recipient,
            "fingerprint": recipient_fingerprint(key.recipient),
            "enrolled_at": key.enrolled_at,
        },
    )


@router.get("/{code}/sealing-key", summary="The signed sealing-key document")
def sealing_key(request, code: str):
    tender = tender_get_public(code)
    document = sealing_key_document(tender) if tender else None
    if document is None:
        raise NotFound(
            "tender.not_found", "Tender tidak ditemukan.", "Tender not found.", field="code"
        )
    return document
