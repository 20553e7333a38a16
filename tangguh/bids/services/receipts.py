"""Receipts: what a signed receipt says, and checking one against a JWKS.

A receipt is a compact JWS (RFC 7515, ``alg: EdDSA``, with ``kid``) signed by the node key.
``verify_receipt`` is pure: it needs the token and the node's JWKS (current and retired keys),
nothing from the database, so the CLI checks receipts offline and the public page uses it too.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from tangguh.core.signing import JwsError, VerifiedJws, verify_jws

RECEIPT_TYPE = "tangguh.bid-receipt/1"
CLOSING_TYPE = "tangguh.closing-statement/1"


def rfc3339(moment: datetime) -> str:
    """``moment`` in the node's time zone, with its offset (e.g. ``+09:00``)."""
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).isoformat()


def receipt_payload(
    *,
    node: str,
    ocds_prefix: str,
    tender_code: str,
    lot: int,
    envelope: str,
    company_nib: str,
    company_name: str,
    sha256: str,
    size: int,
    received_at: datetime,
    audit_index: int,
    audit_head: str,
    recipient_fingerprint: str | None,
    checkpoint: dict | None = None,
) -> dict:
    """The receipt's claims (no personal data: the vendor is named by its company)."""
    return {
        "typ": RECEIPT_TYPE,
        "node": node,
        "ocds_prefix": ocds_prefix,
        "tender": tender_code,
        "lot": lot,
        "envelope": envelope,
        "vendor": {"nib": company_nib, "name": company_name},
        "sha256": sha256,
        "size": size,
        "received_at": rfc3339(received_at),
        "audit_index": audit_index,
        "audit_head": audit_head,
        "recipient_fingerprint": recipient_fingerprint,
        # The newest signed checkpoint when the bid was received ({size, head_hash, time,
        # kid}): keep it, and `tangguh audit verify --checkpoint` can later prove the log that
        # holds this bid was not rolled back past it.
        "checkpoint": checkpoint,
    }


# --- verification -------------------------------------------------------------------------


class ReceiptError(Exception):
    """Why a receipt does not verify; ``code`` is stable."""

    code = "receipt.invalid"
    message_id = "Tanda terima tidak sah."
    message_en = "The receipt is not valid."

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ReceiptMalformed(ReceiptError):
    code = "receipt.malformed"
    message_id = "Bukan tanda terima yang terbaca (JWS rusak)."
    message_en = "Not a readable receipt (malformed JWS)."


class ReceiptUnknownKey(ReceiptError):
    code = "receipt.unknown_key"
    message_id = "Tanda terima ditandatangani kunci yang tidak dikenal node ini."
    message_en = "The receipt is signed with a key this node does not know."


class ReceiptBadSignature(ReceiptError):
    code = "receipt.bad_signature"
    message_id = "Tanda tangan tidak cocok: tanda terima palsu atau diubah."
    message_en = "The signature does not match: the receipt is forged or altered."


VerifiedReceipt = VerifiedJws

_RECEIPT_ERRORS = {
    "malformed": ReceiptMalformed,
    "unknown_key": ReceiptUnknownKey,
    "bad_signature": ReceiptBadSignature,
}


def verify_receipt(token: str, jwks: dict) -> VerifiedReceipt:
    """Check a compact JWS against a JWKS; the payload, or a ``ReceiptError``."""
    try:
        return verify_jws(token, jwks)
    except JwsError as exc:
        raise _RECEIPT_ERRORS[exc.kind](exc.detail) from exc


def _describe_checkpoint(checkpoint: object) -> str | None:
    if not isinstance(checkpoint, dict):
        return None
    return f"#{checkpoint.get('size')} {checkpoint.get('head_hash')} ({checkpoint.get('time')})"


def describe_receipt(payload: dict) -> list[tuple[str, str, str]]:
    """What a verified receipt proves, as (label id, label en, value) rows."""
    vendor = payload.get("vendor") if isinstance(payload.get("vendor"), dict) else {}
    rows = [
        ("Node", "Node", payload.get("node")),
        ("Kode tender", "Tender code", payload.get("tender")),
        ("Paket (lot)", "Lot", payload.get("lot")),
        ("Sampul", "Envelope", payload.get("envelope")),
        ("Penyedia", "Vendor", f"{vendor.get('name', '')} (NIB {vendor.get('nib', '')})"),
        ("SHA-256", "SHA-256", payload.get("sha256")),
        ("Ukuran (bita)", "Size (bytes)", payload.get("size")),
        (
            "Diterima (bita terakhir tersimpan)",
            "Received (last byte durable)",
            payload.get("received_at"),
        ),
        ("Indeks log audit", "Audit log index", payload.get("audit_index")),
        ("Kepala log audit", "Audit log head", payload.get("audit_head")),
        (
            "Titik periksa log terakhir",
            "Latest log checkpoint",
            _describe_checkpoint(payload.get("checkpoint")),
        ),
        ("Sidik jari penerima", "Recipient fingerprint", payload.get("recipient_fingerprint")),
    ]
    if payload.get("env"):
        rows.append(("Lingkungan", "Environment", payload["env"]))
    return [(a, b, "—" if c is None else str(c)) for a, b, c in rows]
