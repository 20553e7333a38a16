"""Supporting documents of qualification items: PDF only, at most 20 MB, checked by their first
bytes *before* anything is stored, then kept by content (``tangguh.core.blobs``)."""

from __future__ import annotations

import itertools
from typing import BinaryIO

from django.db import transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.audit.services import audit_append, audit_record_read
from tangguh.core.blobs import CHUNK, Blob, BlobTooLarge, node_blobs
from tangguh.core.errors import InvalidInput, NotFound
from tangguh.qualification.models import ItemKind, QualificationItem
from tangguh.qualification.services.access import (
    company_require_own,
    company_require_own_or_verifier,
    item_find,
)
from tangguh.qualification.services.cleaning import item_kind
from tangguh.qualification.services.items import reset_verification

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
PDF_MAGIC = b"%PDF-"


def _too_large() -> InvalidInput:
    return InvalidInput(
        "qualification.document_too_large",
        "Dokumen melebihi 20 MB.",
        "The document is larger than 20 MB.",
        field="file",
    )


def _not_pdf() -> InvalidInput:
    return InvalidInput(
        "qualification.document_not_pdf",
        "Dokumen pendukung harus berkas PDF.",
        "A supporting document must be a PDF file.",
        field="file",
    )


def _filename(value: str) -> str:
    name = (value or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '";')[:200]
    return name or "dokumen.pdf"


def pdf_store(*, handle: BinaryIO, declared_size: int | None = None) -> Blob:
    """Store a PDF by content; refuse a non-PDF or an oversized file, storing nothing."""
    if declared_size is not None and declared_size > MAX_DOCUMENT_BYTES:
        raise _too_large()
    head = b""
    while len(head) < len(PDF_MAGIC):
        chunk = handle.read(len(PDF_MAGIC) - len(head))
        if not chunk:
            break
        head += chunk
    if head != PDF_MAGIC:
        raise _not_pdf()
    rest = iter(lambda: handle.read(CHUNK), b"")
    try:
        return node_blobs().put(itertools.chain([head], rest), max_size=MAX_DOCUMENT_BYTES)
    except BlobTooLarge as exc:
        raise _too_large() from exc


def qualification_document_attach(
    *,
    actor: User,
    company_id: int,
    kind: ItemKind | str,
    item_id: int,
    handle: BinaryIO,
    filename: str,
    declared_size: int | None = None,
) -> QualificationItem:
    """Attach (or replace) an item's supporting PDF; the item goes back to the verifier."""
    company_require_own(actor=actor, company_id=company_id, action="qualification.document_attach")
    kind = item_kind(kind)
    item_find(kind=kind, item_id=item_id, company_id=company_id)  # refuse before storing
    blob = pdf_store(handle=handle, declared_size=declared_size)
    with transaction.atomic():
        item = item_find(kind=kind, item_id=item_id, company_id=company_id)
        now = clock.now()
        item.document_sha256 = blob.sha256
        item.document_size = blob.size
        item.document_filename = _filename(filename)
        item.document_uploaded_at = now
        withdrawn = reset_verification(item)
        item.updated_at = now
        item.save()
        audit_append(
            actor=actor,
            action="qualification.document_attached",
            object_type=f"qualification_{kind.value}",
            object_id=item.pk,
            payload={
                "company_id": company_id,
                "sha256": blob.sha256,
                "size": blob.size,
                "verification_withdrawn": withdrawn,
            },
        )
    return item


def qualification_document_read(
    *, actor: User, company_id: int, kind: ItemKind | str, item_id: int
) -> QualificationItem:
    """The item whose document ``actor`` (a user of the company, or a verifier) is about to
    read; the read is audited, since documents carry personal and business data."""
    company_require_own_or_verifier(
        actor=actor, company_id=company_id, action="qualification.document_read"
    )
    kind = item_kind(kind)
    item = item_find(kind=kind, item_id=item_id, company_id=company_id)
    if not item.document_sha256 or not node_blobs().exists(item.document_sha256):
        raise NotFound(
            "qualification.document_not_found",
            "Data ini tidak memiliki dokumen pendukung.",
            "This item has no supporting document.",
            field="item_id",
        )
    audit_record_read(
        actor=actor,
        object_type=f"qualification_{kind.value}",
        object_ids=[item.pk],
        purpose="qualification.document_read",
    )
    return item
