"""Members' personal keys, dealing a tender's sealing keys, members' key checks, and the public
sealing-key document over the API.

- ``POST /me/member-key``: a committee member enrols their personal age recipient.
- ``POST /tenders/{code}/sealing-keys/deal`` and ``…/redeal`` (the tender's Pokja, on a draft)
  and ``GET /tenders/{code}/sealing-keys/status`` (the Pokja: who has checked).
- ``GET /tenders/{code}/sealing-key/shares/mine``: a member's sealed shares (ASCII-armored age).
- ``POST /tenders/{code}/sealing-key/checks``: a member proves a share opens.
- ``GET /tenders/{code}/sealing-key``: the signed document vendors seal to (public, announced).
"""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema, Status
from pydantic import Field

from tangguh.accounts.api import Strict, bearer, browser_or_bearer
from tangguh.bids.models import KeyShare, SealingKey
from tangguh.bids.sealing_document import sealing_key_document
from tangguh.bids.services.keys import (
    KeysReadiness,
    is_tender_member,
    key_share_check,
    key_shares_mine,
    member_key_enrol,
    sealing_keys_readiness,
    tender_keys_deal,
    tender_keys_redeal,
)
from tangguh.bids.services.receipts import rfc3339
from tangguh.core.errors import NotFound, PermissionDenied
from tangguh.domain.sealing.fingerprint import recipient_fingerprint
from tangguh.domain.sealing.kit import armor
from tangguh.tenders.selectors import tender_find, tender_get_public

router = Router(tags=["sealing keys"])
me_router = Router(tags=["sealing keys"])


class MemberKeyIn(Strict):
    recipient: str = Field(max_length=100)


class MemberKeyOut(Schema):
    recipient: str
    fingerprint: str
    enrolled_at: datetime


class RedealIn(Strict):
    reason: str = Field(default="", max_length=500)


class CheckIn(Strict):
    envelope: str = Field(max_length=10)
    commitment: str = Field(max_length=100)
    lot: int = 1


def _tender(request, code: str):
    """Keys are dealt and checked on a draft: one only its own people may know of is
    ``tender.not_found``, like a code that does not exist (``tender_find``)."""
    return tender_find(code, viewer=request.auth)


@me_router.post(
    "/member-key",
    auth=browser_or_bearer,
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


def _time(value: datetime | None) -> str | None:
    return rfc3339(value) if value else None


def _keys_out(tender, readiness: KeysReadiness) -> dict:
    shares: dict[int, list[KeyShare]] = {}
    for share in (
        KeyShare.objects.filter(sealing_key__in=readiness.keys)
        .select_related("holder")
        .order_by("index")
    ):
        shares.setdefault(share.sealing_key_id, []).append(share)
    return {
        "tender": tender.code,
        "ready": readiness.ready,
        "stale": readiness.stale,
        "envelopes": [
            {
                "name": key.envelope,
                "lot": key.lot,
                "recipient": key.recipient,
                "fingerprint": key.fingerprint,
                "k": key.k,
                "n": key.n,
                "dealt_on": key.dealt_on,
                "dealt_at": rfc3339(key.dealt_at),
                "shares": [
                    {
                        "index": s.index,
                        "holder": s.holder.username if s.holder else None,
                        "commitment": s.commitment,
                        "checked_at": _time(s.checked_at),
                    }
                    for s in shares.get(key.pk, [])
                ],
            }
            for key in readiness.keys
        ],
        "members": [
            {
                "username": m.user.username,
                "has_key": m.has_key,
                "shares": m.shares,
                "checked": m.checked,
                "done": m.done,
                "key_changed": m.key_changed,
                "last_checked_at": _time(m.last_checked_at),
            }
            for m in readiness.members
        ],
        "unchecked": readiness.unchecked,
    }


@router.post(
    "/{code}/sealing-keys/deal",
    auth=bearer,
    response={201: dict},
    summary="Deal the draft tender's sealing keys on the node (its Pokja)",
)
def deal(request, code: str):
    tender = _tender(request, code)
    tender_keys_deal(actor=request.auth, tender_id=tender.pk)
    return Status(201, _keys_out(tender, sealing_keys_readiness(tender)))


@router.post(
    "/{code}/sealing-keys/redeal",
    auth=bearer,
    response={201: dict},
    summary="Discard a draft's sealing keys and their checks, and deal fresh ones (its Pokja)",
)
def redeal(request, code: str, payload: RedealIn):
    tender = _tender(request, code)
    tender_keys_redeal(actor=request.auth, tender_id=tender.pk, reason=payload.reason)
    return Status(201, _keys_out(tender, sealing_keys_readiness(tender)))


@router.get(
    "/{code}/sealing-keys/status",
    auth=browser_or_bearer,
    response={200: dict},
    summary="The tender's dealt keys and each member's key check (its Pokja)",
)
def keys_status(request, code: str):
    tender = _tender(request, code)
    if not is_tender_member(request.auth, tender):
        raise PermissionDenied(
            "key_check.not_member",
            "Hanya anggota Pokja tender ini yang melihat status kunci sampulnya.",
            "Only this tender's committee members see its key status.",
        )
    return _keys_out(tender, sealing_keys_readiness(tender))


@router.get(
    "/{code}/sealing-key/shares/mine",
    auth=browser_or_bearer,
    response={200: dict},
    summary="My sealed key shares of this tender (committee members), to open and check",
)
def my_shares(request, code: str):
    tender = _tender(request, code)
    shares = key_shares_mine(actor=request.auth, tender=tender)
    return {
        "tender": tender.code,
        "member": request.auth.username,
        "shares": [_share_out(share) for share in shares],
    }


def _share_out(share: KeyShare) -> dict:
    key: SealingKey = share.sealing_key
    return {
        "envelope": key.envelope,
        "lot": key.lot,
        "index": share.index,
        "k": key.k,
        "n": key.n,
        "recipient": key.recipient,
        "fingerprint": key.fingerprint,
        "commitment": share.commitment,
        "holder_recipient": share.holder_recipient,
        "holder_fingerprint": recipient_fingerprint(share.holder_recipient),
        "sealed_share": armor(bytes(share.sealed_share)),
        "checked_at": _time(share.checked_at),
        "released_at": _time(share.released_at),
        "dealt_on": key.dealt_on,
        "dealt_at": rfc3339(key.dealt_at),
    }


@router.post(
    "/{code}/sealing-key/checks",
    auth=browser_or_bearer,
    response={200: dict},
    summary="Record that I opened my share: its SHA-256 equals its commitment",
)
def check_share(request, code: str, payload: CheckIn):
    tender = _tender(request, code)
    share = key_share_check(
        actor=request.auth,
        tender=tender,
        envelope=payload.envelope,
        commitment=payload.commitment,
        lot=payload.lot,
    )
    return {
        "tender": tender.code,
        "envelope": payload.envelope,
        "lot": payload.lot,
        "index": share.index,
        "commitment": share.commitment,
        "checked_at": rfc3339(share.checked_at),
    }


@router.get("/{code}/sealing-key", summary="The signed sealing-key document")
def sealing_key(request, code: str):
    tender = tender_get_public(code)
    document = sealing_key_document(tender) if tender else None
    if document is None:
        raise NotFound(
            "tender.not_found", "Tender tidak ditemukan.", "Tender not found.", field="code"
        )
    return document
