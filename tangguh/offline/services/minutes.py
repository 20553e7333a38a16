"""Media-receipt minutes (berita acara penerimaan luring).

During an outage a vendor may hand its sealed file to the Pokja on media. The Pokja records,
per file, the company, who handed it over, when, its SHA-256 and size. The minute binds only
once it is confirmed by every listed company (a user of the company, logged in, confirms its
hashes; or the Pokja uploads the company's signed statement, scanned, recorded as such) and by
at least *k* members of the tender's Pokja (each with a fresh second-factor code, as for a
share release), and it is published. Every confirmation binds to the minute's digest (the
SHA-256 of the RFC 8785 JSON of what it states), so what was confirmed cannot change.

No minute is recorded, confirmed or published once opening has begun (SPEC "Outage
resilience"): after the first released share the key may be known.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from django.db import IntegrityError, transaction
from django.db.models import Max

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.accounts.services.totp import totp_verify
from tangguh.audit.services import audit_append
from tangguh.bids.selectors import envelope_names
from tangguh.bids.services.upload import bid_window, lock_tender
from tangguh.core.errors import Conflict, NotFound, PermissionDenied
from tangguh.offline.models import (
    ConfirmationMethod,
    MediaFile,
    MediaMinute,
    MemberConfirmation,
    VendorConfirmation,
)
from tangguh.offline.selectors import minute_statement, statement_digest, tender_quorum
from tangguh.offline.services.common import invalid, refuse_after_opening, require_member
from tangguh.participation.selectors import participation_get
from tangguh.tenders.models import DocumentKind, Tender
from tangguh.tenders.publication import tender_published
from tangguh.tenders.services.documents import document_record, document_store
from tangguh.vendors.models import VendorCompany
from tangguh.vendors.selectors import vendor_companies_of

MAX_FILES = 200


@dataclass(frozen=True)
class MediaFileIn:
    company_nib: str
    envelope: str
    handed_over_by: str
    received_at: datetime
    sha256: str
    size: int
    lot: int = 1


def _minute(tender: Tender, minute_id: int) -> MediaMinute:
    minute = MediaMinute.objects.filter(pk=minute_id, tender=tender).select_related("tender")
    found = minute.first()
    if found is None:
        raise NotFound(
            "offline.minute_not_found",
            "Berita acara penerimaan luring tidak ditemukan.",
            "No such media-receipt minute.",
            field="minute",
        )
    return found


def _check_file(tender: Tender, row: MediaFileIn, deadline, now, index: int) -> VendorCompany:
    field = f"files[{index}]"
    company = VendorCompany.objects.filter(nib=(row.company_nib or "").strip()).first()
    if company is None or participation_get(tender, company) is None:
        raise invalid(
            "not_participant",
            f"Perusahaan NIB {row.company_nib} bukan peserta terdaftar tender ini; berkasnya "
            "tidak dapat dicatat.",
            f"Company NIB {row.company_nib} is not a registered participant of this tender; "
            "its file cannot be recorded.",
            f"{field}.company_nib",
        )
    allowed = envelope_names(tender)
    if row.envelope not in allowed or row.lot != 1:
        raise invalid(
            "bad_envelope",
            f"Sampul harus salah satu dari: {', '.join(allowed)}.",
            f"The envelope must be one of: {', '.join(allowed)}.",
            f"{field}.envelope",
        )
    sha = (row.sha256 or "").strip().lower()
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise invalid(
            "bad_sha256",
            "SHA-256 harus 64 karakter heksadesimal.",
            "The SHA-256 must be 64 hexadecimal characters.",
            f"{field}.sha256",
        )
    if not isinstance(row.size, int) or row.size <= 0:
        raise invalid(
            "bad_size", "Ukuran berkas tidak sah.", "The file size is invalid.", f"{field}.size"
        )
    if len((row.handed_over_by or "").strip()) < 3:
        raise invalid(
            "handed_over_by_required",
            "Nama yang menyerahkan media wajib diisi.",
            "The name of whoever handed the media over is required.",
            f"{field}.handed_over_by",
        )
    if row.received_at.tzinfo is None or row.received_at > now:
        raise invalid(
            "bad_received_at",
            "Waktu penerimaan tidak sah (zona waktu wajib, tidak di masa depan).",
            "The receive time is invalid (a time zone is required; not in the future).",
            f"{field}.received_at",
        )
    if deadline is None or row.received_at >= deadline:
        # The same rule as an upload: received before the deadline in force (outage
        # extensions included), or it is a late bid.
        raise invalid(
            "received_after_deadline",
            "Berkas diterima setelah batas akhir pemasukan penawaran; tidak dapat dicatat.",
            "The file was received after the bid deadline; it cannot be recorded.",
            f"{field}.received_at",
        )
    return company


def media_minute_record(
    *, actor: User, tender: Tender, place: str, files: list[MediaFileIn], note: str = ""
) -> MediaMinute:
    """A Pokja member records a media-receipt minute (unconfirmed, not yet public)."""
    require_member(actor, tender, "offline.minute_record")
    place = (place or "").strip()
    if len(place) < 3:
        raise invalid(
            "place_required",
            "Tempat penerimaan wajib diisi.",
            "The place of receipt is required.",
            "place",
        )
    if not files or len(files) > MAX_FILES:
        raise invalid(
            "files_required",
            f"Catat 1–{MAX_FILES} berkas.",
            f"List 1–{MAX_FILES} files.",
            "files",
        )
    with transaction.atomic():
        locked = lock_tender(tender)
        refuse_after_opening(locked)
        if locked.cancelled_at is not None:
            raise Conflict(
                "offline.tender_cancelled", "Tender dibatalkan.", "The tender is cancelled."
            )
        _, deadline = bid_window(locked)
        now = clock.now()
        companies = [_check_file(locked, row, deadline, now, i) for i, row in enumerate(files)]
        hashes = [row.sha256.strip().lower() for row in files]
        if len(set(hashes)) != len(hashes):
            raise invalid(
                "duplicate_sha256",
                "SHA-256 yang sama dicatat dua kali.",
                "The same SHA-256 is listed twice.",
                "files",
            )
        number = (
            MediaMinute.objects.filter(tender=locked).aggregate(n=Max("number"))["n"] or 0
        ) + 1
        minute = MediaMinute.objects.create(
            tender=locked,
            number=number,
            place=place[:200],
            note=(note or "").strip(),
            recorded_by=actor,
            recorded_at=now,
            digest="",
        )
        rows = [
            MediaFile.objects.create(
                minute=minute,
                company=company,
                lot=row.lot,
                envelope=row.envelope,
                handed_over_by=row.handed_over_by.strip()[:200],
                received_at=row.received_at,
                sha256=sha,
                size=row.size,
            )
            for row, company, sha in zip(files, companies, hashes, strict=True)
        ]
        statement = minute_statement(minute, rows)
        minute.digest = statement_digest(statement)
        minute.save(update_fields=["digest"])
        audit_append(
            actor=actor,
            action="offline.minute_recorded",
            object_type="tender",
            object_id=locked.code,
            payload={"minute": minute.pk, "digest": minute.digest, **statement},
        )
        return minute


def _editable(minute: MediaMinute) -> None:
    if minute.published_at is not None:
        raise Conflict(
            "offline.minute_published",
            "Berita acara ini sudah diumumkan.",
            "This minute is already published.",
        )


def _digest_matches(minute: MediaMinute, digest: str | None) -> None:
    if digest is not None and digest.strip().lower() != minute.digest:
        raise invalid(
            "digest_mismatch",
            "SHA-256 berita acara yang Anda lihat tidak sama dengan yang dicatat; muat ulang "
            "dan periksa lagi.",
            "The minute SHA-256 you saw differs from the recorded one; reload and check again.",
            "digest",
        )


def media_minute_vendor_confirm(
    *, actor: User, tender: Tender, minute_id: int, sha256: list[str]
) -> VendorConfirmation:
    """A logged-in user of a listed company confirms the hashes of the company's files."""
    minute = _minute(tender, minute_id)
    mine = {c.pk for c in vendor_companies_of(actor)}
    files = list(minute.files.filter(company_id__in=mine).select_related("company"))
    if not files:
        raise PermissionDenied(
            "offline.not_listed_vendor",
            "Perusahaan Anda tidak tercantum dalam berita acara ini.",
            "Your company is not listed in this minute.",
        )
    company = files[0].company
    files = [f for f in files if f.company_id == company.pk]
    given = {(h or "").strip().lower() for h in sha256}
    if given != {f.sha256 for f in files}:
        raise invalid(
            "vendor_hash_mismatch",
            "SHA-256 yang Anda konfirmasi tidak sama dengan yang dicatat Pokja untuk "
            "perusahaan Anda; jangan konfirmasi, hubungi Pokja.",
            "The SHA-256 you confirm is not what the Pokja listed for your company; do not "
            "confirm, contact the Pokja.",
            "sha256",
        )
    return _vendor_confirmation(
        actor=actor, minute=minute, company=company, method=ConfirmationMethod.LOGIN
    )


def media_minute_vendor_scan(
    *,
    actor: User,
    tender: Tender,
    minute_id: int,
    company_nib: str,
    filename: str,
    handle: BinaryIO,
) -> VendorConfirmation:
    """A Pokja member uploads a listed company's signed statement (PDF scan) when the vendor
    cannot log in; recorded as a scan, published with the tender's documents."""
    require_member(actor, tender, "offline.vendor_scan")
    minute = _minute(tender, minute_id)
    company = VendorCompany.objects.filter(nib=(company_nib or "").strip()).first()
    if company is None or not minute.files.filter(company=company).exists():
        raise invalid(
            "company_not_listed",
            "Perusahaan ini tidak tercantum dalam berita acara.",
            "This company is not listed in the minute.",
            "company_nib",
        )
    stored = _store_pdf(filename, handle)
    return _vendor_confirmation(
        actor=actor,
        minute=minute,
        company=company,
        method=ConfirmationMethod.SCAN,
        scan=(filename, stored),
    )


def _store_pdf(filename: str, handle: BinaryIO) -> tuple[str, int, str]:
    """A scanned statement or minutes: a PDF, checked by its first bytes (as documents)."""
    if not (filename or "").lower().endswith(".pdf"):
        raise invalid(
            "pdf_required",
            "Pindaian harus berkas PDF.",
            "The scan must be a PDF file.",
            "file",
        )
    stored = document_store(filename=filename, handle=handle)
    if stored[2] != "application/pdf":  # pragma: no cover - the .pdf name maps to PDF
        raise invalid("pdf_required", "Harus PDF.", "Must be a PDF.", "file")
    return stored


def _vendor_confirmation(*, actor, minute, company, method, scan=None) -> VendorConfirmation:
    with transaction.atomic():
        tender = lock_tender(minute.tender)
        refuse_after_opening(tender)
        minute = MediaMinute.objects.get(pk=minute.pk)
        _editable(minute)
        existing = VendorConfirmation.objects.filter(minute=minute, company=company).first()
        if existing is not None:
            return existing
        document = None
        if scan is not None:
            filename, stored = scan
            document = document_record(
                actor=actor,
                tender=tender,
                title=f"Pernyataan penyedia {company.nib}, BA penerimaan luring {minute.number}",
                filename=filename,
                stored=stored,
                kind=DocumentKind.MINUTES,
                note="luring",
            )
        confirmation = VendorConfirmation.objects.create(
            minute=minute,
            company=company,
            method=method,
            confirmed_by=actor,
            confirmed_at=clock.now(),
            digest=minute.digest,
            scan=document,
        )
        audit_append(
            actor=actor,
            action="offline.minute_vendor_confirmed",
            object_type="tender",
            object_id=tender.code,
            payload={
                "minute": minute.pk,
                "digest": minute.digest,
                "company_id": company.pk,
                "method": str(method),
                "scan_sha256": document.sha256 if document else None,
                "sha256": sorted(
                    minute.files.filter(company=company).values_list("sha256", flat=True)
                ),
            },
        )
        return confirmation


def media_minute_member_confirm(
    *, actor: User, tender: Tender, minute_id: int, otp: str, digest: str | None = None
) -> MemberConfirmation:
    """A member of the tender's Pokja confirms the minute with a fresh second-factor code."""
    require_member(actor, tender, "offline.member_confirm")
    minute = _minute(tender, minute_id)
    _digest_matches(minute, digest)
    with transaction.atomic():
        locked = lock_tender(tender)
        refuse_after_opening(locked)
        minute = MediaMinute.objects.get(pk=minute.pk)
        _editable(minute)
        existing = MemberConfirmation.objects.filter(minute=minute, member=actor).first()
        if existing is not None:
            return existing
    # The code is spent outside the lock's transaction so that a refusal after it (a race
    # with the first share) still spends it; a replay is refused by totp itself.
    totp_verify(user=actor, code=otp)
    try:
        with transaction.atomic():
            locked = lock_tender(tender)
            refuse_after_opening(locked)
            confirmation = MemberConfirmation.objects.create(
                minute=minute, member=actor, confirmed_at=clock.now(), digest=minute.digest
            )
            audit_append(
                actor=actor,
                action="offline.minute_member_confirmed",
                object_type="tender",
                object_id=locked.code,
                payload={"minute": minute.pk, "digest": minute.digest},
            )
            return confirmation
    except IntegrityError:  # the same member twice at once
        return MemberConfirmation.objects.get(minute=minute, member=actor)


def media_minute_publish(*, actor: User, tender: Tender, minute_id: int) -> MediaMinute:
    """Publish a minute confirmed by every listed company and at least *k* members. Only a
    published minute lets its files in."""
    require_member(actor, tender, "offline.minute_publish")
    minute = _minute(tender, minute_id)
    with transaction.atomic():
        locked = lock_tender(tender)
        refuse_after_opening(locked)
        minute = MediaMinute.objects.get(pk=minute.pk)
        if minute.published_at is not None:
            return minute
        listed = set(minute.files.values_list("company_id", flat=True))
        confirmed = set(
            minute.vendor_confirmations.filter(digest=minute.digest).values_list(
                "company_id", flat=True
            )
        )
        missing = sorted(
            VendorCompany.objects.filter(pk__in=listed - confirmed).values_list("nib", flat=True)
        )
        if missing:
            raise Conflict(
                "offline.vendor_confirmation_missing",
                "Berita acara belum dikonfirmasi oleh penyedia: " + ", ".join(missing) + ".",
                "The minute is not confirmed by the vendor(s): " + ", ".join(missing) + ".",
            )
        k = tender_quorum(locked)
        members = minute.member_confirmations.filter(digest=minute.digest).count()
        if k is None or members < k:
            raise Conflict(
                "offline.quorum_missing",
                f"Berita acara baru dikonfirmasi {members} anggota Pokja; perlu paling sedikit "
                f"{k or '?'} (ambang kunci sampul).",
                f"The minute is confirmed by {members} Pokja members; at least {k or '?'} "
                "(the sealing key's threshold) are needed.",
            )
        minute.published_at = clock.now()
        minute.published_by = actor
        minute.save(update_fields=["published_at", "published_by"])
        audit_append(
            actor=actor,
            action="offline.minute_published",
            object_type="tender",
            object_id=locked.code,
            payload={
                "minute": minute.pk,
                "digest": minute.digest,
                "vendors": len(listed),
                "members": members,
                "sha256": sorted(minute.files.values_list("sha256", flat=True)),
            },
        )
        tender_published(
            tender=locked,
            event="offline_minute_published",
            detail=f"Berita acara penerimaan luring {minute.number}",
        )
    return minute


def pdf_bytes(data: bytes) -> io.BytesIO:  # for the CLI and tests: a handle over bytes
    return io.BytesIO(data)
