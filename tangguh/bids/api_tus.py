"""Resumable uploads over tus 1.0.0 under the envelope's own path (see
``tangguh.bids.services.resumable`` and docs/bids.md):

- ``OPTIONS /tenders/{code}/bids/mine/{envelope}`` — the server's tus capabilities (public);
- ``POST`` on the same path — creation (``Upload-Length``, ``Upload-Metadata: sha256 …``);
- ``HEAD``/``PATCH``/``DELETE …/bids/mine/{envelope}/uploads/{id}`` — offset, data,
  termination.

``OPTIONS`` and ``POST`` share the envelope path with ``PUT``/``DELETE``, and django-ninja
dispatches one path of one router by method, so ``tangguh.bids.api`` registers those two on its
router; the upload resource has this module's router. Every answer carries ``Tus-Resumable``
and ``Cache-Control: no-store``; a ``HEAD`` answer never has a body. A completed upload's
receipt is in the ``Tangguh-Receipt`` header (a 204 has no body). The ``PATCH`` view reads
``wsgi.input`` itself and never ``request.body``.
"""

from __future__ import annotations

import functools

from django.http import HttpResponse
from django.utils.http import http_date
from ninja import Router
from ninja.decorators import decorate_view

from tangguh.accounts.api import browser_or_bearer
from tangguh.bids.selectors import bid_max_bytes, envelope_names
from tangguh.bids.services import errors
from tangguh.bids.services.resumable import (
    CHECKSUM_ALGORITHMS,
    TUS_EXTENSIONS,
    TUS_VERSION,
    UploadState,
    declared_sha256,
    parse_tus_resumable,
    parse_upload_checksum,
    parse_upload_length,
    parse_upload_metadata,
    parse_upload_offset,
    upload_append,
    upload_create,
    upload_expiry,
    upload_status,
    upload_terminate,
)
from tangguh.bids.services.upload import UploadTarget, bid_target, parse_content_length
from tangguh.tenders.selectors import tender_get

router = Router(tags=["bids"])
UPLOAD_PATH = "/{code}/bids/mine/{envelope}/uploads/{upload_id}"
RECEIPT_HEADER = "Tangguh-Receipt"


def tus_headers(run):
    """Wraps the whole operation (auth and error answers included, which ninja builds
    inside ``run``) so every answer speaks tus."""

    @functools.wraps(run)
    def wrapper(request, *args, **kwargs):
        response = run(request, *args, **kwargs)
        response["Tus-Resumable"] = TUS_VERSION
        response["Cache-Control"] = "no-store"
        if response.status_code == 412:
            response["Tus-Version"] = TUS_VERSION
        if request.method == "HEAD":
            response.content = b""
        return response

    return wrapper


def _state_headers(response: HttpResponse, state: UploadState, target: UploadTarget) -> None:
    response["Upload-Offset"] = str(state.offset)
    response["Upload-Length"] = str(state.length)
    response["Upload-Expires"] = http_date(upload_expiry(state, target).timestamp())
    if state.receipt:
        response[RECEIPT_HEADER] = state.receipt


@decorate_view(tus_headers)
def tus_options(request, code: str, envelope: str):
    tender = tender_get(code)
    if tender is None or tender.announced_at is None:
        raise errors.tender_not_found(code)
    if envelope not in envelope_names(tender):
        raise errors.bad_envelope(envelope, envelope_names(tender))
    response = HttpResponse(status=204)
    response["Tus-Version"] = TUS_VERSION
    response["Tus-Extension"] = ",".join(TUS_EXTENSIONS)
    response["Tus-Max-Size"] = str(bid_max_bytes(tender))
    response["Tus-Checksum-Algorithm"] = ",".join(CHECKSUM_ALGORITHMS)
    return response


@decorate_view(tus_headers)
def tus_create(request, code: str, envelope: str):
    meta = request.META
    parse_tus_resumable(meta.get("HTTP_TUS_RESUMABLE"))
    length = parse_upload_length(meta.get("HTTP_UPLOAD_LENGTH"))
    sha256 = declared_sha256(parse_upload_metadata(meta.get("HTTP_UPLOAD_METADATA")))
    target = bid_target(actor=request.auth, code=code, name=envelope)
    state = upload_create(actor=request.auth, target=target, length=length, sha256=sha256)
    response = HttpResponse(status=201)
    response["Location"] = f"{request.path.rstrip('/')}/uploads/{state.id}"
    _state_headers(response, state, target)
    return response


@router.api_operation(
    ["HEAD"],
    UPLOAD_PATH,
    auth=browser_or_bearer,
    response={200: None},
    summary="tus: the upload's offset and length (and its receipt once complete)",
)
@decorate_view(tus_headers)
def tus_head(request, code: str, envelope: str, upload_id: str):
    parse_tus_resumable(request.META.get("HTTP_TUS_RESUMABLE"))
    target = bid_target(actor=request.auth, code=code, name=envelope)
    state = upload_status(actor=request.auth, target=target, upload_id=upload_id)
    response = HttpResponse(status=200)
    _state_headers(response, state, target)
    return response


@router.api_operation(
    ["PATCH"],
    UPLOAD_PATH,
    auth=browser_or_bearer,
    response={204: None},
    summary="tus: append bytes at Upload-Offset; the last byte records the envelope",
)
@decorate_view(tus_headers)
def tus_patch(request, code: str, envelope: str, upload_id: str):
    meta = request.META
    parse_tus_resumable(meta.get("HTTP_TUS_RESUMABLE"))
    content_type = meta.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type != "application/offset+octet-stream":
        raise errors.content_type_required()
    offset = parse_upload_offset(meta.get("HTTP_UPLOAD_OFFSET"))
    length = parse_content_length(
        meta.get("CONTENT_LENGTH"),
        chunked="chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower(),
    )
    checksum = parse_upload_checksum(meta.get("HTTP_UPLOAD_CHECKSUM"))
    target = bid_target(actor=request.auth, code=code, name=envelope)
    outcome = upload_append(
        actor=request.auth,
        target=target,
        upload_id=upload_id,
        offset=offset,
        stream=meta["wsgi.input"],
        content_length=length,
        checksum=checksum,
    )
    response = HttpResponse(status=204)
    _state_headers(response, outcome.state, target)
    return response


@router.api_operation(
    ["DELETE"],
    UPLOAD_PATH,
    auth=browser_or_bearer,
    response={204: None},
    summary="tus termination: remove the upload and its bytes (a recorded bid stays)",
)
@decorate_view(tus_headers)
def tus_delete(request, code: str, envelope: str, upload_id: str):
    parse_tus_resumable(request.META.get("HTTP_TUS_RESUMABLE"))
    target = bid_target(actor=request.auth, code=code, name=envelope)
    upload_terminate(actor=request.auth, target=target, upload_id=upload_id)
    return HttpResponse(status=204)
