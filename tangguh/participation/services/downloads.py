"""Downloading a tender's documents: registered participants and the tender's own Pokja only,
each download recorded (who, which document, its SHA-256, when) and audited."""

from __future__ import annotations

from django.db import transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.audit.services import audit_append
from tangguh.core.blobs import node_blobs
from tangguh.core.errors import NotAuthenticated, NotFound, PermissionDenied
from tangguh.participation.models import DocumentDownload
from tangguh.participation.selectors import is_committee_member, participation_of_user
from tangguh.tenders.models import TenderDocument
from tangguh.tenders.selectors import tender_find


def _not_found() -> NotFound:
    return NotFound(
        "tender.document_not_found",
        "Dokumen tidak ditemukan pada tender ini.",
        "No such document in this tender.",
        field="document_id",
    )


def tender_document_download(*, actor: User, tender_code: str, document_id: int) -> TenderDocument:
    """Record ``actor``'s download of a document and return it, for streaming.

    A participant sees documents of an announced tender; the tender's Pokja sees them always.
    Anyone else is refused with ``participation.not_registered``.
    """
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated(
            "auth.required", "Silakan masuk terlebih dahulu.", "Please log in first."
        )
    tender = tender_find(tender_code, viewer=actor)  # a hidden draft is not found
    committee = is_committee_member(actor, tender)
    participation = None if committee else participation_of_user(actor, tender)
    if not committee and participation is None:
        audit_append(
            actor=actor,
            action="permission.denied",
            object_type="tender",
            object_id=tender.code,
            payload={"attempted": "tender.document_download", "document_id": document_id},
        )
        raise PermissionDenied(
            "participation.not_registered",
            f"Dokumen tender {tender.code} hanya dapat diunduh oleh peserta yang sudah mendaftar "
            "dan Pokja Pemilihan tender ini.",
            f"Documents of tender {tender.code} can be downloaded only by registered "
            "participants and the tender's selection committee.",
        )
    document = TenderDocument.objects.filter(pk=document_id, tender=tender).first()
    if document is None or not node_blobs().exists(document.sha256):
        raise _not_found()
    with transaction.atomic():
        download = DocumentDownload.objects.create(
            tender=tender,
            document=document,
            user=actor,
            participation=participation,
            sha256=document.sha256,
            at=clock.now(),
        )
        audit_append(
            actor=actor,
            action="tender.document_downloaded",
            object_type="tender_document",
            object_id=document.pk,
            payload={
                "tender": tender.code,
                "sha256": document.sha256,
                "download_id": download.pk,
                "company_id": participation.company_id if participation else None,
                "as": "committee" if committee else "participant",
            },
        )
    return document
