"""Importing a sealed file received on media (luring).

Accepted only if its SHA-256 is listed in a published media-receipt minute of the tender (so
confirmed by the vendor and by at least *k* members) and not imported yet, before opening has
begun and before the closing statement is signed (ADR 0703). The file streams through the same
age check as an upload (one X25519 stanza, no passphrase, a whole payload) and is hashed on
the way; a file whose hash no published minute lists is discarded, not kept. It is recorded as
an ``Envelope`` with the minute's receive time, marked luring (``OfflineEnvelope``), audited,
with a receipt signed like an upload's; it takes its place among the company's envelopes by
that time (a later upload stays current), so the closing statement and the opening treat it
like any other envelope.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.db import transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.audit.services import audit_append
from tangguh.bids.models import Envelope
from tangguh.bids.selectors import current_envelope, node_identity, sealing_fingerprint
from tangguh.bids.services import errors
from tangguh.bids.services.receipts import receipt_payload
from tangguh.bids.services.upload import READ_BLOCK, bid_window, lock_tender
from tangguh.core.blobs import BlobTooLarge, node_blobs
from tangguh.core.errors import Conflict, ServiceError
from tangguh.core.signing import sign_payload
from tangguh.domain.sealing.agefile import AgeFileChecker
from tangguh.offline.models import MediaFile, OfflineEnvelope
from tangguh.offline.services.common import (
    invalid,
    refuse_after_closing,
    refuse_after_opening,
    require_member,
)
from tangguh.participation.selectors import participation_get
from tangguh.tenders.models import Tender


@dataclass(frozen=True)
class ImportResult:
    envelope: Envelope
    media_file: MediaFile
    created: bool
    status: str  # current | superseded


def _not_listed(detail_id: str = "", detail_en: str = ""):
    return invalid(
        "not_listed",
        "SHA-256 berkas ini tidak tercantum dalam berita acara penerimaan luring yang sudah "
        f"dikonfirmasi dan diumumkan untuk tender ini; berkas tidak disimpan.{detail_id}",
        "This file's SHA-256 is not listed in a confirmed, published media-receipt minute of "
        f"this tender; the file was not stored.{detail_en}",
        "file",
    )


def _candidates(tender: Tender, size: int) -> dict[str, MediaFile]:
    """Listed, published, not yet imported files of this size, by SHA-256."""
    rows = MediaFile.objects.filter(
        minute__tender=tender, minute__published_at__isnull=False, size=size
    ).select_related("company", "minute")
    return {row.sha256: row for row in rows}


class _Refused(Exception):
    def __init__(self, error: ServiceError) -> None:
        super().__init__(str(error))
        self.error = error


def _checked(stream: BinaryIO, length: int, listed: set[str]) -> Iterator[bytes]:
    """Exactly ``length`` bytes, each block through the age checker and the hash; raises at
    the end (so the store discards its temporary file) unless the hash is listed."""
    checker = AgeFileChecker()
    digest = hashlib.sha256()
    remaining = length
    while remaining > 0:
        block = stream.read(min(READ_BLOCK, remaining))
        if not block:
            raise _Refused(errors.length_mismatch(length, length - remaining))
        remaining -= len(block)
        checker.feed(block)
        if checker.failed:
            result = checker.result()
            raise _Refused(errors.not_sealed(str(result.reason), result.detail))
        digest.update(block)
        yield block
    result = checker.result()
    if not result.ok:
        raise _Refused(errors.not_sealed(str(result.reason), result.detail))
    actual = digest.hexdigest()
    if actual not in listed:
        raise _Refused(_not_listed(f" (SHA-256 {actual})", f" (SHA-256 {actual})"))


def _guards(tender: Tender) -> None:
    if tender.cancelled_at is not None:
        raise errors.tender_cancelled(tender.code)
    refuse_after_opening(tender)
    refuse_after_closing(tender)


def offline_envelope_import(
    *, actor: User, tender: Tender, stream: BinaryIO, content_length: int
) -> ImportResult:
    """A Pokja member imports a sealed file from media (see the module docstring)."""
    require_member(actor, tender, "offline.envelope_import")
    _guards(tender)  # before a byte is read; again under the lock
    candidates = _candidates(tender, content_length)
    if not candidates:
        raise _not_listed()
    try:
        blob = node_blobs().put(
            _checked(stream, content_length, set(candidates)), max_size=content_length
        )
    except _Refused as refused:
        raise refused.error from None
    except BlobTooLarge as exc:
        raise errors.length_mismatch(content_length, content_length + 1) from exc
    return _record(actor=actor, tender=tender, media_file=candidates[blob.sha256])


def _record(*, actor: User, tender: Tender, media_file: MediaFile) -> ImportResult:
    with transaction.atomic():
        locked = lock_tender(tender)
        _guards(locked)
        # The same bytes listed in two minutes are still one envelope.
        done = OfflineEnvelope.objects.filter(
            envelope__tender=locked, envelope__sha256=media_file.sha256
        ).select_related("envelope")
        existing = done.first()
        if existing is not None:
            envelope = existing.envelope
            status = "current" if envelope.superseded_at is None else "superseded"
            return ImportResult(envelope, media_file, False, status)
        company = media_file.company
        if Envelope.objects.filter(tender=locked, sha256=media_file.sha256).exists():
            raise Conflict(
                "offline.already_received",
                "Node sudah menerima berkas yang sama persis melalui unggahan; tidak ada yang "
                "perlu diimpor.",
                "The node already received this very file through an upload; there is nothing "
                "to import.",
            )
        if participation_get(locked, company) is None:
            raise invalid(
                "not_participant",
                "Perusahaan pemilik berkas bukan peserta terdaftar tender ini.",
                "The file's company is not a registered participant of this tender.",
                "file",
            )
        _, deadline = bid_window(locked)
        received_at = media_file.received_at
        if deadline is None or received_at >= deadline:
            raise invalid(
                "received_after_deadline",
                "Berkas diterima setelah batas akhir pemasukan penawaran.",
                "The file was received after the bid deadline.",
                "file",
            )
        previous = current_envelope(locked, company.pk, media_file.lot, media_file.envelope)
        superseded_at = None
        if previous is not None and previous.received_at < received_at:
            previous.superseded_at = received_at
            previous.save(update_fields=["superseded_at"])
        elif previous is not None:
            superseded_at = previous.received_at  # a later upload stays current
        now = clock.now()
        event = audit_append(
            actor=actor,
            action="offline.envelope_imported",
            object_type="bid.envelope",
            object_id=f"{locked.code}/{media_file.lot}/{media_file.envelope}/{company.nib}",
            payload={
                "tender": locked.code,
                "lot": media_file.lot,
                "envelope": media_file.envelope,
                "company_id": company.pk,
                "sha256": media_file.sha256,
                "size": media_file.size,
                "received_at": received_at.isoformat(),
                "minute": media_file.minute_id,
                "minute_digest": media_file.minute.digest,
                "luring": True,
                "status": "superseded" if superseded_at else "current",
                "supersedes": previous.sha256 if previous and not superseded_at else None,
            },
        )
        node, prefix = node_identity()
        receipt = sign_payload(
            {
                **receipt_payload(
                    node=node,
                    ocds_prefix=prefix,
                    tender_code=locked.code,
                    lot=media_file.lot,
                    envelope=media_file.envelope,
                    company_nib=company.nib,
                    company_name=company.name,
                    sha256=media_file.sha256,
                    size=media_file.size,
                    received_at=received_at,
                    audit_index=event.seq,
                    audit_head=event.hash,
                    recipient_fingerprint=sealing_fingerprint(
                        locked, media_file.lot, media_file.envelope
                    ),
                ),
                "luring": True,
            }
        )
        envelope = Envelope.objects.create(
            tender=locked,
            lot=media_file.lot,
            name=media_file.envelope,
            company=company,
            uploaded_by=actor,
            sha256=media_file.sha256,
            size=media_file.size,
            received_at=received_at,
            receipt=receipt,
            audit_seq=event.seq,
            superseded_at=superseded_at,
        )
        OfflineEnvelope.objects.create(
            envelope=envelope, media_file=media_file, imported_by=actor, imported_at=now
        )
        status = "superseded" if superseded_at else "current"
        return ImportResult(envelope, media_file, True, status)
