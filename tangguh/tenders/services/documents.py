"""Tender documents: checked before they are stored, stored by content, published with hash."""

from __future__ import annotations

from typing import BinaryIO

from django.db import transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.audit.services import audit_append
from tangguh.core.blobs import CHUNK, BlobTooLarge, node_blobs
from tangguh.core.errors import Conflict, InvalidInput
from tangguh.tenders.models import DocumentKind, Tender, TenderDocument
from tangguh.tenders.services.common import require_live, tender_for_committee

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
# What a tender document may be, by its first bytes (not by its name, which anyone can choose).
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "application/zip": (b"PK\x03\x04",),  # also .docx, .xlsx
}
EXTENSIONS = {
    ".pdf": "application/pdf",
    ".docx": "application/zip",
    ".xlsx": "application/zip",
    ".zip": "application/zip",
}
CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".zip": "application/zip",
}


def _refuse_type(filename: str) -> InvalidInput:
    return InvalidInput(
        "document.type_not_allowed",
        f"Berkas {filename}: hanya PDF, DOCX, XLSX atau ZIP yang diterima.",
        f"File {filename}: only PDF, DOCX, XLSX or ZIP are accepted.",
        field="file",
    )


def document_store(*, filename: str, handle: BinaryIO) -> tuple[str, int, str]:
    """Check a document's type and size while storing it; (sha256, size, content type)."""
    name = (filename or "").strip().rsplit("/", 1)[-1][:200]
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in EXTENSIONS:
        raise _refuse_type(name or "?")
    # The first bytes decide the type, before anything is stored.
    first = handle.read(CHUNK)
    if not first.startswith(SIGNATURES[EXTENSIONS[extension]]):
        raise _refuse_type(name)

    def chunks():
        yield first
        yield from iter(lambda: handle.read(CHUNK), b"")

    try:
        blob = node_blobs().put(chunks(), max_size=MAX_DOCUMENT_BYTES)
    except BlobTooLarge as exc:
        raise InvalidInput(
            "document.too_large",
            "Berkas melebihi 50 MB.",
            "The file is larger than 50 MB.",
            field="file",
        ) from exc
    return blob.sha256, blob.size, CONTENT_TYPES[extension]


def tender_document_add(
    *,
    actor: User,
    tender_id: int,
    title: str,
    filename: str,
    handle: BinaryIO,
    kind: str = DocumentKind.TENDER_DOCUMENT,
    note: str = "",
) -> TenderDocument:
    """The Pokja adds a document to a tender (a draft's documents, or minutes later)."""
    tender = tender_for_committee(actor=actor, tender_id=tender_id, action="tender.document")
    require_live(tender)
    if tender.announced_at is not None and kind == DocumentKind.TENDER_DOCUMENT:
        # After the announcement the tender documents change only by addendum, which tells
        # every participant and may move the deadline (issue #4).
        raise Conflict(
            "document.addendum_required",
            "Tender sudah diumumkan; perubahan dokumen hanya melalui adendum.",
            "The tender is announced; documents change only through an addendum.",
            field="file",
        )
    title = (title or "").strip()
    if not 3 <= len(title) <= 200:
        raise InvalidInput(
            "document.title_required",
            "Judul dokumen wajib diisi (3–200).",
            "A document title of 3–200 characters is required.",
            field="title",
        )
    sha256, size, content_type = document_store(filename=filename, handle=handle)
    with transaction.atomic():
        return document_record(
            actor=actor,
            tender=tender,
            title=title,
            filename=filename,
            stored=(sha256, size, content_type),
            kind=kind,
            note=note,
        )


def document_record(
    *,
    actor: User,
    tender: Tender,
    title: str,
    filename: str,
    stored: tuple[str, int, str],
    kind: str,
    note: str = "",
) -> TenderDocument:
    """Record a document whose bytes ``document_store`` already stored (sha256, size, type),
    as the next version of the documents with its title. Call inside the writing transaction;
    the bytes are stored before it, so no lock is held while they arrive."""
    sha256, size, content_type = stored
    previous = tender.documents.filter(title=title).order_by("-version").first()
    document = TenderDocument.objects.create(
        tender=tender,
        kind=kind,
        title=title,
        filename=(filename or "").rsplit("/", 1)[-1][:200],
        content_type=content_type,
        sha256=sha256,
        size=size,
        version=previous.version + 1 if previous else 1,
        uploaded_by=actor,
        uploaded_at=clock.now(),
        note=note,
    )
    audit_append(
        actor=actor,
        action="tender.document_added",
        object_type="tender",
        object_id=tender.pk,
        payload={
            "document": document.pk,
            "title": title,
            "sha256": sha256,
            "size": size,
            "version": document.version,
            "kind": kind,
        },
    )
    return document
