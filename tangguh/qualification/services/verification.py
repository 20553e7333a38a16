"""The verifier's decision on each qualification item (VERIFY_VENDORS)."""

from __future__ import annotations

from django.db import transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.accounts.services.permissions import permission_require
from tangguh.audit.services import audit_append
from tangguh.core.errors import InvalidInput
from tangguh.domain.roles import Permission
from tangguh.qualification.models import ItemKind, QualificationItem, Verification
from tangguh.qualification.services.access import item_find
from tangguh.qualification.services.cleaning import item_kind


def _decide(
    *, actor: User, kind: ItemKind, item_id: int, status: Verification, reason: str
) -> QualificationItem:
    with transaction.atomic():
        item = item_find(kind=kind, item_id=item_id)
        item.verification = status
        item.verification_reason = reason
        item.verified_by = actor
        item.verified_at = clock.now()
        item.save(
            update_fields=["verification", "verification_reason", "verified_by", "verified_at"]
        )
        audit_append(
            actor=actor,
            action=f"qualification.item_{status.value}",
            object_type=f"qualification_{kind.value}",
            object_id=item.pk,
            payload={
                "company_id": item.profile.company_id,
                "document_sha256": item.document_sha256,
                **({"reason": reason} if reason else {}),
            },
        )
    return item


def qualification_item_verify(
    *, actor: User, kind: ItemKind | str, item_id: int
) -> QualificationItem:
    """A verifier confirms the item against its document (or the issuing registry)."""
    permission_require(
        user=actor, permission=Permission.VERIFY_VENDORS, action="qualification.verify"
    )
    return _decide(
        actor=actor, kind=item_kind(kind), item_id=item_id, status=Verification.VERIFIED, reason=""
    )


def qualification_item_reject(
    *, actor: User, kind: ItemKind | str, item_id: int, reason: str
) -> QualificationItem:
    """A verifier refuses the item, saying why, so the vendor can put it right."""
    permission_require(
        user=actor, permission=Permission.VERIFY_VENDORS, action="qualification.reject"
    )
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise InvalidInput(
            "qualification.reason_required",
            "Alasan penolakan wajib diisi (paling sedikit 10 karakter).",
            "A rejection reason of at least 10 characters is required.",
            field="reason",
        )
    return _decide(
        actor=actor,
        kind=item_kind(kind),
        item_id=item_id,
        status=Verification.REJECTED,
        reason=reason[:2000],
    )
