"""What the clarification services share: the tender must be announced and live, and the
stage windows are told in the node's zone with the zone named."""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from tangguh.core.calendar import node_calendar
from tangguh.core.errors import Conflict, NotFound
from tangguh.domain.timefmt import format_moment_en, format_moment_id
from tangguh.tenders.models import Tender
from tangguh.tenders.services.common import require_live


def tender_announced(tender_id: int) -> Tender:
    """An announced tender by id (any caller may ask about it; drafts are not found)."""
    tender = (
        Tender.objects.select_related("package__work_unit__agency", "committee")
        .filter(pk=tender_id, announced_at__isnull=False)
        .first()
    )
    if tender is None:
        raise NotFound(
            "tender.not_found", "Tender tidak ditemukan.", "Tender not found.", field="code"
        )
    return tender


def require_announced_live(tender: Tender) -> None:
    if tender.announced_at is None:
        raise Conflict(
            "tender.not_announced",
            "Tender belum diumumkan.",
            "The tender has not been announced.",
        )
    require_live(tender)


def moment_id(moment: datetime) -> str:
    """E.g. "Senin, 24 Juni 2024 10:00 WIT"."""
    return format_moment_id(moment, node_calendar())


def moment_en(moment: datetime) -> str:
    return format_moment_en(moment, node_calendar())


def tender_lock(tender: Tender) -> None:
    """Serialise writers numbering one tender's questions or addenda (PostgreSQL row lock;
    SQLite transactions already begin IMMEDIATE)."""
    if connection.features.has_select_for_update:
        Tender.objects.select_for_update().filter(pk=tender.pk).first()
