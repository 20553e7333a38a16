"""The signed sealing-key document a vendor's sealing page and CLI read."""

from __future__ import annotations

from django.conf import settings

from tangguh.bids.models import SealingKey
from tangguh.core.signing import sign_payload
from tangguh.domain.sealing.fingerprint import recipient_fingerprint
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
                **_recovery_share(k),
            }
            for k in keys
        ],
    }
    return {**body, "signature": sign_payload(body)}


def _recovery_share(key: SealingKey) -> dict:
    """``{"recovery_share": {"index", "commitment", "fingerprint"}}`` when the key has the
    UKPBJ's recovery share (the one share without a holder; its commitment is also in
    ``commitments``); nothing otherwise, so documents without one keep their shape."""
    share = next((s for s in key.shares.all() if s.holder_id is None), None)
    if share is None:
        return {}
    return {
        "recovery_share": {
            "index": share.index,
            "commitment": share.commitment,
            "fingerprint": recipient_fingerprint(share.holder_recipient),
        }
    }
