"""The signed sealing-key document a vendor's sealing page and CLI read."""

from __future__ import annotations

from django.conf import settings

from tangguh.bids.models import SealingKey
from tangguh.core.signing import sign_payload
from tangguh.tenders.models import Tender
from tangguh.tenders.selectors import tender_schedule


def sealing_key_document(tender: Tender) -> dict | None:
    """``{"tender", "deadline", "envelopes": [...], "signature"}`` (SPEC.md), the signature a
    JWS by the node key over the rest; None before the keys are dealt."""
    keys = list(
        SealingKey.objects.filter(tender=tender).prefetch_related("shares").order_by("envelope")
    )
    if not keys:
        return None
    deadline = tender_schedule(tender).bid_deadline
    from zoneinfo import ZoneInfo

    body = {
        "tender": tender.code,
        "deadline": deadline.astimezone(ZoneInfo(settings.TIME_ZONE)).isoformat()
        if deadline
        else None,
        "envelopes": [
            {
                "name": k.envelope,
                "lot": k.lot,
                "recipient": k.recipient,
                "fingerprint": k.fingerprint,
                "k": k.k,
                "n": k.n,
                "commitments": [s.commitment for s in k.shares.order_by("index")],
            }
            for k in keys
        ],
    }
    return {**body, "signature": sign_payload(body)}
