"""``POST /api/v1/tenders/{code}/bids/redeposit``: after a restore, a vendor brings back a
sealed envelope the node acknowledged after its last backup — the file as the body
(``application/octet-stream``, streamed like an upload) and the node's receipt for it in the
``Tangguh-Receipt`` header. See ``tangguh.bids.services.redeposit``."""

from __future__ import annotations

from ninja import Router, Status

from tangguh.accounts.api import bearer
from tangguh.bids.services.receipts import rfc3339
from tangguh.bids.services.redeposit import bid_redeposit
from tangguh.bids.services.upload import parse_content_length

router = Router(tags=["bids"])


@router.post(
    "/{code}/bids/redeposit",
    auth=bearer,
    response={200: dict, 201: dict},
    summary="Re-deposit a sealed envelope with its receipt (after a restore from backup)",
)
def redeposit_envelope(request, code: str):
    meta = request.META
    length = parse_content_length(
        meta.get("CONTENT_LENGTH"),
        chunked="chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower(),
    )
    result = bid_redeposit(
        actor=request.auth,
        code=code,
        receipt=meta.get("HTTP_TANGGUH_RECEIPT"),
        stream=meta["wsgi.input"],
        content_length=length,
    )
    envelope = result.envelope
    return Status(
        201 if result.created else 200,
        {
            "tender": code,
            "lot": envelope.lot,
            "envelope": envelope.name,
            "sha256": envelope.sha256,
            "size": envelope.size,
            "received_at": rfc3339(envelope.received_at),
            "status": result.status,
            "recorded": result.created,
            "file_restored": result.file_restored,
            "receipt": envelope.receipt,
        },
    )
