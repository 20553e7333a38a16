"""Quorum opening over the API: ``POST /tenders/{code}/opening/shares`` (a Pokja member releases
their share; in a two-file tender price shares only after the technical results),
``GET /tenders/{code}/opening`` (the opening list, price envelopes of bids that failed the
technical evaluation listed as not opened, ``opening.failed_technical``; per opened envelope
the bid guarantee its ``penawaran.json`` states and the problems found with it, public like
the prices) and
``GET /tenders/{code}/opening/envelopes/{id}/package`` (an opened package, Pokja only, as a
sandboxed attachment, every read audited)."""

from __future__ import annotations

from typing import Any

from ninja import Router, Schema, Status

from tangguh.accounts.api import bearer, browser_or_bearer
from tangguh.accounts.services.tokens import token_authenticate
from tangguh.bids.models import OpenedEnvelope, Opening, SealingKey
from tangguh.bids.selectors import closing_statement_get, current_envelopes
from tangguh.bids.services.opening import (
    is_committee_member,
    opened_package_read,
    opening_tender,
    share_release,
    statement_sha256,
)
from tangguh.bids.services.receipts import rfc3339
from tangguh.evaluation.selectors import technical_results_complete
from tangguh.offline.selectors import luring_envelope_ids
from tangguh.participation.http import blob_attachment

router = Router(tags=["opening"])


class ShareIn(Schema):
    share: dict[str, Any] | str
    closing_statement: str


def _optional_user(request):
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.lower().startswith("bearer "):
        return None
    user, _ = token_authenticate(raw=header.split(" ", 1)[1].strip())
    return user


def _money(value) -> str | None:
    return None if value is None else str(value)


def _guarantee_out(stated: dict | None) -> dict | None:
    """The stated bid guarantee as recorded at the opening: amount a string like the other
    amounts, ``valid_until`` an ISO date; null fields unknown (a version 1 package)."""
    if stated is None:
        return None
    return {
        "reference": stated.get("reference"),
        "issuer": stated.get("issuer"),
        "amount": _money(stated.get("amount")),
        "valid_until": stated.get("valid_until"),
    }


def _guarantee_problems_out(problems: list) -> list[dict]:
    """What the opening found wrong with the guarantee (``bid_guarantee.*`` codes), [] when the
    tender requires none or it is sound."""
    return [
        {
            "code": p["code"],
            "field": p["field"],
            "message_id": p["message_id"],
            "message_en": p["message_en"],
        }
        for p in problems
    ]


def _opening_out(opening: Opening, *, pokja: bool) -> dict:
    key = opening.sealing_key
    out = {
        "envelope": key.envelope,
        "lot": key.lot,
        "k": key.k,
        "n": key.n,
        "released": opening.releases.count(),
        "started_at": rfc3339(opening.started_at),
        "opened_at": opening.opened_at and rfc3339(opening.opened_at),
        "minutes": None,
        "envelopes": [],
    }
    if opening.minutes_id:
        out["minutes"] = {"document_id": opening.minutes_id, "sha256": opening.minutes_sha256}
    if pokja:
        out["releases"] = [
            {
                "index": r.key_share.index,
                "member": r.released_by.username,
                "released_at": rfc3339(r.released_at),
                "erased": r.share is None,
            }
            for r in opening.releases.select_related("key_share", "released_by")
        ]
    if opening.opened_at is None:
        return out
    rows = OpenedEnvelope.objects.filter(opening=opening).select_related("envelope__company")
    luring = luring_envelope_ids(opening.tender)  # received on media (offline procedure)
    for row in rows:
        envelope = row.envelope
        item = {
            "luring": envelope.pk in luring,
            "company": envelope.company.name,
            "company_nib": envelope.company.nib,
            "sha256": envelope.sha256,
            "size": envelope.size,
            "received_at": rfc3339(envelope.received_at),
            "ok": row.ok,
            "reason": row.reason or None,
            "detail": row.detail,
            "total_price": _money(row.total_price),
            "tkdn_percent": _money(row.tkdn_percent),
            # to whoever sees the prices: the BA Pembukaan lists them beside the prices too
            "bid_guarantee": _guarantee_out(row.bid_guarantee),
            "guarantee_problems": _guarantee_problems_out(row.guarantee_problems),
        }
        if pokja:
            item["id"] = row.pk
            item["package_sha256"] = row.plain_sha256 or None
            item["package_size"] = row.plain_size
        out["envelopes"].append(item)
    return out


@router.post(
    "/{code}/opening/shares",
    auth=browser_or_bearer,  # the Buka penawaran page releases with the member's session
    response={200: dict, 201: dict},
    summary="A Pokja member releases their key share (after the deadline); k shares open bids",
)
def release_share(request, code: str, payload: ShareIn):
    tender = opening_tender(code)
    result = share_release(
        actor=request.auth,
        tender=tender,
        share=payload.share,
        closing_statement=payload.closing_statement,
    )
    body = {
        "tender": tender.code,
        "released": result.released,
        "k": result.k,
        "opened": result.opening.opened_at is not None,
        "closing_statement": result.opening.statement_sha256,
    }
    return Status(201 if result.created else 200, body)


@router.get(
    "/{code}/opening",
    response={200: dict},
    summary="The opening list: prices and status public after opening; details for the Pokja",
)
def opening_list(request, code: str):
    tender = opening_tender(code)
    pokja = is_committee_member(_optional_user(request), tender)
    statement = closing_statement_get(tender)
    openings = {
        o.sealing_key_id: o
        for o in Opening.objects.filter(tender=tender).select_related("sealing_key")
    }
    keys = SealingKey.objects.filter(tender=tender).order_by("lot", "envelope")
    out = {
        "tender": tender.code,
        "closing_statement": None,
        "openings": [],
    }
    if statement is not None:
        out["closing_statement"] = {
            "sha256": statement_sha256(statement),
            "count": statement.document.get("count"),
            "signed_at": statement.document.get("signed_at"),
        }
    for key in keys:
        opening = openings.get(key.pk)
        if opening is None:
            entry = {
                "envelope": key.envelope,
                "lot": key.lot,
                "k": key.k,
                "n": key.n,
                "released": 0,
                "opened_at": None,
                "envelopes": [],
            }
            if key.envelope == "price":
                # price shares are taken once every technical bid has its result
                entry["technical_results_complete"] = technical_results_complete(tender)
            out["openings"].append(entry)
        else:
            out["openings"].append(_opening_out(opening, pokja=pokja))
    if pokja and statement is None:
        out["current_envelopes"] = current_envelopes(tender).count()
    return out


@router.get(
    "/{code}/opening/envelopes/{opened_id}/package",
    auth=bearer,
    summary="An opened bid package (tar), Pokja only, as a sandboxed attachment; audited",
)
def opened_package(request, code: str, opened_id: int):
    tender = opening_tender(code)
    opened = opened_package_read(actor=request.auth, tender=tender, opened_id=opened_id)
    envelope = opened.envelope
    return blob_attachment(
        sha256=opened.plain_sha256,
        filename=f"penawaran-{tender.code}-{envelope.company.nib}-{envelope.name}.tar",
        content_type="application/x-tar",
        size=opened.plain_size,
    )
