"""Sealing keys dealt off the node: ``POST /api/v1/tenders/{code}/sealing-keys`` takes the
``sealing-keys.json`` that ``tangguh keys deal --member …`` writes (``tangguh keys upload``
sends it) — recipients, sealed shares and commitments only."""

from __future__ import annotations

from ninja import Router, Status
from pydantic import Field

from tangguh.accounts.api import Strict, bearer
from tangguh.bids.services.dealing_offline import sealing_keys_upload
from tangguh.tenders.selectors import tender_find

router = Router(tags=["sealing keys"])


class DealtShareIn(Strict):
    index: int
    holder: str | None = Field(max_length=150)  # a member's username; null: recovery share
    holder_recipient: str = Field(max_length=100)
    sealed_share: str = Field(max_length=8192)  # the .age file, standard base64
    commitment: str = Field(max_length=64)


class DealtEnvelopeIn(Strict):
    name: str = Field(max_length=10)
    lot: int = 1
    recipient: str = Field(max_length=100)
    k: int
    n: int
    shares: list[DealtShareIn] = Field(max_length=256)


class DealtKeysIn(Strict):
    format: str = Field(max_length=40)
    version: int
    tender: str = Field(max_length=20)
    envelopes: list[DealtEnvelopeIn] = Field(max_length=10)


@router.post(
    "/{code}/sealing-keys",
    auth=bearer,
    response={201: dict},
    summary="A Pokja member uploads sealing keys dealt off the node (draft tender, no keys yet)",
)
def upload_sealing_keys(request, code: str, payload: DealtKeysIn):
    tender = tender_find(code, viewer=request.auth)  # a hidden draft is not found
    keys = sealing_keys_upload(
        actor=request.auth, tender_id=tender.pk, document=payload.model_dump()
    )
    return Status(
        201,
        {
            "tender": tender.code,
            "dealt_on": "offline",
            "envelopes": [
                {
                    "name": key.envelope,
                    "lot": key.lot,
                    "recipient": key.recipient,
                    "fingerprint": key.fingerprint,
                    "k": key.k,
                    "n": key.n,
                    "recovery_share": next(
                        (s.index for s in key.shares.all() if s.holder_id is None), None
                    ),
                }
                for key in keys
            ],
        },
    )
