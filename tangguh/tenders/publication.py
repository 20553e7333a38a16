"""What happens when a tender's public face changes: the search index is refreshed and the
participants are told. Called inside the writing transaction, so all happens or none (e-mail
leaves only after the commit)."""

from __future__ import annotations

from tangguh.notifications.services import notify_tender_participants
from tangguh.search.services import search_index_tender
from tangguh.tenders.models import Tender


def tender_published(*, tender: Tender, event: str, detail: str = "") -> None:
    """Refresh the tender's projections after ``event`` (announced, schedule_changed, …)."""
    search_index_tender(tender=tender)
    notify_tender_participants(tender=tender, event=event, detail=detail)
