"""What every tender service needs: finding the tender and checking the caller's committee."""

from __future__ import annotations

from tangguh.accounts.models import User
from tangguh.accounts.services.permissions import permission_require
from tangguh.core.errors import Conflict, NotFound
from tangguh.domain.roles import Permission
from tangguh.tenders.models import Tender


def tender_for_committee(*, actor: User, tender_id: int, action: str) -> Tender:
    """The tender, if ``actor`` sits on its Pokja; refuse anyone else (audited)."""
    tender = (
        Tender.objects.select_related("package__work_unit__agency", "committee")
        .filter(pk=tender_id)
        .first()
    )
    if tender is None:
        raise NotFound(
            "tender.not_found", "Tender tidak ditemukan.", "Tender not found.", field="tender_id"
        )
    permission_require(
        user=actor,
        permission=Permission.PREPARE_TENDER,
        scope=f"committee:{tender.committee_id}",
        action=action,
    )
    return tender


def require_draft(tender: Tender) -> None:
    if tender.announced_at is not None:
        raise Conflict(
            "tender.already_announced",
            "Tender sudah diumumkan; gunakan perubahan jadwal atau adendum.",
            "The tender is announced; use a schedule change or an addendum.",
        )


def require_live(tender: Tender) -> None:
    if tender.cancelled_at is not None:
        raise Conflict(
            "tender.cancelled", "Tender ini sudah dibatalkan.", "This tender has been cancelled."
        )
