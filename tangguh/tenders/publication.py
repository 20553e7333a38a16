"""What happens when a tender's public face changes: the search index is refreshed and the
participants are told. Called inside the writing transaction, so all happens or none."""

from __future__ import annotations

from tangguh.tenders.models import Tender


def tender_published(*, tender: Tender, event: str, detail: str = "") -> None:
    """Hook for the projections of a public tender (search index, notifications)."""
    _refresh_search(tender)
    _notify(tender, event, detail)


def _refresh_search(tender: Tender) -> None:
    from django.apps import apps

    if apps.is_installed("tangguh.search"):
        from tangguh.search.services import search_index_tender

        search_index_tender(tender=tender)


def _notify(tender: Tender, event: str, detail: str) -> None:
    from django.apps import apps

    if apps.is_installed("tangguh.notifications"):
        from tangguh.notifications.services import notify_tender_participants

        notify_tender_participants(tender=tender, event=event, detail=detail)
