"""The committee member's key pages: Kunci pribadi saya (enrol a personal key in the browser),
Periksa kunci (prove this tender's key shares open) and Buka penawaran (release them after the
deadline). The cryptography runs in the member's browser (``static/bids/member.js``, built from
``frontend/src/member.js``); these views only show where things stand. The page script talks
to the JSON API with the session (``browser_or_bearer``); the identity and the passphrase never
reach the node."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from tangguh import clock
from tangguh.bids.models import KeyShare, OpenedEnvelope, Opening
from tangguh.bids.selectors import closing_statement_get
from tangguh.bids.services.keys import member_key_current
from tangguh.bids.services.opening import is_committee_member
from tangguh.bids.services.upload import bid_window
from tangguh.domain.roles import Role
from tangguh.domain.sealing.fingerprint import recipient_fingerprint
from tangguh.tenders.models import Tender

ENVELOPE_LABELS = {
    "offer": ("Penawaran", "Offer"),
    "technical": ("Teknis", "Technical"),
    "price": ("Harga", "Price"),
}


def _forbidden(request):
    return render(request, "web/forbidden.html", status=403)


def _is_member_anywhere(user) -> bool:
    return user.role_assignments.filter(role=Role.COMMITTEE_MEMBER.value).exists()


def _member_tender(request, code: str) -> Tender | None:
    """The tender ``code`` if the user sits on its committee (announced or not: a key check
    may come before the announcement when the keys are dealt first)."""
    tender = Tender.objects.filter(code=code).select_related("package", "committee").first()
    if tender is None:
        return None
    return tender if is_committee_member(request.user, tender) else None


def _my_shares(user, tender: Tender | None = None) -> list[dict]:
    shares = KeyShare.objects.filter(holder=user).select_related("sealing_key__tender")
    if tender is not None:
        shares = shares.filter(sealing_key__tender=tender)
    rows = []
    for share in shares.order_by("-sealing_key__dealt_at", "sealing_key__envelope"):
        key = share.sealing_key
        rows.append(
            {
                "tender": key.tender,
                "envelope": key.envelope,
                "envelope_label": ENVELOPE_LABELS.get(key.envelope, (key.envelope,) * 2),
                "index": share.index,
                "k": key.k,
                "n": key.n,
                "fingerprint": key.fingerprint,
                "commitment": share.commitment,
                "member_fingerprint": recipient_fingerprint(share.holder_recipient),
                "checked_at": share.checked_at,
                "released_at": share.released_at,
            }
        )
    return rows


@login_required
@ensure_csrf_cookie
def member_key_page(request):
    if not _is_member_anywhere(request.user):
        return _forbidden(request)
    current = member_key_current(request.user)
    return render(
        request,
        "bids/member_key.html",
        {
            "current": current,
            "current_fingerprint": recipient_fingerprint(current.recipient) if current else "",
            "shares": _my_shares(request.user),
        },
    )


@login_required
@ensure_csrf_cookie
def key_check_page(request, code: str):
    tender = _member_tender(request, code)
    if tender is None:
        return _forbidden(request)
    return render(
        request,
        "bids/key_check.html",
        {"tender": tender, "shares": _my_shares(request.user, tender)},
    )


def _openings(tender: Tender) -> list[dict]:
    """Per sealing key: shares released of k, and once open the opening list and the BA."""
    rows = []
    openings = {o.sealing_key_id: o for o in Opening.objects.filter(tender=tender)}
    for key in tender.sealing_keys.order_by("lot", "envelope"):
        opening = openings.get(key.pk)
        released = opening.releases.count() if opening else 0
        opened = []
        if opening is not None and opening.opened_at is not None:
            opened = sorted(
                OpenedEnvelope.objects.filter(opening=opening).select_related("envelope__company"),
                # lowest price first, as the minutes read; unpriced (not valid) rows last
                key=lambda r: (r.total_price is None, r.total_price or 0, r.envelope.received_at),
            )
        rows.append(
            {
                "key": key,
                "label": ENVELOPE_LABELS.get(key.envelope, (key.envelope,) * 2),
                "released": released,
                "opening": opening,
                "opened": opened,
            }
        )
    return rows


@login_required
@ensure_csrf_cookie
def share_release_page(request, code: str):
    tender = _member_tender(request, code)
    if tender is None:
        return _forbidden(request)
    _, deadline = bid_window(tender)
    statement = closing_statement_get(tender)
    openings = _openings(tender)
    # Price envelopes of two-file tenders open after the technical evaluation, not here.
    pending = [
        o
        for o in openings
        if o["key"].envelope != "price" and not (o["opening"] and o["opening"].opened_at)
    ]
    return render(
        request,
        "bids/share_release.html",
        {
            "tender": tender,
            "deadline": deadline,
            "after_deadline": deadline is not None and clock.now() >= deadline,
            "statement": statement,
            "shares": _my_shares(request.user, tender),
            "openings": openings,
            "pending": pending,
        },
    )
