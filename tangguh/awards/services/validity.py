"""Asking vendors to extend their bids' validity (issue 6, "Bid validity"; standard tender
documents: when the selection is delayed past the bids' validity, the Pokja asks the bidders
to extend it in writing, and a bid that is not extended lapses).

A bid's validity is known once its price envelope is opened (it is stated inside the sealed
``penawaran.json``); from then on, whenever a public schedule change (by the Pokja, an
addendum or an outage extension: every one goes through ``tender_published`` with the event
``schedule_changed``) ends the award-to-contract stages after a bid's validity, that vendor is
asked, once per bid and needed date. The extension itself is ``workspace.validity_extend``
(API ``POST /tenders/{code}/bid-validity`` or the vendor's results page)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from tangguh import clock
from tangguh.awards.models import Contract, ValidityRequest
from tangguh.awards.selectors import current_failure, evaluation_compute, priced_opening
from tangguh.awards.services.common import audit_tender, tell_company
from tangguh.core.calendar import node_calendar
from tangguh.domain.methods import StageKind
from tangguh.notifications.messages import message_compose
from tangguh.tenders.models import Tender
from tangguh.tenders.selectors import tender_schedule

# The stages a bid must stay valid through: from the award to the contract's signing.
AWARD_TO_CONTRACT = frozenset(
    {
        StageKind.AWARD,
        StageKind.WINNER_ANNOUNCEMENT,
        StageKind.OBJECTION,
        StageKind.OBJECTION_ANSWER,
        StageKind.APPEAL,
        StageKind.APPEAL_ANSWER,
        StageKind.SPPBJ,
        StageKind.CONTRACT,
    }
)


def validity_needed_until(tender: Tender) -> dt.date | None:
    """The local date the award-to-contract stages end on, by the current schedule."""
    ends = [s.end for s in tender_schedule(tender).stages if s.kind in AWARD_TO_CONTRACT]
    return node_calendar().local(max(ends)).date() if ends else None


def bid_validity_requests_send(*, tender: Tender) -> list[ValidityRequest]:
    """Ask every opened bid whose validity ends before the award-to-contract stages do to
    extend it (inbox and e-mail to the vendor's users, audited). Idempotent: a bid is asked
    once per needed date. Nothing is asked before the price opening (the validity is sealed
    until then), after the contract or of a cancelled or failed tender."""
    if tender.cancelled_at is not None or tender.announced_at is None:
        return []
    if priced_opening(tender) is None or Contract.objects.filter(tender=tender).exists():
        return []
    if current_failure(tender) is not None:
        return []
    needed = validity_needed_until(tender)
    if needed is None:
        return []
    asked = []
    with transaction.atomic():
        for bid in evaluation_compute(tender).bids:
            if bid.valid_until is None or bid.valid_until >= needed:
                continue
            request, created = ValidityRequest.objects.get_or_create(
                tender=tender,
                company=bid.company,
                needed_until=needed,
                defaults={"valid_until": bid.valid_until, "requested_at": clock.now()},
            )
            if not created:
                continue
            audit_tender(
                "system",
                tender,
                "evaluation.validity_extension_requested",
                {
                    "company_nib": bid.company.nib,
                    "valid_until": bid.valid_until.isoformat(),
                    "needed_until": needed.isoformat(),
                },
            )
            tell_company(
                company_id=bid.company.pk,
                tender=tender,
                message=message_compose(
                    "bid_validity_extension",
                    code=tender.code,
                    title=tender.title,
                    needed=f"{needed:%d-%m-%Y}",
                    valid_until=f"{bid.valid_until:%d-%m-%Y}",
                ),
            )
            asked.append(request)
    return asked
