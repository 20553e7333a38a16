"""Sealed bids over the API: ``PUT``/``DELETE /tenders/{code}/bids/mine/{envelope}``,
``GET /tenders/{code}/bids/mine`` and ``GET /tenders/{code}/closing-statement``.

The upload view reads ``wsgi.input`` itself, exactly ``Content-Length`` bytes, and never
touches ``request.body`` or ``request.POST`` (which would buffer the file or hit
``DATA_UPLOAD_MAX_MEMORY_SIZE``). The vendor's calls take a bearer token or the browser
session with its CSRF header (``browser_or_bearer``: the sealing page calls them).

Resumable uploads (tus) share the envelope path: ``POST`` (creation) and ``OPTIONS`` are
registered here from ``tangguh.bids.api_tus``, which serves the upload resource itself.
"""

from __future__ import annotations

from ninja import Router, Status

from tangguh.accounts.api import browser_or_bearer
from tangguh.bids.api_tus import tus_create, tus_options
from tangguh.bids.models import Envelope
from tangguh.bids.selectors import company_envelopes, envelope_status
from tangguh.bids.services import errors
from tangguh.bids.services.closing import closing_statement_sign
from tangguh.bids.services.receipts import rfc3339
from tangguh.bids.services.upload import (
    bid_target,
    bid_upload,
    bid_withdraw,
    parse_content_digest,
    parse_content_length,
)
from tangguh.participation.selectors import participation_of_user
from tangguh.tenders.selectors import tender_get

router = Router(tags=["bids"])
ENVELOPE_PATH = "/{code}/bids/mine/{envelope}"


def _envelope_out(envelope: Envelope, supersedes: str | None = None) -> dict:
    return {
        "receipt": envelope.receipt,
        "sha256": envelope.sha256,
        "size": envelope.size,
        "received_at": rfc3339(envelope.received_at),
        "lot": envelope.lot,
        "envelope": envelope.name,
        "supersedes": supersedes,
    }


@router.put(
    ENVELOPE_PATH,
    auth=browser_or_bearer,
    response={200: dict, 201: dict},
    summary="Upload a sealed envelope (age file), streamed; returns a signed receipt",
)
def upload_envelope(request, code: str, envelope: str):
    meta = request.META
    length = parse_content_length(
        meta.get("CONTENT_LENGTH"),
        chunked="chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower(),
    )
    declared = parse_content_digest(meta.get("HTTP_CONTENT_DIGEST"))
    target = bid_target(actor=request.auth, code=code, name=envelope)
    result = bid_upload(
        actor=request.auth,
        target=target,
        stream=meta["wsgi.input"],
        content_length=length,
        declared_sha256=declared,
    )
    return Status(201 if result.created else 200, _envelope_out(result.envelope, result.supersedes))


@router.delete(
    ENVELOPE_PATH,
    auth=browser_or_bearer,
    response={200: dict},
    summary="Withdraw the current envelope before the deadline",
)
def withdraw_envelope(request, code: str, envelope: str):
    withdrawn = bid_withdraw(
        actor=request.auth, target=bid_target(actor=request.auth, code=code, name=envelope)
    )
    return {
        "envelope": withdrawn.name,
        "lot": withdrawn.lot,
        "sha256": withdrawn.sha256,
        "withdrawn_at": rfc3339(withdrawn.withdrawn_at),
    }


@router.get(
    "/{code}/bids/mine",
    auth=browser_or_bearer,
    response={200: dict},
    summary="The caller company's envelopes (current, superseded, withdrawn) with receipts",
)
def my_envelopes(request, code: str):
    tender = tender_get(code)
    if tender is None or tender.announced_at is None:
        raise errors.tender_not_found(code)
    participation = participation_of_user(request.auth, tender)
    if participation is None:
        raise errors.not_registered()
    rows = []
    for envelope in company_envelopes(tender, participation.company_id):
        row = _envelope_out(envelope)
        row.pop("supersedes")
        row["status"] = envelope_status(envelope)
        row["superseded_at"] = envelope.superseded_at and rfc3339(envelope.superseded_at)
        row["withdrawn_at"] = envelope.withdrawn_at and rfc3339(envelope.withdrawn_at)
        rows.append(row)
    return {"tender": tender.code, "company_nib": participation.company.nib, "envelopes": rows}


router.add_api_operation(
    ENVELOPE_PATH,
    ["POST"],
    tus_create,
    auth=browser_or_bearer,
    response={201: None},
    summary="tus creation: start a resumable upload (Upload-Length, Upload-Metadata sha256)",
)
router.add_api_operation(
    ENVELOPE_PATH,
    ["OPTIONS"],
    tus_options,
    response={204: None},
    summary="tus: the server's capabilities (versions, extensions, size limit, checksums)",
)


@router.get(
    "/{code}/closing-statement",
    response={200: dict},
    summary="The signed closing statement (signed on the first request after the deadline)",
)
def closing_statement(request, code: str):
    tender = tender_get(code)
    if tender is None or tender.announced_at is None:
        raise errors.tender_not_found(code)
    statement = closing_statement_sign(tender)
    return {"document": statement.document, "signature": statement.signature}
