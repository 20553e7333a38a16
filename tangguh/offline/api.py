"""The offline procedure (luring) over the API, under ``/api/v1/tenders/{code}/offline``:
media-receipt minutes (record, vendor and member confirmations, publication), importing a
sealed file received on media (the file as the body), and openings held off-line with their
scanned minutes. Everything public carries ``"luring": true``."""

from __future__ import annotations

import json
from datetime import datetime

from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from tangguh.accounts.api import bearer
from tangguh.accounts.services.tokens import token_authenticate
from tangguh.bids.services.opening import is_committee_member
from tangguh.bids.services.receipts import rfc3339
from tangguh.bids.services.upload import parse_content_length
from tangguh.core.errors import InvalidInput, NotFound
from tangguh.offline.models import MediaMinute
from tangguh.offline.selectors import minute_row, offline_opening_row, offline_summary
from tangguh.offline.services.common import offline_tender
from tangguh.offline.services.imports import offline_envelope_import
from tangguh.offline.services.minutes import (
    MediaFileIn,
    media_minute_member_confirm,
    media_minute_publish,
    media_minute_record,
    media_minute_vendor_confirm,
    media_minute_vendor_scan,
)
from tangguh.offline.services.openings import OpenedIn, offline_opening_record
from tangguh.vendors.selectors import vendor_companies_of

router = Router(tags=["offline"])


class FileIn(Schema):
    company_nib: str
    envelope: str = "offer"
    handed_over_by: str
    received_at: datetime
    sha256: str
    size: int


class MinuteIn(Schema):
    place: str
    note: str = ""
    files: list[FileIn]


class VendorConfirmIn(Schema):
    sha256: list[str]


class MemberConfirmIn(Schema):
    otp: str
    digest: str | None = None


def _optional_user(request):
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.lower().startswith("bearer "):
        return None
    user, _ = token_authenticate(raw=header.split(" ", 1)[1].strip())
    return user


@router.get(
    "/{code}/offline",
    response={200: dict},
    summary="The tender's offline procedure (luring): published minutes, imports, openings",
)
def offline_overview(request, code: str):
    tender = offline_tender(code)
    pokja = is_committee_member(_optional_user(request), tender)
    summary = offline_summary(tender, include_drafts=pokja)
    return {
        "tender": tender.code,
        "luring": summary["used"],
        "minutes": summary["minutes"],
        "openings": summary["openings"],
    }


@router.post(
    "/{code}/offline/minutes",
    auth=bearer,
    response={201: dict},
    summary="A Pokja member records a media-receipt minute (berita acara penerimaan luring)",
)
def record_minute(request, code: str, payload: MinuteIn):
    tender = offline_tender(code)
    minute = media_minute_record(
        actor=request.auth,
        tender=tender,
        place=payload.place,
        note=payload.note,
        files=[MediaFileIn(**row.dict()) for row in payload.files],
    )
    return Status(201, minute_row(minute))


def _visible_minute(request, code: str, minute_id: int) -> MediaMinute:
    tender = offline_tender(code)
    minute = MediaMinute.objects.filter(pk=minute_id, tender=tender).first()
    user = _optional_user(request)
    visible = minute is not None and (
        minute.published_at is not None
        or is_committee_member(user, tender)
        or (
            user is not None
            and minute.files.filter(
                company_id__in=[c.pk for c in vendor_companies_of(user)]
            ).exists()
        )
    )
    if not visible:
        raise NotFound(
            "offline.minute_not_found",
            "Berita acara penerimaan luring tidak ditemukan.",
            "No such media-receipt minute.",
        )
    return minute


@router.get(
    "/{code}/offline/minutes/{minute_id}",
    response={200: dict},
    summary="One minute: public once published; before, for its Pokja and listed vendors",
)
def get_minute(request, code: str, minute_id: int):
    return minute_row(_visible_minute(request, code, minute_id))


@router.post(
    "/{code}/offline/minutes/{minute_id}/vendor-confirmation",
    auth=bearer,
    response={200: dict},
    summary="A user of a listed company confirms the SHA-256 of its files",
)
def vendor_confirm(request, code: str, minute_id: int, payload: VendorConfirmIn):
    tender = offline_tender(code)
    confirmation = media_minute_vendor_confirm(
        actor=request.auth, tender=tender, minute_id=minute_id, sha256=payload.sha256
    )
    return {
        "minute": minute_id,
        "company_nib": confirmation.company.nib,
        "method": confirmation.method,
        "confirmed_at": rfc3339(confirmation.confirmed_at),
        "digest": confirmation.digest,
    }


@router.post(
    "/{code}/offline/minutes/{minute_id}/vendor-scan",
    auth=bearer,
    response={200: dict},
    summary="A Pokja member uploads a vendor's signed statement (PDF scan), if it cannot log in",
)
def vendor_scan(
    request, code: str, minute_id: int, company_nib: Form[str], file: File[UploadedFile]
):
    tender = offline_tender(code)
    confirmation = media_minute_vendor_scan(
        actor=request.auth,
        tender=tender,
        minute_id=minute_id,
        company_nib=company_nib,
        filename=file.name or "",
        handle=file,
    )
    return {
        "minute": minute_id,
        "company_nib": confirmation.company.nib,
        "method": confirmation.method,
        "confirmed_at": rfc3339(confirmation.confirmed_at),
        "scan_sha256": confirmation.scan.sha256 if confirmation.scan else None,
    }


@router.post(
    "/{code}/offline/minutes/{minute_id}/member-confirmation",
    auth=bearer,
    response={200: dict},
    summary="A Pokja member confirms the minute with a fresh second-factor code",
)
def member_confirm(request, code: str, minute_id: int, payload: MemberConfirmIn):
    tender = offline_tender(code)
    confirmation = media_minute_member_confirm(
        actor=request.auth,
        tender=tender,
        minute_id=minute_id,
        otp=payload.otp,
        digest=payload.digest,
    )
    minute = confirmation.minute
    return {
        "minute": minute_id,
        "confirmed_at": rfc3339(confirmation.confirmed_at),
        "members": minute.member_confirmations.count(),
        "digest": minute.digest,
    }


@router.post(
    "/{code}/offline/minutes/{minute_id}/publish",
    auth=bearer,
    response={200: dict},
    summary="Publish a minute confirmed by every listed vendor and at least k members",
)
def publish_minute(request, code: str, minute_id: int):
    tender = offline_tender(code)
    minute = media_minute_publish(actor=request.auth, tender=tender, minute_id=minute_id)
    return minute_row(minute)


@router.post(
    "/{code}/offline/envelopes",
    auth=bearer,
    response={200: dict, 201: dict},
    summary="Import a sealed file received on media (the body); its SHA-256 must be listed",
)
def import_envelope(request, code: str):
    tender = offline_tender(code)
    meta = request.META
    length = parse_content_length(
        meta.get("CONTENT_LENGTH"),
        chunked="chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower(),
    )
    result = offline_envelope_import(
        actor=request.auth, tender=tender, stream=meta["wsgi.input"], content_length=length
    )
    envelope = result.envelope
    return Status(
        201 if result.created else 200,
        {
            "tender": tender.code,
            "lot": envelope.lot,
            "envelope": envelope.name,
            "company_nib": envelope.company.nib,
            "sha256": envelope.sha256,
            "size": envelope.size,
            "received_at": rfc3339(envelope.received_at),
            "minute": result.media_file.minute_id,
            "status": result.status,
            "luring": True,
            "receipt": envelope.receipt,
        },
    )


@router.post(
    "/{code}/offline/openings",
    auth=bearer,
    response={201: dict},
    summary="Record an opening held off-line by quorum, with the scanned minutes (PDF)",
)
def record_opening(request, code: str, data: Form[str], file: File[UploadedFile]):
    """``data`` is JSON: ``{"opened_at", "place", "members": [username…], "envelopes":
    [{"sha256", "total_price"}…]}``; ``file`` the scanned, signed minutes (PDF)."""
    tender = offline_tender(code)
    try:
        body = json.loads(data)
        opened_at = datetime.fromisoformat(str(body["opened_at"]))
        envelopes = [
            OpenedIn(sha256=str(e["sha256"]), total_price=str(e["total_price"]))
            for e in body["envelopes"]
        ]
        members = [str(m) for m in body["members"]]
        place = str(body.get("place", ""))
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(
            "offline.bad_opening_data",
            "Data pembukaan luring tidak dapat dibaca (JSON: opened_at, place, members, "
            "envelopes).",
            "The offline opening data cannot be read (JSON: opened_at, place, members, envelopes).",
            field="data",
        ) from exc
    opening = offline_opening_record(
        actor=request.auth,
        tender=tender,
        opened_at=opened_at,
        place=place,
        members=members,
        envelopes=envelopes,
        filename=file.name or "",
        handle=file,
    )
    return Status(201, offline_opening_row(opening))
