"""Receiving a sealed envelope: stream, check, store, then one short transaction.

1. Before a byte is read: the tender (announced, not cancelled, in its bid window), the
   envelope name, the caller's registration, the declared digest and length, the size limit.
2. The body streams from ``wsgi.input`` in 512 KiB blocks through the age checker into the
   content-addressed store, which hashes, writes, fsyncs and renames it; no transaction or lock
   is held meanwhile. A failed check, a short body or an oversize body stops the stream and
   leaves nothing behind (the store removes its temporary file).
3. ``received_at`` is taken after the last byte is durable.
4. One short transaction locks the tender row, checks ``received_at`` against the deadline,
   supersedes the company's previous current envelope, appends the audit event and records the
   envelope with its signed receipt. A repeat of the current envelope returns its receipt.

Resumable (tus) uploads (``resumable.py``) share steps 1, 3 and 4: ``bid_admit`` before a
byte is stored, ``sealed_file_digest`` to check and hash the finished partial file, and
``bid_accept`` for the comparison with what was declared and the short transaction.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from django.db import connection, transaction

from tangguh import clock
from tangguh.audit.services import audit_append
from tangguh.audit.services.checkpoints import checkpoint_claim, checkpoint_current
from tangguh.bids.models import ClosingStatement, Envelope
from tangguh.bids.selectors import (
    bid_max_bytes,
    current_envelope,
    envelope_names,
    node_identity,
    sealing_fingerprint,
)
from tangguh.bids.services import errors
from tangguh.bids.services.receipts import receipt_payload
from tangguh.core.blobs import BlobDigestMismatch, BlobTooLarge, node_blobs
from tangguh.core.signing import sign_payload
from tangguh.core.writer_turn import writer_turn
from tangguh.domain.methods import StageKind
from tangguh.domain.sealing.agefile import AgeFileChecker
from tangguh.participation.selectors import participation_of_user
from tangguh.tenders.models import Tender
from tangguh.tenders.selectors import tender_get_visible, tender_schedule
from tangguh.vendors.models import VendorCompany

# Each block is received, hashed and written while it is still in the core's cache: with 1 MiB
# blocks, the hash and the copy into the page cache read the block back from memory (the
# block is larger than this machine's 512 KiB L2). 20 concurrent 50 MiB uploads on the upload
# receiver: 512 KiB 1 246 MB/s at 1.46 CPU-s/GiB, 256 KiB 1 138 at 1.62, 1 MiB 1 104 at 1.64,
# 128 KiB 988 at 1.80 (more passes through Python); medians of 5-6 alternating rounds,
# docs/bids.md#performance.
READ_BLOCK = 512 * 1024


@dataclass(frozen=True)
class UploadTarget:
    tender: Tender
    company: VendorCompany
    lot: int
    name: str


@dataclass(frozen=True)
class UploadResult:
    envelope: Envelope
    created: bool
    supersedes: str | None


def parse_content_digest(header: str | None) -> str:
    """The SHA-256 (hex) declared in an RFC 9530 ``Content-Digest`` header."""
    if not header or not header.strip():
        raise errors.digest_required()
    for member in header.split(","):
        key, sep, value = member.strip().partition("=")
        if not sep or key.strip().lower() != "sha-256":
            continue
        value = value.strip()
        if len(value) < 2 or value[0] != ":" or value[-1] != ":":
            raise errors.digest_malformed()
        try:
            raw = base64.b64decode(value[1:-1], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise errors.digest_malformed() from exc
        if len(raw) != 32:
            raise errors.digest_malformed()
        return raw.hex()
    raise errors.digest_required()


def parse_content_length(value: str | None, *, chunked: bool) -> int:
    if value is None or value.strip() == "":
        raise errors.length_required()
    if chunked:
        # RFC 9112 6.3: Transfer-Encoding overrides Content-Length; we need a declared length.
        raise errors.length_required()
    text = value.strip()
    if not text.isdigit():
        raise errors.length_required()
    return int(text)


def bid_window(tender: Tender) -> tuple[datetime | None, datetime | None]:
    schedule = tender_schedule(tender)
    stage = schedule.get(StageKind.BID_SUBMISSION)
    return (stage.start if stage else None), schedule.bid_deadline


def upload_target(*, actor, tender: Tender | None, code: str, name: str, lot: int = 1):
    """Who may upload what, checked before a byte is read."""
    if tender is None or tender.announced_at is None:
        raise errors.tender_not_found(code)
    if tender.cancelled_at is not None:
        raise errors.tender_cancelled(code)
    allowed = envelope_names(tender)
    if name not in allowed or lot != 1:
        raise errors.bad_envelope(name, allowed)
    participation = participation_of_user(actor, tender)
    if participation is None:
        raise errors.not_registered()
    return UploadTarget(tender=tender, company=participation.company, lot=lot, name=name)


def bid_target(*, actor, code: str, name: str) -> UploadTarget:
    """The tender ``code`` as ``actor`` may see it, then ``upload_target``: the first step of
    every upload, resumable or whole, and of a withdrawal."""
    tender = tender_get_visible(code, actor, related=False)
    return upload_target(actor=actor, tender=tender, code=code, name=name)


def check_bid_window(tender: Tender, moment: datetime) -> None:
    """Refuse outside the bid submission stage, by the server's clock."""
    start, deadline = bid_window(tender)
    if deadline is None or moment >= deadline:
        raise errors.deadline_passed()
    if start is not None and moment < start:
        raise errors.bidding_not_open()


def release_database_connection() -> None:
    """Give the database connection back before a body streams in: from a vendor on a weak
    link that takes minutes, and PostgreSQL's ``max_connections`` is shared by every thread of
    every worker (Django connects again for the short transaction at the end). An SQLite
    connection is only a file handle: keeping it costs nothing and reopening costs time."""
    if connection.vendor != "sqlite" and not connection.in_atomic_block:
        connection.close()


class _StreamRefused(Exception):
    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _checked_blocks(stream: BinaryIO, length: int, checker: AgeFileChecker) -> Iterator[bytes]:
    """Exactly ``length`` bytes from ``stream``, each block fed to the checker; raises (so
    the store discards its temporary file) on a failed check or a body that ends early."""
    remaining = length
    while remaining > 0:
        try:
            block = stream.read(min(READ_BLOCK, remaining))
        except Exception as exc:  # the client went away mid-body (servers raise their own types)
            raise _StreamRefused(errors.length_mismatch(length, length - remaining)) from exc
        if not block:
            raise _StreamRefused(errors.length_mismatch(length, length - remaining))
        remaining -= len(block)
        checker.feed(block)
        if checker.failed:
            result = checker.result()
            raise _StreamRefused(errors.not_sealed(str(result.reason), result.detail))
        yield block
    result = checker.result()  # the whole file is in: truncated or padded payloads show now
    if not result.ok:
        raise _StreamRefused(errors.not_sealed(str(result.reason), result.detail))


def sealed_file_digest(handle: BinaryIO, length: int) -> str:
    """The SHA-256 (hex) of exactly ``length`` bytes of an open file, read in blocks through
    the age checker; raises the checker's error (or a length mismatch) instead."""
    digest = hashlib.sha256()
    try:
        for block in _checked_blocks(handle, length, AgeFileChecker()):
            digest.update(block)
    except _StreamRefused as refused:
        raise refused.error from None
    return digest.hexdigest()


def bid_admit(*, target: UploadTarget, length: int, field: str = "Content-Length") -> int:
    """Before a byte is stored: the bid window (server clock) and the size limit (``field``
    declared the length), which is returned."""
    check_bid_window(target.tender, clock.now())
    limit = bid_max_bytes(target.tender)
    if length > limit:
        raise errors.too_large(limit, field)
    return limit


def bid_accept(
    *,
    actor,
    target: UploadTarget,
    sha256: str,
    size: int,
    declared_sha256: str,
    declared_length: int,
    received_at: datetime,
) -> UploadResult:
    """A durable file against what the client declared, then the short transaction."""
    if size != declared_length:
        raise errors.length_mismatch(declared_length, size)
    if sha256 != declared_sha256:
        raise errors.digest_mismatch(declared_sha256, sha256)
    # Read outside the short transaction, which the other writers queue behind: the newest
    # signed checkpoint the receipt cites (making a due one here), and what no bid changes,
    # the node's name and the envelope's sealing key (fixed once the tender is announced).
    checkpoint = checkpoint_current()
    node = node_identity()
    fingerprint = sealing_fingerprint(target.tender, target.lot, target.name)
    with writer_turn():  # on SQLite: queue for the single writer (tangguh/core/writer_turn.py)
        return _record(
            actor=actor,
            target=target,
            sha256=sha256,
            size=size,
            received_at=received_at,
            checkpoint=checkpoint_claim(checkpoint),
            node=node,
            fingerprint=fingerprint,
        )


def bid_upload(
    *,
    actor,
    target: UploadTarget,
    stream: BinaryIO,
    content_length: int,
    declared_sha256: str,
) -> UploadResult:
    """Receive one sealed envelope (see the module docstring)."""
    limit = bid_admit(target=target, length=content_length)
    release_database_connection()
    checker = AgeFileChecker()
    try:
        blob = node_blobs().put(
            _checked_blocks(stream, content_length, checker),
            max_size=limit,
            expect_sha256=declared_sha256,
        )
    except _StreamRefused as refused:
        raise refused.error from None
    except BlobTooLarge as exc:
        raise errors.too_large(limit) from exc
    except BlobDigestMismatch as exc:
        raise errors.digest_mismatch(exc.expected, exc.actual) from None
    received_at = clock.now()  # the last byte is durable now
    return bid_accept(
        actor=actor,
        target=target,
        sha256=blob.sha256,
        size=blob.size,
        declared_sha256=declared_sha256,
        declared_length=content_length,
        received_at=received_at,
    )


def lock_tender(tender: Tender) -> Tender:
    query = Tender.objects
    if connection.features.has_select_for_update:
        query = query.select_for_update()
    return query.get(pk=tender.pk)


def _record(
    *,
    actor,
    target: UploadTarget,
    sha256: str,
    size: int,
    received_at: datetime,
    checkpoint: dict,
    node: tuple[str, str],
    fingerprint: str | None,
):
    with transaction.atomic():
        tender = lock_tender(target.tender)
        _, deadline = bid_window(tender)
        if tender.cancelled_at is not None:
            raise errors.tender_cancelled(tender.code)
        if deadline is None or received_at >= deadline:
            raise errors.deadline_passed()
        if ClosingStatement.objects.filter(tender=tender).exists():
            raise errors.closed()
        previous = current_envelope(tender, target.company.pk, target.lot, target.name)
        if previous is not None and previous.sha256 == sha256:
            return UploadResult(envelope=previous, created=False, supersedes=None)
        if previous is not None:
            previous.superseded_at = received_at
            previous.save(update_fields=["superseded_at"])
        node_name, prefix = node
        event = audit_append(
            actor=actor,
            action="bid.received",
            object_type="bid.envelope",
            object_id=f"{tender.code}/{target.lot}/{target.name}/{target.company.nib}",
            payload={
                "tender": tender.code,
                "lot": target.lot,
                "envelope": target.name,
                "company_id": target.company.pk,
                "sha256": sha256,
                "size": size,
                "received_at": received_at.isoformat(),
                "supersedes": previous.sha256 if previous else None,
            },
        )
        receipt = sign_payload(
            receipt_payload(
                node=node_name,
                ocds_prefix=prefix,
                tender_code=tender.code,
                lot=target.lot,
                envelope=target.name,
                company_nib=target.company.nib,
                company_name=target.company.name,
                sha256=sha256,
                size=size,
                received_at=received_at,
                audit_index=event.seq,
                audit_head=event.hash,
                recipient_fingerprint=fingerprint,
                checkpoint=checkpoint,
            )
        )
        envelope = Envelope.objects.create(
            tender=tender,
            lot=target.lot,
            name=target.name,
            company=target.company,
            uploaded_by=actor,
            sha256=sha256,
            size=size,
            received_at=received_at,
            receipt=receipt,
            audit_seq=event.seq,
        )
        return UploadResult(
            envelope=envelope, created=True, supersedes=previous.sha256 if previous else None
        )


def bid_withdraw(*, actor, target: UploadTarget) -> Envelope:
    """Withdraw the company's current envelope before the deadline (audited)."""
    with transaction.atomic():
        tender = lock_tender(target.tender)
        now = clock.now()
        _, deadline = bid_window(tender)
        if deadline is None or now >= deadline:
            raise errors.deadline_passed()
        envelope = current_envelope(tender, target.company.pk, target.lot, target.name)
        if envelope is None:
            raise errors.envelope_not_found()
        envelope.withdrawn_at = now
        envelope.save(update_fields=["withdrawn_at"])
        audit_append(
            actor=actor,
            action="bid.withdrawn",
            object_type="bid.envelope",
            object_id=f"{tender.code}/{target.lot}/{target.name}/{target.company.nib}",
            payload={
                "tender": tender.code,
                "lot": target.lot,
                "envelope": target.name,
                "company_id": target.company.pk,
                "sha256": envelope.sha256,
                "withdrawn_at": now.isoformat(),
            },
        )
        return envelope
