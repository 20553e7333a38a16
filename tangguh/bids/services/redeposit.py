"""Re-depositing a sealed envelope after a restore: a vendor (or the administrator, from the
command line) brings back a file the node acknowledged after its last backup, with the receipt
the node signed for it.

The receipt is the proof: signed by this node's key (current or retired), naming this tender,
the company, the envelope, the file's SHA-256 and size and the moment its last byte was durable
— before the deadline, or the node would not have signed it. The file must hash to exactly
that; it is streamed into content storage and kept only if it does. The envelope is recorded
with the receipt's original receive time, audited as a re-deposit, and takes its place among
the company's envelopes by that time (a later upload stays current).

Refused: a receipt that does not verify or is not for this tender; a file whose size or digest
differs; a tender whose closing statement is signed without this envelope (its list is final;
an outage extension keeps the bid window open while the node is restored, docs/operations.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from django.conf import settings
from django.db import transaction

from tangguh import clock
from tangguh.accounts.selectors import user_roles
from tangguh.audit.services import audit_append
from tangguh.bids.models import ClosingStatement, Envelope
from tangguh.bids.selectors import (
    current_envelope,
    envelope_names,
    envelope_status,
    node_identity,
)
from tangguh.bids.services import errors
from tangguh.bids.services.receipts import RECEIPT_TYPE, ReceiptError, verify_receipt
from tangguh.bids.services.upload import bid_window, lock_tender
from tangguh.core.blobs import BlobTooLarge, node_blobs
from tangguh.core.errors import Conflict, InvalidInput, PermissionDenied
from tangguh.core.keys import node_keyring
from tangguh.domain.roles import Role
from tangguh.participation.selectors import participation_get
from tangguh.tenders.selectors import tender_get
from tangguh.vendors.models import VendorCompany
from tangguh.vendors.selectors import vendor_companies_of

READ_BLOCK = 512 * 1024  # as a bid upload's (upload.py: a block still in cache when hashed)


@dataclass(frozen=True)
class RedepositResult:
    envelope: Envelope
    created: bool  # a new envelope row (False: the row was there)
    file_restored: bool  # the sealed bytes were missing and are stored now
    status: str  # current | superseded | withdrawn


@dataclass(frozen=True)
class ReceiptClaims:
    tender: str
    lot: int
    envelope: str
    nib: str
    sha256: str
    size: int
    received_at: datetime
    audit_index: int | None
    audit_head: str | None
    kid: str
    token: str


def _receipt_refused(
    detail_id: str, detail_en: str, code: str = "bid.redeposit_receipt"
) -> InvalidInput:
    return InvalidInput(code, detail_id, detail_en, field="receipt")


def redeposit_claims(receipt: str | None, *, code: str) -> ReceiptClaims:
    """What a genuine receipt of this node for tender ``code`` states, or a refusal."""
    if not receipt or not receipt.strip():
        raise _receipt_refused(
            "Sertakan tanda terima (JWS) pada header Tangguh-Receipt.",
            "Send the receipt (JWS) in the Tangguh-Receipt header.",
            "bid.redeposit_receipt_required",
        )
    try:
        verified = verify_receipt(receipt.strip(), node_keyring().jwks())
    except ReceiptError as error:
        raise InvalidInput(
            error.code,
            f"{error.message_id} ({error.detail})",
            f"{error.message_en} ({error.detail})",
            field="receipt",
        ) from error
    claims = verified.payload
    if claims.get("typ") != RECEIPT_TYPE:
        raise _receipt_refused(
            "JWS ini bukan tanda terima penawaran.", "This JWS is not a bid receipt."
        )
    if claims.get("env") == "sandbox" and settings.TANGGUH_ENV != "sandbox":
        raise _receipt_refused(
            "Tanda terima sandbox tidak berlaku di node produksi.",
            "A sandbox receipt is not valid on a production node.",
        )
    if claims.get("ocds_prefix") != node_identity()[1]:
        raise _receipt_refused(
            "Tanda terima ini bukan dari node ini.", "This receipt is not from this node."
        )
    if claims.get("tender") != code:
        raise _receipt_refused(
            f"Tanda terima ini untuk tender {claims.get('tender')}, bukan {code}.",
            f"This receipt is for tender {claims.get('tender')}, not {code}.",
            "bid.redeposit_wrong_tender",
        )
    vendor = claims.get("vendor") if isinstance(claims.get("vendor"), dict) else {}
    try:
        received_at = datetime.fromisoformat(str(claims.get("received_at")))
        sha256, size = str(claims["sha256"]), claims["size"]
        lot, name, nib = claims["lot"], str(claims["envelope"]), str(vendor["nib"])
        if received_at.tzinfo is None or not isinstance(size, int) or not isinstance(lot, int):
            raise ValueError("types")
        bytes.fromhex(sha256)
        if len(sha256) != 64:
            raise ValueError("sha256")
    except (KeyError, ValueError, TypeError) as exc:
        raise _receipt_refused(
            "Isi tanda terima tidak lengkap.", "The receipt's claims are incomplete."
        ) from exc
    index, head = claims.get("audit_index"), claims.get("audit_head")
    return ReceiptClaims(
        tender=code,
        lot=lot,
        envelope=name,
        nib=nib,
        sha256=sha256.lower(),
        size=size,
        received_at=received_at,
        audit_index=index if isinstance(index, int) else None,
        audit_head=head if isinstance(head, str) else None,
        kid=verified.kid,
        token=receipt.strip(),
    )


def _digest_refused(declared: str, actual: str) -> InvalidInput:
    return InvalidInput(
        "bid.redeposit_digest_mismatch",
        f"SHA-256 berkas ({actual}) tidak sama dengan yang tertera pada tanda terima "
        f"({declared}); berkas tidak disimpan.",
        f"The file's SHA-256 ({actual}) is not the one on the receipt ({declared}); the file "
        "was not stored.",
        field="file",
    )


class _Mismatch(Exception):
    def __init__(self, actual: str) -> None:
        super().__init__(actual)
        self.actual = actual


def _matching_blocks(stream: BinaryIO, claims: ReceiptClaims) -> Iterator[bytes]:
    """Exactly the receipt's size from ``stream``; raises at the end (so the store discards its
    temporary file) unless the bytes hash to the receipt's SHA-256."""
    digest = hashlib.sha256()
    remaining = claims.size
    while remaining > 0:
        try:
            block = stream.read(min(READ_BLOCK, remaining))
        except Exception as exc:  # the client went away mid-body (servers raise their own types)
            raise errors.length_mismatch(claims.size, claims.size - remaining) from exc
        if not block:
            raise errors.length_mismatch(claims.size, claims.size - remaining)
        remaining -= len(block)
        digest.update(block)
        yield block
    if digest.hexdigest() != claims.sha256:
        raise _Mismatch(digest.hexdigest())


def _company(claims: ReceiptClaims, actor, operator: bool) -> VendorCompany:
    company = VendorCompany.objects.filter(nib=claims.nib).first()
    if company is None:
        raise Conflict(
            "bid.redeposit_company_unknown",
            f"Perusahaan NIB {claims.nib} belum terdaftar di node ini; daftarkan dulu.",
            f"Company NIB {claims.nib} is not registered on this node; register it first.",
        )
    if not operator and company.pk not in {c.pk for c in vendor_companies_of(actor)}:
        raise PermissionDenied(
            "bid.redeposit_not_yours",
            "Tanda terima ini milik perusahaan lain.",
            "This receipt belongs to another company.",
        )
    return company


def _after_closing() -> Conflict:
    return Conflict(
        "bid.redeposit_after_closing",
        "Berita acara penutupan sudah ditandatangani tanpa sampul ini; penyetoran ulang ditolak.",
        "The closing statement is signed without this envelope; the re-deposit is refused.",
    )


def bid_redeposit(
    *,
    actor,
    code: str,
    receipt: str | None,
    stream: BinaryIO,
    content_length: int,
    operator: bool = False,
) -> RedepositResult:
    """Bring back one sealed envelope with its receipt (see the module docstring).
    ``operator`` is the administrator acting from the command line for any company; otherwise
    ``actor`` must be a user of the company the receipt names."""
    if operator and Role.ADMIN not in user_roles(actor):
        raise PermissionDenied(
            "bid.redeposit_not_admin",
            "Hanya Admin PPE yang dapat menyetor ulang atas nama penyedia.",
            "Only a node administrator may re-deposit on a vendor's behalf.",
        )
    claims = redeposit_claims(receipt, code=code)
    tender = tender_get(code)
    if tender is None or tender.announced_at is None:
        raise errors.tender_not_found(code)
    if tender.cancelled_at is not None:
        raise errors.tender_cancelled(code)
    if claims.envelope not in envelope_names(tender) or claims.lot != 1:
        raise errors.bad_envelope(claims.envelope, envelope_names(tender))
    company = _company(claims, actor, operator)
    if participation_get(tender, company) is None:
        raise Conflict(
            "bid.redeposit_not_registered",
            "Pendaftaran perusahaan pada tender ini tidak ada di node (hilang bersama data "
            "setelah cadangan terakhir); daftar ulang dulu.",
            "The company's registration for this tender is not on the node (lost with the data "
            "after the last backup); register again first.",
        )
    _, deadline = bid_window(tender)
    if deadline is None or claims.received_at >= deadline or claims.received_at > clock.now():
        raise errors.deadline_passed()
    if content_length != claims.size:
        raise errors.length_mismatch(claims.size, content_length)
    recorded = Envelope.objects.filter(
        tender=tender, lot=claims.lot, name=claims.envelope, company=company, sha256=claims.sha256
    ).exists()
    if not recorded and ClosingStatement.objects.filter(tender=tender).exists():
        raise _after_closing()  # before a byte is read; checked again under the lock

    blobs = node_blobs()
    had_file = blobs.exists(claims.sha256)
    if not had_file:
        try:
            blobs.put(_matching_blocks(stream, claims), max_size=claims.size)
        except _Mismatch as mismatch:
            raise _digest_refused(claims.sha256, mismatch.actual) from None
        except BlobTooLarge as exc:
            raise errors.length_mismatch(claims.size, claims.size + 1) from exc
    return _record(actor=actor, tender=tender, company=company, claims=claims, had_file=had_file)


def _record(*, actor, tender, company, claims: ReceiptClaims, had_file: bool) -> RedepositResult:
    with transaction.atomic():
        tender = lock_tender(tender)
        closed = ClosingStatement.objects.filter(tender=tender).exists()
        existing = Envelope.objects.filter(
            tender=tender,
            lot=claims.lot,
            name=claims.envelope,
            company=company,
            sha256=claims.sha256,
        ).first()
        payload = {
            "tender": tender.code,
            "lot": claims.lot,
            "envelope": claims.envelope,
            "company_id": company.pk,
            "sha256": claims.sha256,
            "size": claims.size,
            "received_at": claims.received_at.isoformat(),
            "receipt_kid": claims.kid,
            "receipt_audit_index": claims.audit_index,
            "receipt_audit_head": claims.audit_head,
        }
        object_id = f"{tender.code}/{claims.lot}/{claims.envelope}/{company.nib}"
        if existing is not None:
            if not had_file:
                audit_append(
                    actor=actor,
                    action="bid.file_redeposited",
                    object_type="bid.envelope",
                    object_id=object_id,
                    payload=payload,
                )
            return RedepositResult(existing, False, not had_file, envelope_status(existing))
        if closed:
            raise _after_closing()
        previous = current_envelope(tender, company.pk, claims.lot, claims.envelope)
        superseded_at = None
        if previous is not None and previous.received_at < claims.received_at:
            previous.superseded_at = claims.received_at
            previous.save(update_fields=["superseded_at"])
        elif previous is not None:
            superseded_at = previous.received_at  # a later upload stays current
        event = audit_append(
            actor=actor,
            action="bid.redeposited",
            object_type="bid.envelope",
            object_id=object_id,
            payload={
                **payload,
                "status": "superseded" if superseded_at else "current",
                "supersedes": previous.sha256 if previous and not superseded_at else None,
            },
        )
        envelope = Envelope.objects.create(
            tender=tender,
            lot=claims.lot,
            name=claims.envelope,
            company=company,
            uploaded_by=actor,
            sha256=claims.sha256,
            size=claims.size,
            received_at=claims.received_at,
            receipt=claims.token,  # the node's own receipt, as first issued
            audit_seq=event.seq,
            superseded_at=superseded_at,
        )
        return RedepositResult(envelope, True, not had_file, envelope_status(envelope))
