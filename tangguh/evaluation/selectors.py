"""Reads for the technical evaluation of a two-file tender: which bids need a result, whether
every one has one, who passed, and whether the price opening has started."""

from __future__ import annotations

from django.db.models import QuerySet

from tangguh.bids.models import OpenedEnvelope, Opening
from tangguh.evaluation.models import TechnicalResult
from tangguh.tenders.models import Tender


def technical_opening(tender: Tender) -> Opening | None:
    """The finished opening of the tender's technical envelopes, or None."""
    return (
        Opening.objects.filter(
            tender=tender, sealing_key__envelope="technical", opened_at__isnull=False
        )
        .select_related("sealing_key")
        .first()
    )


def technical_bids(tender: Tender) -> list[OpenedEnvelope]:
    """Every technical envelope the technical opening listed (opened or not), one per
    company: each needs a technical result before any price envelope opens."""
    opening = technical_opening(tender)
    if opening is None:
        return []
    return list(OpenedEnvelope.objects.filter(opening=opening).select_related("envelope__company"))


def technical_results(tender: Tender) -> QuerySet[TechnicalResult]:
    return TechnicalResult.objects.filter(tender=tender).select_related("company", "recorded_by")


def technical_results_complete(tender: Tender) -> bool:
    """True once the technical envelopes are open and every one of them has a result."""
    if technical_opening(tender) is None:
        return False
    companies = {row.envelope.company_id for row in technical_bids(tender)}
    recorded = set(technical_results(tender).values_list("company_id", flat=True))
    return companies <= recorded


def technical_passed_company_ids(tender: Tender) -> set[int]:
    return set(
        TechnicalResult.objects.filter(tender=tender, passed=True).values_list(
            "company_id", flat=True
        )
    )


def price_opening_started(tender: Tender) -> bool:
    """The first price share was released: from then on the technical results are final."""
    return Opening.objects.filter(tender=tender, sealing_key__envelope="price").exists()
