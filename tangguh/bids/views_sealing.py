"""The vendor's sealing page (Kirim Penawaran): the form for ``penawaran.json``, sealing in the
browser, the resumable upload and the receipt. The bid is packed and sealed in the vendor's
browser (``static/bids/vendor.js``, built from ``frontend/src/vendor.js``); the node only
shows the tender, the envelopes' recipients and fingerprints and the vendor's envelopes. The
page script uploads through the JSON API with the session (``browser_or_bearer``).

Before sealing, the page says whether the tender requires a bid guarantee and its minimum
(``bid_guarantee_rule``, the same rule the opening checks against), so the vendor can state it
while it can still be fixed. The page only informs: the script does not refuse a bid without
one, because the Pokja decides and the opening flags it (docs/bids.md "Bid guarantee")."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from tangguh import clock
from tangguh.bids.models import SealingKey
from tangguh.bids.selectors import (
    bid_guarantee_rule,
    bid_max_bytes,
    company_envelopes,
    envelope_names,
    envelope_status,
)
from tangguh.bids.services.receipts import rfc3339
from tangguh.bids.services.upload import bid_window
from tangguh.domain.bid_package import PRICED, REQUIRED_DECLARATIONS
from tangguh.participation.selectors import participation_of_user
from tangguh.tenders.selectors import tender_get_public

# tus parts: 8 MiB, as issue #5 asks; an operator on a weak link may set a smaller one.
DEFAULT_PART_BYTES = 8 * 1024 * 1024

ENVELOPE_LABELS = {
    "offer": ("Sampul penawaran (satu file)", "Bid envelope (one file)"),
    "technical": ("Sampul I: penawaran teknis", "Envelope I: technical bid"),
    "price": ("Sampul II: penawaran harga", "Envelope II: price bid"),
}

DECLARATIONS = {
    "pakta_integritas": (
        "Saya menyatakan penawaran ini dibuat sesuai Pakta Integritas yang telah saya setujui "
        "saat mendaftar, dan data di dalamnya benar.",
        "I declare this bid is made under the Integrity Pact I accepted when registering, and "
        "its data are true.",
    ),
}


def _envelopes(tender, company_id: int) -> list[dict]:
    keys = {k.envelope: k for k in SealingKey.objects.filter(tender=tender, lot=1)}
    rows = []
    for name in envelope_names(tender):
        key = keys.get(name)
        rows.append(
            {
                "name": name,
                "label": ENVELOPE_LABELS[name],
                "priced": name in PRICED,
                "recipient": key.recipient if key else None,
                "fingerprint": key.fingerprint if key else None,
                "k": key.k if key else None,
                "n": key.n if key else None,
                "guarantee": bid_guarantee_rule(tender, name),
            }
        )
    return rows


@login_required
@ensure_csrf_cookie
def seal_page(request, code: str):
    tender = tender_get_public(code)
    if tender is None:
        raise Http404("tender")
    participation = participation_of_user(request.user, tender)
    if participation is None:
        return render(
            request, "bids/seal.html", {"tender": tender, "registered": False}, status=403
        )
    now = clock.now()
    start, deadline = bid_window(tender)
    is_open = (
        tender.cancelled_at is None
        and deadline is not None
        and now < deadline
        and (start is None or start <= now)
    )
    envelopes = _envelopes(tender, participation.company_id)
    mine = [
        {
            "envelope": e,
            "status": envelope_status(e),
            "receipt_filename": f"tanda-terima-{tender.code}-{e.name}-{e.sha256[:8]}.jws",
        }
        for e in reversed(company_envelopes(tender, participation.company_id))
    ]
    return render(
        request,
        "bids/seal.html",
        {
            "tender": tender,
            "registered": True,
            "company": participation.company,
            "envelopes": envelopes,
            # the administrative envelope's rule (offer, or technical in a two-file tender)
            "guarantee": envelopes[0]["guarantee"],
            "declarations": [(name, *DECLARATIONS[name]) for name in REQUIRED_DECLARATIONS],
            "mine": mine,
            "is_open": is_open,
            "not_yet": start is not None and now < start,
            "start": start,
            "deadline": deadline,
            "deadline_iso": rfc3339(deadline) if deadline else "",
            "now_iso": rfc3339(now),
            "max_bytes": bid_max_bytes(tender),
            "part_bytes": int(getattr(settings, "TANGGUH_BID_PART_BYTES", DEFAULT_PART_BYTES)),
        },
    )
