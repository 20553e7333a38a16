"""Publishing OCDS releases: called by ``tangguh.tenders.publication.tender_published`` in the
transaction of the change, so a release exists exactly when its change committed.

Positions (docs/decisions/0801-ocds-feed-order.md): a release gets the next feed position from
the single ``FeedHead`` row, locked (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's
``BEGIN IMMEDIATE`` already serializes writers) until the transaction commits. Positions are
therefore dense and given in commit order: no transaction can commit a lower position after a
reader saw a higher one. The release is first appended to the audit chain (its SHA-256), which
takes the audit head lock; every publisher thus takes the audit lock before the feed lock, one
order for all, so the two locks cannot deadlock.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.db import connection, transaction

from tangguh import clock
from tangguh.audit.models import AuditHead
from tangguh.audit.services import audit_append
from tangguh.domain.ocds.codes import ReleaseKind
from tangguh.domain.ocds.facts import ReleaseMeta
from tangguh.domain.ocds.identifiers import release_id
from tangguh.domain.ocds.mapping import build_release, kinds_to_publish
from tangguh.opendata.models import FeedHead, Release, ReleaseAmendment
from tangguh.opendata.services.facts import process_facts
from tangguh.tenders.models import Tender


def release_json(release: dict) -> str:
    """The stored and served text of a release: compact, UTF-8, keys in mapping order."""
    return json.dumps(release, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class NewRelease:
    """A release built and ready to be given a position."""

    ocid: str
    release_id: str
    kind: str
    date: object
    body: str
    tender_id: int | None = None


def _lock_head() -> FeedHead:
    query = FeedHead.objects
    if connection.features.has_select_for_update:
        query = query.select_for_update()
    try:
        return query.get(pk=1)
    except FeedHead.DoesNotExist:
        # Migration 0002 creates the row; an emptied database (a test flush) needs it again.
        FeedHead.objects.bulk_create([FeedHead(pk=1, position=0)], ignore_conflicts=True)
        return query.get(pk=1)


def releases_append(*, releases: list[NewRelease], actor: object = "system") -> list[Release]:
    """Store ``releases`` at the next feed positions, in order, inside the caller's transaction
    (or a new one). Each is appended to the audit chain first (lock order: audit, then feed)."""
    if not releases:
        return []
    with transaction.atomic():
        digests = [hashlib.sha256(r.body.encode()).hexdigest() for r in releases]
        for new, digest in zip(releases, digests, strict=True):
            audit_append(
                actor=actor,
                action="ocds.release_published",
                object_type="ocds_release",
                object_id=new.release_id[:100],
                payload={"ocid": new.ocid, "id": new.release_id, "sha256": digest},
            )
        head = _lock_head()
        rows = [
            Release(
                position=head.position + offset,
                ocid=new.ocid,
                release_id=new.release_id,
                kind=new.kind,
                date=new.date,
                tender_id=new.tender_id,
                body=new.body,
                sha256=digest,
            )
            for offset, (new, digest) in enumerate(zip(releases, digests, strict=True), start=1)
        ]
        Release.objects.bulk_create(rows)
        FeedHead.objects.filter(pk=1).update(position=head.position + len(rows))
        return rows


def ocds_publish_tender(
    *, tender: Tender, event: str, detail: str = "", actor: object = "system"
) -> list[Release]:
    """The releases the change ``event`` of an announced tender makes (none for a draft).

    Numbers the releases and links the amendments while holding the audit and feed locks, so
    two publications of one tender cannot take the same release id. ``detail`` (the reason a
    notification quotes) is already in the facts the release is built from."""
    if tender.announced_at is None:
        return []
    with transaction.atomic():
        _take_audit_lock()
        _lock_head()
        facts = process_facts(tender)
        ocid = facts.ocid
        earlier = list(
            Release.objects.filter(ocid=ocid).order_by("position").values_list("release_id", "kind")
        )
        links = {
            row.amendment_id: (row.amends_release_id, row.release_id)
            for row in ReleaseAmendment.objects.filter(ocid=ocid)
        }
        new_amendments = [a for a in facts.tender.amendments if a.id not in links]
        kinds = kinds_to_publish(
            event=event,
            first=not earlier,
            new_amendments=bool(new_amendments),
            cancelled=facts.tender.cancelled_at is not None,
            awarded=bool(facts.awards),
            contracted=bool(facts.contracts),
        )
        counts: dict[str, int] = {}
        for _, kind in earlier:
            counts[kind] = counts.get(kind, 0) + 1
        now = clock.now()
        previous = earlier[-1][0] if earlier else ""
        built: list[NewRelease] = []
        for kind in kinds:
            counts[kind] = counts.get(kind, 0) + 1
            rid = release_id(ocid, kind, counts[kind])
            if kind != ReleaseKind.PLANNING:
                # The first release after a change carries it: releaseID is this release,
                # amendsReleaseID the one before.
                for amendment in new_amendments:
                    links[amendment.id] = (previous, rid)
                    ReleaseAmendment.objects.create(
                        ocid=ocid,
                        amendment_id=amendment.id,
                        release_id=rid,
                        amends_release_id=previous,
                    )
                new_amendments = []
            meta = ReleaseMeta(id=rid, kind=kind, date=now, amendment_links=dict(links))
            release = build_release(facts, meta)
            if kind == ReleaseKind.TENDER_UPDATE and _unchanged(release, ocid):
                # Nothing public changed (e.g. an addendum whose schedule change already
                # published it): an update would only repeat the last release.
                counts[kind] -= 1
                continue
            body = release_json(release)
            built.append(NewRelease(ocid, rid, kind, now, body, tender.pk))
            previous = rid
        return releases_append(releases=built, actor=actor)


_VOLATILE = ("id", "date", "tag")


def _unchanged(release: dict, ocid: str) -> bool:
    """True when ``release`` says nothing the last release of ``ocid`` did not: equal but for
    its id, date and tag."""
    last = Release.objects.filter(ocid=ocid).order_by("-position").values_list("body").first()
    if last is None:
        return False
    before = json.loads(last[0])
    return all(
        before.get(key) == release.get(key)
        for key in set(before) | set(release)
        if key not in _VOLATILE
    )


def _take_audit_lock() -> None:
    """Lock the audit head before the feed head even when the caller has not written to the
    audit chain yet (a backfill): one lock order for every publisher. SQLite's writers are
    serialized at BEGIN already."""
    if connection.features.has_select_for_update:
        list(AuditHead.objects.select_for_update().filter(pk=1).values_list("pk"))


def ocds_backfill() -> int:
    """Publish the releases of every announced tender that has none yet (tenders announced
    before the node published open data), oldest first; returns how many were published."""
    published = Release.objects.filter(tender_id__isnull=False).values("tender_id")
    pending = (
        Tender.objects.filter(announced_at__isnull=False)
        .exclude(pk__in=published)
        .order_by("announced_at", "pk")
        .values_list("pk", flat=True)
    )
    count = 0
    for pk in list(pending):
        with transaction.atomic():
            tender = Tender.objects.get(pk=pk)
            count += len(ocds_publish_tender(tender=tender, event="announced", actor="cli"))
    return count
