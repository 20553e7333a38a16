"""Reads for the offline procedure (luring). ``tender_used_offline_procedure`` is what open
data (OCDS) asks; the rest feed the pages and the API."""

from __future__ import annotations

import hashlib

import rfc8785
from django.db.models import Max, QuerySet

from tangguh.bids.models import Envelope, Opening, SealingKey
from tangguh.bids.services.receipts import rfc3339
from tangguh.offline.models import (
    MediaFile,
    MediaMinute,
    OfflineEnvelope,
    OfflineOpening,
)
from tangguh.tenders.models import Tender


def tender_used_offline_procedure(tender: Tender) -> bool:
    """Whether anything of this tender happened off-line and is public: a published
    media-receipt minute (and so perhaps imported envelopes) or an offline opening. Open data
    labels such a tender luring."""
    return (
        MediaMinute.objects.filter(tender=tender, published_at__isnull=False).exists()
        or OfflineOpening.objects.filter(tender=tender).exists()
    )


def envelope_is_luring(envelope: Envelope) -> bool:
    return OfflineEnvelope.objects.filter(envelope_id=envelope.pk).exists()


def luring_envelope_ids(tender: Tender) -> set[int]:
    """The ids of the tender's envelopes imported from media."""
    return set(
        OfflineEnvelope.objects.filter(envelope__tender=tender).values_list(
            "envelope_id", flat=True
        )
    )


def opening_has_begun(tender: Tender) -> bool:
    """Opening begins with the first released share (RULES.md; an ``Opening`` row is created
    with it) or with an opening held off-line: from then on the key may be known."""
    return (
        Opening.objects.filter(tender=tender).exists()
        or OfflineOpening.objects.filter(tender=tender).exists()
    )


def tender_quorum(tender: Tender) -> int | None:
    """*k* of the tender's sealing keys (the largest, should they differ)."""
    return SealingKey.objects.filter(tender=tender).aggregate(k=Max("k"))["k"]


def minute_statement(minute: MediaMinute, files: list[MediaFile] | None = None) -> dict:
    """What a minute states, the object of its digest and of every confirmation."""
    rows = files if files is not None else list(minute.files.select_related("company"))
    return {
        "typ": "tangguh.offline.media-minute.v1",
        "tender": minute.tender.code,
        "number": minute.number,
        "place": minute.place,
        "files": [
            {
                "company_nib": f.company.nib,
                "lot": f.lot,
                "envelope": f.envelope,
                "handed_over_by": f.handed_over_by,
                "received_at": rfc3339(f.received_at),
                "sha256": f.sha256,
                "size": f.size,
            }
            for f in rows
        ],
    }


def statement_digest(statement: dict) -> str:
    return hashlib.sha256(rfc8785.dumps(statement)).hexdigest()


def minutes_of(tender: Tender, *, published_only: bool) -> QuerySet[MediaMinute]:
    query = MediaMinute.objects.filter(tender=tender)
    if published_only:
        query = query.filter(published_at__isnull=False)
    return query.select_related("tender", "recorded_by", "published_by").order_by("number")


def minute_row(minute: MediaMinute) -> dict:
    """A minute for the pages and the API (public once published): its files with their
    hashes and whether each came in, and who confirmed it."""
    files = list(minute.files.select_related("company").order_by("received_at", "id"))
    imported = {
        o.media_file_id: o
        for o in OfflineEnvelope.objects.filter(media_file__minute=minute).select_related(
            "envelope"
        )
    }
    vendors = {
        c.company_id: c
        for c in minute.vendor_confirmations.select_related("confirmed_by", "scan", "company")
    }
    companies = {}
    for f in files:
        companies.setdefault(f.company_id, f.company)
    return {
        "id": minute.pk,
        "tender": minute.tender.code,
        "number": minute.number,
        "luring": True,
        "place": minute.place,
        "note": minute.note,
        "digest": minute.digest,
        "recorded_at": rfc3339(minute.recorded_at),
        "recorded_by": minute.recorded_by.get_full_name() or minute.recorded_by.username,
        "published_at": minute.published_at and rfc3339(minute.published_at),
        "k": tender_quorum(minute.tender),
        "files": [
            {
                "company": f.company.name,
                "company_nib": f.company.nib,
                "lot": f.lot,
                "envelope": f.envelope,
                "handed_over_by": f.handed_over_by,
                "received_at": rfc3339(f.received_at),
                "sha256": f.sha256,
                "size": f.size,
                "imported": f.pk in imported,
                "imported_at": rfc3339(imported[f.pk].imported_at) if f.pk in imported else None,
            }
            for f in files
        ],
        "vendor_confirmations": [
            {
                "company": company.name,
                "company_nib": company.nib,
                "confirmed": cid in vendors,
                "method": vendors[cid].method if cid in vendors else None,
                "confirmed_at": rfc3339(vendors[cid].confirmed_at) if cid in vendors else None,
                "scan_sha256": vendors[cid].scan.sha256
                if cid in vendors and vendors[cid].scan
                else None,
            }
            for cid, company in companies.items()
        ],
        "member_confirmations": [
            {
                "member": c.member.get_full_name() or c.member.username,
                "confirmed_at": rfc3339(c.confirmed_at),
            }
            for c in minute.member_confirmations.select_related("member")
        ],
    }


def offline_openings_of(tender: Tender) -> list[OfflineOpening]:
    return list(
        OfflineOpening.objects.filter(tender=tender)
        .select_related("minutes", "recorded_by")
        .prefetch_related("members")
        .order_by("opened_at", "id")
    )


def offline_opening_row(opening: OfflineOpening) -> dict:
    return {
        "id": opening.pk,
        "luring": True,
        "opened_at": rfc3339(opening.opened_at),
        "place": opening.place,
        "members": sorted(m.get_full_name() or m.username for m in opening.members.all()),
        "envelopes": [{**e, "luring": True} for e in opening.envelopes],
        "minutes": {
            "document_id": opening.minutes_id,
            "sha256": opening.minutes_sha256,
        },
        "recorded_at": rfc3339(opening.recorded_at),
    }


def offline_summary(tender: Tender, *, include_drafts: bool = False) -> dict:
    """Everything luring of a tender, for the pages (drafts only for the Pokja)."""
    return {
        "used": tender_used_offline_procedure(tender),
        "minutes": [minute_row(m) for m in minutes_of(tender, published_only=not include_drafts)],
        "openings": [offline_opening_row(o) for o in offline_openings_of(tender)],
        "envelope_ids": luring_envelope_ids(tender),
    }
