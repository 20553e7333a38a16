"""The closing statement: at the bid deadline the node signs every current envelope's SHA-256,
their count and the audit head. Derived, not scheduled: the first request after the deadline
signs it; later calls return the same statement."""

from __future__ import annotations

import base64
import json

from django.db import IntegrityError, transaction

from tangguh import clock
from tangguh.audit.selectors import audit_head
from tangguh.audit.services import audit_append
from tangguh.bids.models import ClosingStatement
from tangguh.bids.selectors import closing_statement_get, current_envelopes, node_identity
from tangguh.bids.services import errors
from tangguh.bids.services.receipts import CLOSING_TYPE, rfc3339
from tangguh.bids.services.upload import bid_window, lock_tender
from tangguh.core.errors import Conflict
from tangguh.core.signing import sign_payload
from tangguh.outages.selectors import gap_detection_done
from tangguh.tenders.models import Tender


def _signed_body(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def closing_statement_sign(tender: Tender) -> ClosingStatement:
    """The tender's closing statement, signing it once the deadline has passed."""
    existing = closing_statement_get(tender)
    if existing is not None:
        return existing
    _, deadline = bid_window(tender)
    if deadline is None or clock.now() < deadline:
        raise errors.deadline_not_passed()
    if not gap_detection_done():
        # A silence the heartbeat has not examined yet may extend this deadline: signing now
        # would close the window an outage is about to reopen.
        raise Conflict(
            "bid.gap_detection_pending",
            "Node baru berjalan kembali; pernyataan penutupan menunggu deteksi gangguan "
            "(heartbeat). Coba lagi dalam satu menit.",
            "The node has just restarted; the closing statement waits until outage detection "
            "(the heartbeat) has run. Try again in a minute.",
        )
    if tender.cancelled_at is not None and tender.cancelled_at < deadline:
        raise errors.tender_cancelled(tender.code)
    try:
        with transaction.atomic():
            locked = lock_tender(tender)
            existing = closing_statement_get(locked)
            if existing is not None:
                return existing
            node, prefix = node_identity()
            seq, head = audit_head()
            signed_at = clock.now()
            envelopes = [
                {
                    "company_nib": e.company.nib,
                    "lot": e.lot,
                    "name": e.name,
                    "sha256": e.sha256,
                    "size": e.size,
                    "received_at": rfc3339(e.received_at),
                }
                for e in current_envelopes(locked)
            ]
            document = {
                "typ": CLOSING_TYPE,
                "node": node,
                "ocds_prefix": prefix,
                "tender": locked.code,
                "deadline": rfc3339(deadline),
                "envelopes": envelopes,
                "count": len(envelopes),
                "audit_head": {"seq": seq, "hash": head},
                "signed_at": rfc3339(signed_at),
            }
            signature = sign_payload(document)
            statement = ClosingStatement.objects.create(
                tender=locked,
                signed_at=signed_at,
                document=_signed_body(signature),  # exactly what was signed (env included)
                signature=signature,
            )
            audit_append(
                actor="system",
                action="bid.closing_signed",
                object_type="tender",
                object_id=locked.code,
                payload={
                    "tender": locked.code,
                    "count": len(envelopes),
                    "sha256": [e["sha256"] for e in envelopes],
                    "audit_head": {"seq": seq, "hash": head},
                },
            )
            return statement
    except IntegrityError:  # a concurrent first request signed it
        statement = closing_statement_get(tender)
        if statement is None:
            raise
        return statement
