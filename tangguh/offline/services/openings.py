"""An opening held off-line by quorum (pembukaan luring).

When the node could not open the bids, the Pokja may open them on paper or on a machine of its
own with *k* members present. It then records here what happened: when and where, who was
present (at least *k* members of the tender's Pokja), every envelope opened with its SHA-256
and price, and the signed minutes, scanned (a PDF, checked by its content like any tender
document). All of it is public and labelled luring; recording it counts as the beginning of
opening, so no media-receipt minute or import is accepted afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from django.db import transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.audit.services import audit_append
from tangguh.bids.models import Envelope
from tangguh.bids.services.opening import is_committee_member
from tangguh.bids.services.upload import bid_window, lock_tender
from tangguh.offline.models import OfflineOpening
from tangguh.offline.selectors import luring_envelope_ids, tender_quorum
from tangguh.offline.services.common import invalid, require_member
from tangguh.offline.services.minutes import _store_pdf
from tangguh.tenders.models import DocumentKind, Tender
from tangguh.tenders.publication import tender_published
from tangguh.tenders.services.documents import document_record


@dataclass(frozen=True)
class OpenedIn:
    sha256: str
    total_price: str


def _price(value: str, index: int) -> Decimal:
    try:
        price = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise invalid(
            "bad_price",
            "Harga penawaran tidak dapat dibaca.",
            "The bid price cannot be read.",
            f"envelopes[{index}].total_price",
        ) from exc
    if not price.is_finite() or price < 0 or price.as_tuple().exponent < -2:
        raise invalid(
            "bad_price",
            "Harga penawaran harus angka tidak negatif dengan paling banyak 2 desimal.",
            "The bid price must be a non-negative number with at most 2 decimals.",
            f"envelopes[{index}].total_price",
        )
    return price


def offline_opening_record(
    *,
    actor: User,
    tender: Tender,
    opened_at: datetime,
    place: str,
    members: list[str],
    envelopes: list[OpenedIn],
    filename: str,
    handle: BinaryIO,
) -> OfflineOpening:
    """A Pokja member records an opening held off-line, with the scanned minutes."""
    require_member(actor, tender, "offline.opening_record")
    place = (place or "").strip()
    if len(place) < 3:
        raise invalid(
            "place_required", "Tempat pembukaan wajib diisi.", "The place is required.", "place"
        )
    _, deadline = bid_window(tender)
    if opened_at.tzinfo is None or opened_at > clock.now():
        raise invalid(
            "bad_opened_at",
            "Waktu pembukaan tidak sah (zona waktu wajib, tidak di masa depan).",
            "The opening time is invalid (a time zone is required; not in the future).",
            "opened_at",
        )
    if deadline is None or opened_at < deadline:
        raise invalid(
            "opened_before_deadline",
            "Penawaran tidak boleh dibuka sebelum batas akhir pemasukan penawaran.",
            "Bids must not be opened before the bid deadline.",
            "opened_at",
        )
    names = sorted({(m or "").strip() for m in members if (m or "").strip()})
    present = list(User.objects.filter(username__in=names))
    strangers = sorted(set(names) - {u.username for u in present if is_committee_member(u, tender)})
    if strangers:
        raise invalid(
            "not_members",
            "Bukan anggota Pokja tender ini: " + ", ".join(strangers) + ".",
            "Not members of this tender's Pokja: " + ", ".join(strangers) + ".",
            "members",
        )
    k = tender_quorum(tender)
    if k is None or len(present) < k:
        raise invalid(
            "quorum_missing",
            f"Pembukaan luring memerlukan paling sedikit {k or '?'} anggota Pokja hadir; "
            f"tercatat {len(present)}.",
            f"An offline opening needs at least {k or '?'} Pokja members present; "
            f"{len(present)} are listed.",
            "members",
        )
    if not envelopes:
        raise invalid(
            "envelopes_required",
            "Catat sampul yang dibuka.",
            "List the envelopes opened.",
            "envelopes",
        )
    known = {e.sha256: e for e in Envelope.objects.filter(tender=tender).select_related("company")}
    luring = luring_envelope_ids(tender)
    rows = []
    for index, item in enumerate(envelopes):
        sha = (item.sha256 or "").strip().lower()
        envelope = known.get(sha)
        if envelope is None:
            raise invalid(
                "unknown_envelope",
                f"Sampul dengan SHA-256 {sha[:16]}… tidak tercatat untuk tender ini.",
                f"No envelope with SHA-256 {sha[:16]}… is recorded for this tender.",
                f"envelopes[{index}].sha256",
            )
        rows.append(
            {
                "company": envelope.company.name,
                "company_nib": envelope.company.nib,
                "envelope": envelope.name,
                "sha256": sha,
                "total_price": str(_price(item.total_price, index)),
                "imported_from_media": envelope.pk in luring,
            }
        )
    if len({r["sha256"] for r in rows}) != len(rows):
        raise invalid(
            "duplicate_sha256",
            "Sampul yang sama dicatat dua kali.",
            "The same envelope is listed twice.",
            "envelopes",
        )
    stored = _store_pdf(filename, handle)
    with transaction.atomic():
        locked = lock_tender(tender)
        document = document_record(
            actor=actor,
            tender=locked,
            title="Berita Acara Pembukaan Penawaran (luring)",
            filename=filename,
            stored=stored,
            kind=DocumentKind.MINUTES,
            note="luring",
        )
        opening = OfflineOpening.objects.create(
            tender=locked,
            opened_at=opened_at,
            place=place[:200],
            envelopes=rows,
            minutes=document,
            minutes_sha256=document.sha256,
            recorded_by=actor,
            recorded_at=clock.now(),
        )
        opening.members.set(present)
        audit_append(
            actor=actor,
            action="offline.opening_recorded",
            object_type="tender",
            object_id=locked.code,
            payload={
                "opening": opening.pk,
                "opened_at": opened_at.isoformat(),
                "place": opening.place,
                "members": sorted(u.username for u in present),
                "envelopes": rows,
                "minutes_sha256": document.sha256,
                "luring": True,
            },
        )
        tender_published(tender=locked, event="offline_opening_recorded", detail="Pembukaan luring")
    return opening
