"""What happens when a tender's public face changes: the search index is refreshed, the OCDS
releases are published and the participants are told. Called inside the writing transaction,
so all happens or none (e-mail leaves only after the commit)."""

from __future__ import annotations

from tangguh.awards.services.validity import bid_validity_requests_send
from tangguh.notifications.services import notify_tender_participants
from tangguh.opendata.services.publish import ocds_publish_tender
from tangguh.search.services import search_index_tender
from tangguh.tenders.models import Tender


def tender_published(*, tender: Tender, event: str, detail: str = "") -> None:
    """Refresh the tender's projections after ``event`` (announced, schedule_changed, …)."""
    search_index_tender(tender=tender)
    ocds_publish_tender(tender=tender, event=event, detail=detail)
    notify_tender_participants(tender=tender, event=event, detail=detail)
    if event == "schedule_changed":
        # A delay may now outlast opened bids' validity: their vendors are asked to extend it.
        bid_validity_requests_send(tender=tender)
