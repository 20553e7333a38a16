"""Writing the search index. The tender services call ``search_index_tender`` in the same
transaction as the change they make (announcement, schedule change, cancellation), so the
public search never disagrees with the tender page for longer than that transaction."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from tangguh.domain.methods import StageKind
from tangguh.planning.models import Category
from tangguh.search import fts, text
from tangguh.search.models import SearchEntry
from tangguh.tenders.models import Tender, TenderStage

_CATEGORY_LABELS = dict(Category.choices)
_CHUNK = 1000


def _bid_window(tender: Tender, stages: Iterable[TenderStage]):
    for stage in stages:
        if stage.kind == StageKind.BID_SUBMISSION.value:
            return stage.start, stage.end
    # A schedule without a bid stage has no bid deadline: it sorts by its announcement and
    # counts as closed (the domain derives "awaiting opening" for it).
    return tender.announced_at, tender.announced_at


def _entry_values(tender: Tender, stages: Iterable[TenderStage]) -> dict:
    package = tender.package
    work_unit = package.work_unit
    agency = work_unit.agency
    bid_start, bid_end = _bid_window(tender, stages)
    cancelled = tender.cancelled_at is not None
    category_label = _CATEGORY_LABELS.get(package.category, package.category)
    return {
        "code": tender.code,
        "title": tender.title,
        "agency_id": agency.pk,
        "agency_name": agency.name,
        "work_unit_id": work_unit.pk,
        "work_unit_name": work_unit.name,
        "location": package.location,
        "category": package.category,
        "fiscal_year": package.fiscal_year,
        "owner_estimate": package.owner_estimate,
        "announced_at": tender.announced_at,
        "bid_start": bid_start,
        "bid_end": bid_end,
        "cancelled": cancelled,
        "sort_key": text.sort_key(int(bid_end.timestamp()), tender.pk),
        "search_title": text.normalize(f"{tender.title} {tender.code}"),
        "search_body": text.normalize(
            f"{agency.name} {work_unit.name} {package.location} {category_label}"
        ),
        "search_tags": text.tags(
            category=package.category,
            agency_id=agency.pk,
            work_unit_id=work_unit.pk,
            fiscal_year=package.fiscal_year,
            cancelled=cancelled,
        ),
    }


def _tenders():
    return Tender.objects.select_related("package__work_unit__agency").prefetch_related("stages")


@transaction.atomic
def search_index_tender(*, tender: Tender) -> SearchEntry | None:
    """Make the tender's search row match the tender as stored now (read again inside this
    transaction). A draft has no row: it is not public."""
    current = _tenders().filter(pk=tender.pk).first()
    if current is None or current.announced_at is None:
        SearchEntry.objects.filter(tender_id=tender.pk).delete()
        return None
    values = _entry_values(current, current.stages.all())
    entry, _ = SearchEntry.objects.update_or_create(tender_id=current.pk, defaults=values)
    return entry


def search_reindex_all() -> int:
    """Rebuild every row from the tenders (after a restore, an import or a bug fix).
    Returns the number of public tenders indexed."""
    with connection.cursor() as cursor:
        for sql in fts.install_statements(connection.vendor):
            if sql != fts.SQLITE_REBUILD:
                cursor.execute(sql)
    announced = Tender.objects.filter(announced_at__isnull=False)
    SearchEntry.objects.exclude(tender_id__in=announced.values("pk")).delete()
    count = 0
    last_pk = 0
    while True:
        chunk = list(
            _tenders().filter(announced_at__isnull=False, pk__gt=last_pk).order_by("pk")[:_CHUNK]
        )
        if not chunk:
            break
        last_pk = chunk[-1].pk
        with transaction.atomic():
            SearchEntry.objects.filter(tender_id__in=[t.pk for t in chunk]).delete()
            SearchEntry.objects.bulk_create(
                SearchEntry(tender_id=t.pk, **_entry_values(t, t.stages.all())) for t in chunk
            )
        count += len(chunk)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(fts.SQLITE_REBUILD)
            cursor.execute(fts.SQLITE_OPTIMIZE)
    return count
