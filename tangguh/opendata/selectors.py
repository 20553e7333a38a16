"""Reading the OCDS feed, records and exports. Pages are ranges of feed positions (keyset over
the primary key), read in chunks and written as they are read, so a page or an export never
holds more than one chunk of releases in memory."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Max

from tangguh import clock
from tangguh.core.errors import Conflict, InvalidInput, NotFound
from tangguh.domain.ocds.identifiers import Cursor, CursorError, cursor_for, decode_cursor, rfc3339
from tangguh.domain.ocds.merge_rules import MERGE_RULES
from tangguh.domain.ocds.package import package_header
from tangguh.opendata.models import FeedHead, Release
from tangguh.opendata.services.facts import node_facts

MAX_PAGE = 1000
DEFAULT_PAGE = 100
CHUNK = 500


def feed_head() -> int:
    """The last position given to a committed release (0: nothing published)."""
    position = FeedHead.objects.filter(pk=1).values_list("position", flat=True).first()
    return position or 0


@dataclass(frozen=True)
class FeedPage:
    """Positions ``after`` < p ≤ ``end`` of the feed, and the cursor that follows them."""

    after: int
    end: int
    next_cursor: Cursor
    published: datetime
    limit: int


def _cursor(token: str | None) -> Cursor:
    try:
        return decode_cursor(token)
    except CursorError as exc:
        raise InvalidInput(
            "ocds.cursor_malformed",
            "Kursor tidak dikenali; gunakan links.next dari halaman sebelumnya, atau mulai "
            "tanpa kursor.",
            "The cursor is not one this feed gave out; use links.next from the previous page, "
            "or start without a cursor.",
            field="cursor",
        ) from exc


def _limit(raw: int | str) -> int:
    try:
        limit = int(str(raw).strip())
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(
            "ocds.limit_invalid",
            f"limit harus antara 1 dan {MAX_PAGE}.",
            f"limit must be between 1 and {MAX_PAGE}.",
            field="limit",
        )
    return limit


def feed_page(*, cursor: str | None, limit: int | str = DEFAULT_PAGE) -> FeedPage:
    """Plan one page of the feed after ``cursor``. Refuses a page size outside 1 to 1000 and a
    malformed cursor (422), a cursor beyond the end of the feed or naming a release this node
    does not hold there (409: the node was restored from an older backup, or the cursor is
    another node's)."""
    limit = _limit(limit)
    after = _cursor(cursor)
    head = feed_head()
    if after.position > head:
        raise Conflict(
            "ocds.cursor_ahead",
            f"Kursor menunjuk posisi {after.position}, melewati akhir umpan ({head}) node ini: "
            "kursor dari node lain, atau node dipulihkan dari cadangan lama. Mulai lagi tanpa "
            "kursor.",
            f"The cursor points at position {after.position}, beyond the end of this node's "
            f"feed ({head}): another node's cursor, or the node was restored from an older "
            "backup. Start again without a cursor.",
            field="cursor",
        )
    if after.position:
        sha = Release.objects.filter(pk=after.position).values_list("sha256", flat=True).first()
        if sha is None or not sha.startswith(after.digest):
            raise Conflict(
                "ocds.cursor_unknown",
                "Rilis pada posisi kursor bukan yang pernah dibaca dengan kursor ini (node "
                "dipulihkan dari cadangan, atau kursor dari node lain). Mulai lagi tanpa kursor.",
                "The release at the cursor's position is not the one this cursor was given "
                "for (the node was restored from a backup, or it is another node's cursor). "
                "Start again without a cursor.",
                field="cursor",
            )
    end = min(after.position + limit, head)
    if end == after.position:
        return FeedPage(after.position, end, after, clock.now(), limit)
    sha = Release.objects.filter(pk=end).values_list("sha256", flat=True).first() or ""
    published = Release.objects.filter(position__gt=after.position, position__lte=end).aggregate(
        last=Max("date")
    )["last"]
    return FeedPage(after.position, end, cursor_for(end, sha), published or clock.now(), limit)


def release_bodies(after: int, end: int, chunk: int = CHUNK) -> Iterator[str]:
    """The stored texts of the releases at positions ``after`` < p ≤ ``end``, in order, read
    ``chunk`` at a time (keyset over the primary key: each query starts where the last ended)."""
    position = after
    while position < end:
        rows = list(
            Release.objects.filter(position__gt=position, position__lte=end)
            .order_by("position")
            .values_list("position", "body")[:chunk]
        )
        if not rows:
            return
        for _, body in rows:
            yield body
        position = rows[-1][0]


def package_start(*, uri: str, published: datetime | None) -> dict:
    """The header of a package of this node (publisher, version, extensions)."""
    node = node_facts()
    return package_header(
        uri=uri,
        published_date=rfc3339(published or clock.now(), node.zone),
        publisher=node.name,
        publisher_uri=node.public_url,
    )


def export_plan() -> tuple[int, datetime | None]:
    """(the last position, the date of the latest release) for an export of the whole feed."""
    head = feed_head()
    last = Release.objects.filter(position__lte=head).aggregate(last=Max("date"))["last"]
    return head, last


def export_uri(end: int) -> str:
    return f"{settings.TANGGUH_PUBLIC_URL}/api/v1/ocds/export/{end}"


def record_package(*, ocid: str, uri: str) -> dict:
    """The record of one contracting process: its releases and the compiled release
    (ocdsmerge, with the merge rules of the 1.1.5 schema and the bids and lots extensions)."""
    from ocdsmerge import Merger

    bodies = list(
        Release.objects.filter(ocid=ocid).order_by("position").values_list("body", flat=True)
    )
    if not bodies:
        raise NotFound(
            "ocds.ocid_not_found",
            f"Tidak ada rilis dengan ocid {ocid} di node ini.",
            f"This node has published no release with ocid {ocid}.",
            field="ocid",
        )
    releases = [json.loads(body) for body in bodies]
    compiled = Merger(merge_rules=MERGE_RULES).create_compiled_release(releases)
    published = max(datetime.fromisoformat(r["date"]) for r in releases)
    package = package_start(uri=uri, published=published)
    package["records"] = [{"ocid": ocid, "releases": releases, "compiledRelease": compiled}]
    return package
