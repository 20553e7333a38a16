"""Public tender search: words, filters, order and pages over the search index.

One query per page (plus one capped count when the page does not tell it), written per
database because each has its own full-text index (see fts.py):

- SQLite: FTS5 ``MATCH`` over the words *and* the filter values (tokens such as ``kworks``,
  ``a12``, ``y2024``), walked in row id order: row ids are deadline-ordered keys,
  so the first page of the newest deadlines is read straight off the index (lowest keys
  first, the direction FTS5 streams), however common the word.
- PostgreSQL: ``document @@ plainto_tsquery('simple', …)`` with the equality filters, which
  the multi-column GIN answers in one bitmap, or the planner walks the deadline key index
  when the words are common.

Counts stop at ``COUNT_CAP`` (shown as "1.000+"). Relevance is two tiers, each in deadline
order: the matches with every word in the title, then the rest; each tier is an index
condition (an FTS5 column filter; a GIN over the title's words), so a relevance page is read
like a deadline page. "Newest" orders the ``RANK_WINDOW`` newest-deadline matches, which is
every match for any precise query (a word as common as "jalan" gets the 1,000 latest).
Phases are derived: a phase filter is a range on the stored bid window relative to the clock.

SQL is assembled from constant fragments only; every value a caller gives is a parameter
(words are normalized to letters and digits before they reach an FTS5 expression).
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction

from tangguh import clock
from tangguh.core.errors import InvalidInput
from tangguh.domain.methods import StageKind
from tangguh.domain.phase import Decisions, Phase, phase
from tangguh.domain.schedule import Schedule, Stage
from tangguh.search import fts, text
from tangguh.search.models import SearchEntry

COUNT_CAP = 1000
RANK_WINDOW = 1000
MAX_RESULTS = 1000  # pages reach this far; past it, refine the search
MAX_PAGE_SIZE = 50
DEFAULT_PAGE_SIZE = 20
MAX_ID = 2**62
MAX_VALUE = 10**16 - 1  # HPS columns hold 16 integer digits
CATEGORIES = ("goods", "works", "consultancy", "other_services")


class SearchPhase(enum.StrEnum):
    """The phases a public search filters on (a coarse view of ``domain.phase.Phase``)."""

    ANNOUNCED = "announced"  # announced, bidding not open yet
    BIDDING = "bidding"  # within the bid submission window
    CLOSED = "closed"  # bid deadline passed (opening, evaluation, award …)
    CANCELLED = "cancelled"

    @property
    def label_id(self) -> str:
        return _PHASE_LABELS[self]


_PHASE_LABELS = {
    SearchPhase.ANNOUNCED: Phase.ANNOUNCED.label_id,
    SearchPhase.BIDDING: Phase.BIDDING.label_id,
    SearchPhase.CLOSED: "Pemasukan penawaran ditutup",
    SearchPhase.CANCELLED: Phase.CANCELLED.label_id,
}


class SearchSort(enum.StrEnum):
    DEADLINE = "deadline"  # latest bid deadline first
    RELEVANCE = "relevance"  # best match of the words first (deadline without words)
    NEWEST = "newest"  # latest announcement first


@dataclass(frozen=True)
class SearchHit:
    entry: SearchEntry
    phase: SearchPhase


@dataclass(frozen=True)
class SearchResult:
    items: list[SearchHit]
    count: int  # exact up to COUNT_CAP, then COUNT_CAP
    count_capped: bool
    page: int
    page_size: int
    has_next: bool

    @property
    def count_label(self) -> str:
        """As the page shows it: "1.234" or "1.000+"."""
        shown = f"{self.count:,}".replace(",", ".")
        return shown + "+" if self.count_capped else shown


def entry_phase(entry: SearchEntry, now: datetime) -> SearchPhase:
    """The derived phase of an indexed tender, by the domain's own derivation."""
    schedule = Schedule((Stage(StageKind.BID_SUBMISSION, entry.bid_start, entry.bid_end),))
    derived = phase(schedule, now, Decisions(announced=True, cancelled=entry.cancelled)).phase
    if derived == Phase.CANCELLED:
        return SearchPhase.CANCELLED
    if derived == Phase.ANNOUNCED:
        return SearchPhase.ANNOUNCED
    if derived == Phase.BIDDING:
        return SearchPhase.BIDDING
    return SearchPhase.CLOSED


def _invalid(code: str, field: str, message_id: str, message_en: str) -> InvalidInput:
    return InvalidInput(code, message_id, message_en, field=field)


class _Tier(enum.Enum):
    """Which matches of the words: all, every word in the title, or the others."""

    ALL = "all"
    TITLE = "title"
    REST = "rest"


@dataclass
class _Query:
    """The pieces of one search, before they become SQL for a database."""

    words: list[str]
    tags: list[str]
    conditions: list[str]  # on alias e
    params: list
    key_min: int | None = None
    key_max: int | None = None  # exclusive
    filters: list[tuple[str, str]] = field(default_factory=list)  # PostgreSQL: GIN columns


_PG_TYPES = {
    "category": "varchar",
    "agency_id": "bigint",
    "work_unit_id": "bigint",
    "fiscal_year": "smallint",
}


def _build(
    *,
    q: str,
    category: str | None,
    agency_id: int | None,
    work_unit_id: int | None,
    fiscal_year: int | None,
    value_min: int | Decimal | None,
    value_max: int | Decimal | None,
    phase_filter: SearchPhase | None,
    now: datetime,
    sqlite: bool,
) -> _Query:
    query = _Query(words=text.words(q or ""), tags=[], conditions=[], params=[])
    if len(query.words) > text.MAX_WORDS:
        raise _invalid(
            "search.too_many_words",
            "q",
            f"Paling banyak {text.MAX_WORDS} kata.",
            f"At most {text.MAX_WORDS} words.",
        )

    def equal(column: str, value, tag: str) -> None:
        if sqlite:
            query.tags.append(tag)
        else:
            # Typed as the column is, or the btree_gin index cannot serve the comparison.
            query.conditions.append(f"e.{column} = %s::{_PG_TYPES[column]}")
            query.params.append(value)
            query.filters.append((column, str(value)))

    if category is not None:
        equal("category", category, text.category_tag(category))
    if agency_id is not None:
        equal("agency_id", agency_id, text.agency_tag(agency_id))
    if work_unit_id is not None:
        equal("work_unit_id", work_unit_id, text.work_unit_tag(work_unit_id))
    if fiscal_year is not None:
        equal("fiscal_year", fiscal_year, text.year_tag(fiscal_year))
    if value_min is not None:
        query.conditions.append("e.owner_estimate >= %s")
        query.params.append(value_min)
    if value_max is not None:
        query.conditions.append("e.owner_estimate <= %s")
        query.params.append(value_max)

    moment = connection.ops.adapt_datetimefield_value(now)
    second = int(now.timestamp())
    false = "0" if sqlite else "false"
    if phase_filter == SearchPhase.CANCELLED:
        if sqlite:
            query.tags.append(text.CANCELLED_TAG)
        else:
            query.conditions.append("e.cancelled")
    elif phase_filter is not None:
        query.conditions.append(f"e.cancelled = {false}")
        if phase_filter == SearchPhase.CLOSED:
            query.conditions.append("e.bid_end <= %s")
            query.params.append(moment)
            query.key_min = text.keys_with_deadline_until(second)
        else:
            query.key_max = text.keys_with_deadline_from(second)
            query.conditions.append("e.bid_end > %s")
            query.params.append(moment)
            if phase_filter == SearchPhase.ANNOUNCED:
                query.conditions.append("e.bid_start > %s")
            else:
                query.conditions.append("e.bid_start <= %s")
            query.params.append(moment)
    return query


_COLUMNS = ", ".join(
    f"e.{f.column}" for f in SearchEntry._meta.concrete_fields if not f.column.startswith("search_")
)


def _sqlite_match(query: _Query, tier: _Tier = _Tier.ALL) -> str | None:
    parts = []
    words = " ".join(f'"{w}"' for w in query.words)
    if query.words:
        columns = "search_title" if tier == _Tier.TITLE else "{search_title search_body}"
        parts.append(f"{columns} : ({words})")
    if query.tags:
        quoted = " ".join(f'"{t}"' for t in query.tags)
        parts.append(f"search_tags : ({quoted})")
    match = " AND ".join(parts) or None
    if tier == _Tier.REST and query.words:
        match = f"({match}) NOT (search_title : ({words}))"
    return match


def _sqlite_where(query: _Query, key: str, tier: _Tier = _Tier.ALL) -> tuple[str, list]:
    """FROM … WHERE … for SQLite, with ``key`` naming the deadline-ordered row key."""
    match = _sqlite_match(query, tier)
    conditions = list(query.conditions)
    params = list(query.params)
    if match is not None:
        source = (
            f"{fts.FTS_TABLE} CROSS JOIN {fts.ENTRY_TABLE} e ON e.sort_key = {fts.FTS_TABLE}.rowid"
        )
        conditions.insert(0, f"{fts.FTS_TABLE} MATCH %s")
        params.insert(0, match)
    else:
        source = f"{fts.ENTRY_TABLE} e"
    if query.key_min is not None:
        conditions.append(f"{key} >= %s")
        params.append(query.key_min)
    if query.key_max is not None:
        conditions.append(f"{key} < %s")
        params.append(query.key_max)
    where = " AND ".join(conditions) or "1"
    return f"FROM {source} WHERE {where}", params


_PG_WORDS = "e.document @@ plainto_tsquery('simple'::regconfig, %s)"
# Every word in the title: over the title GIN (exact bitmaps), or as the weight-A lexemes of
# the stored document (walks of a key index: no vector computed per row). The same rows.
_PG_IN_TITLE_GIN = f"{fts.TITLE_VECTOR} @@ plainto_tsquery('simple'::regconfig, %s)"
_PG_IN_TITLE_STORED = "e.document @@ to_tsquery('simple'::regconfig, %s)"


def _pg_title_query(words: list[str]) -> str:
    """``'jalan':A & 'mimika':A`` (words are letters and digits only: nothing to escape)."""
    return " & ".join(f"'{word}':A" for word in words)


def _postgres_where(
    query: _Query, tier: _Tier = _Tier.ALL, *, title_gin: bool = False
) -> tuple[str, list]:
    conditions = list(query.conditions)
    params = list(query.params)
    if query.words:
        phrase = " ".join(query.words)
        if tier == _Tier.TITLE and title_gin:
            conditions[:0] = [_PG_IN_TITLE_GIN]
            params[:0] = [phrase]
        elif tier == _Tier.TITLE:
            conditions[:0] = [_PG_WORDS, _PG_IN_TITLE_STORED]
            params[:0] = [phrase, _pg_title_query(query.words)]
        elif tier == _Tier.REST:
            conditions[:0] = [_PG_WORDS, f"NOT {_PG_IN_TITLE_STORED}"]
            params[:0] = [phrase, _pg_title_query(query.words)]
        else:
            conditions.insert(0, _PG_WORDS)
            params.insert(0, phrase)
    if query.key_min is not None:
        conditions.append("e.sort_key >= %s")
        params.append(query.key_min)
    if query.key_max is not None:
        conditions.append("e.sort_key < %s")
        params.append(query.key_max)
    where = " AND ".join(conditions) or "true"
    return f"FROM {fts.ENTRY_TABLE} e WHERE {where}", params


def _source(query: _Query, tier: _Tier = _Tier.ALL) -> tuple[str, str, list]:
    """The deadline-ordered key expression and FROM … WHERE … for this database."""
    if connection.vendor == "sqlite":
        key = f"{fts.FTS_TABLE}.rowid" if _sqlite_match(query) is not None else "e.sort_key"
        body, params = _sqlite_where(query, key, tier)
        return key, body, params
    body, params = _postgres_where(query)
    return "e.sort_key", body, params


def _rows(query: _Query, sort: SearchSort, limit: int, offset: int) -> list[SearchEntry]:
    """SQLite: one walk of the FTS5 index (or the key index) in deadline order."""
    key, body, params = _source(query)
    if sort == SearchSort.RELEVANCE and not query.words:
        sort = SearchSort.DEADLINE
    if sort == SearchSort.DEADLINE:
        sql = f"SELECT {_COLUMNS} {body} ORDER BY {key} LIMIT %s OFFSET %s"
        return list(SearchEntry.objects.raw(sql, [*params, limit, offset]))
    if sort == SearchSort.NEWEST:
        # Announcement order within the RANK_WINDOW newest-deadline matches.
        window = f"SELECT {key} AS k {body} ORDER BY {key} LIMIT {RANK_WINDOW}"
        sql = (
            f"SELECT {_COLUMNS} FROM ({window}) m "  # noqa: S608
            f"CROSS JOIN {fts.ENTRY_TABLE} e ON e.sort_key = m.k "
            f"ORDER BY e.announced_at DESC, m.k LIMIT %s OFFSET %s"
        )
        return list(SearchEntry.objects.raw(sql, [*params, limit, offset]))

    # Relevance: every word in the title first, then the rest, each newest deadline first.
    # Each tier is one FTS5 expression walked in row id order, like a deadline page; fewer
    # matches than the page reaches are all read at once (one walk) and ordered here.
    def tier_rows(tier: _Tier, tier_limit: int, tier_offset: int) -> list[SearchEntry]:
        key, body, params = _source(query, tier)
        sql = f"SELECT {_COLUMNS}, e.search_title {body} ORDER BY {key} LIMIT %s OFFSET %s"
        return list(SearchEntry.objects.raw(sql, [*params, tier_limit, tier_offset]))

    every = tier_rows(_Tier.ALL, offset + limit, 0)
    if len(every) < offset + limit:
        every.sort(key=lambda e: (not text.in_title(query.words, e.search_title), e.sort_key))
        return every[offset:]
    first = tier_rows(_Tier.TITLE, offset + limit, 0)
    page = first[offset:]
    if len(first) < offset + limit:  # the title tier ends before this page does
        page += tier_rows(_Tier.REST, limit - len(page), max(0, offset - len(first)))
    return page


def _page_of(
    window: list[tuple], query: _Query, sort: SearchSort, limit: int, offset: int
) -> list[SearchEntry]:
    """One page of (sort_key, search_title, announced_at) rows, ordered here, the same way
    on both databases. Relevance: every match holds every word, so a corpus-wide weight
    (bm25's idf, which FTS5 computes by reading whole posting lists, filter tokens included)
    would not reorder them; where the words are (all in the title, or not) does."""
    if sort == SearchSort.RELEVANCE and query.words:
        window.sort(key=lambda row: (not text.in_title(query.words, row[1]), row[0]))
    elif sort == SearchSort.NEWEST:
        window.sort(key=lambda row: (row[2], -row[0]), reverse=True)
    else:
        window.sort(key=lambda row: row[0])
    return _entries([row[0] for row in window[offset : offset + limit]])


def _entries(keys: list[int]) -> list[SearchEntry]:
    found = {entry.sort_key: entry for entry in SearchEntry.objects.filter(sort_key__in=keys)}
    return [found[k] for k in keys if k in found]


# PostgreSQL: a bitmap over the GIN costs about the size of the rarest condition's posting
# list plus a heap visit per match; walking the deadline-key index costs a heap visit per
# row walked, (rows wanted / share of rows matching). Left to itself the planner walks for
# any ORDER BY … LIMIT, and multiplies shares as if conditions were independent: "jalan"
# among goods (none) walked all 1,000,000 rows (1.5 s). So the plan is chosen here:
# - conditions matching ≥ WALK_SHARE of rows together: walk at most WALK_LIMIT newest rows;
# - otherwise, or if that walk finds too few: the GIN, at most COUNT_CAP + 1 rows (all the
#   matches, ordered here, counted exactly);
# - more than COUNT_CAP matches: walk the key index as far as the page needs.
WALK_SHARE = 0.2
WALK_LIMIT = 8_000
SORT_ALL_LIMIT = 5_000
_STATS_TTL_S = 600
_stats: dict = {"at": -_STATS_TTL_S, "shares": {}, "rows": 0.0}


def _pg_shares() -> dict[str, dict[str, float]]:
    """Share of rows per common value (and per common word), from the planner's statistics."""
    if time.monotonic() - _stats["at"] < _STATS_TTL_S:
        return _stats["shares"]
    shares: dict[str, dict[str, float]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, most_common_vals::text::text[], most_common_freqs,"
            " most_common_elems::text::text[], most_common_elem_freqs"
            " FROM pg_stats WHERE schemaname = current_schema() AND tablename = %s",
            [fts.ENTRY_TABLE],
        )
        for name, values, freqs, elems, elem_freqs in cursor.fetchall():
            if name == "document":
                shares[name] = dict(zip(elems or [], elem_freqs or [], strict=False))
            else:
                shares[name] = dict(zip(values or [], freqs or [], strict=False))
        cursor.execute(
            "SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = %s::regclass",
            [fts.ENTRY_TABLE],
        )
        rows = float(cursor.fetchone()[0])
    _stats.update(at=time.monotonic(), shares=shares, rows=rows)
    return shares


def _pg_density(query: _Query) -> float:
    """The planner's kind of guess at the share of rows matching every GIN condition
    (independent conditions; a word or value outside the statistics counts as rare)."""
    shares = _pg_shares()
    words = shares.get("document", {})
    density = 1.0
    for word in query.words:
        density *= words.get(word, 0.0)
    for column, value in query.filters:
        density *= shares.get(column, {}).get(value, 0.0)
    return density


def _pg_fetch(sql: str, params: list, *, bitmap: bool = False, walk: bool = False):
    with transaction.atomic(), connection.cursor() as cursor:
        if bitmap:  # the GIN, not a walk of the key index (nor a scan of the table)
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute("SET LOCAL enable_seqscan = off")
        if walk:  # a key index newest first (by fiscal year when one is asked)
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(sql, params)
        return cursor.fetchall()


def _pg_walk(query: _Query) -> list[tuple]:
    """Up to COUNT_CAP + 1 matches among the WALK_LIMIT newest-deadline rows (of the fiscal
    year, when one is asked: the (fiscal_year, sort_key) index), newest first."""
    body, params = _postgres_where(query)
    inner, inner_params = [], []
    year = dict(query.filters).get("fiscal_year")
    if year is not None:
        inner.append("fiscal_year = %s::smallint")
        inner_params.append(int(year))
    if query.key_min is not None:
        inner.append("sort_key >= %s")
        inner_params.append(query.key_min)
    if query.key_max is not None:
        inner.append("sort_key < %s")
        inner_params.append(query.key_max)
    newest = (
        f"SELECT * FROM {fts.ENTRY_TABLE} WHERE {' AND '.join(inner) or 'true'}"  # noqa: S608
        f" ORDER BY sort_key LIMIT {WALK_LIMIT}"
    )
    where = body.split(" WHERE ", 1)[1]
    sql = (
        f"SELECT e.sort_key, e.search_title, e.announced_at FROM ({newest}) e"  # noqa: S608
        f" WHERE {where} ORDER BY e.sort_key LIMIT {COUNT_CAP + 1}"
    )
    return _pg_fetch(sql, [*inner_params, *params])


def _pg_rows(
    query: _Query, sort: SearchSort, limit: int, offset: int
) -> tuple[list[SearchEntry], int | None]:
    body, params = _postgres_where(query)
    columns = f"SELECT e.sort_key, e.search_title, e.announced_at {body}"
    if not (query.words or query.filters):  # nothing for the GIN: walk the key index
        if sort == SearchSort.DEADLINE or sort == SearchSort.RELEVANCE:
            sql = f"SELECT {_COLUMNS} {body} ORDER BY e.sort_key LIMIT %s OFFSET %s"
            return list(SearchEntry.objects.raw(sql, [*params, limit, offset])), None
        window = _pg_fetch(f"{columns} ORDER BY e.sort_key LIMIT {RANK_WINDOW}", params)
        return _page_of(window, query, sort, limit, offset), None
    if _pg_density(query) >= WALK_SHARE:
        # Very common conditions: the newest rows hold a thousand matches, unless the
        # conditions exclude each other ("pengadaan" among works); then ask the GIN.
        window = _pg_walk(query)
        if len(window) > COUNT_CAP:
            if sort == SearchSort.RELEVANCE and query.words:
                return _pg_relevance(query, limit, offset), len(window)
            return _page_of(window[:COUNT_CAP], query, sort, limit, offset), len(window)
    if sort == SearchSort.RELEVANCE and query.words:
        return _pg_relevance(query, limit, offset)
    matches = _pg_fetch(f"{columns} LIMIT {COUNT_CAP + 1}", params, bitmap=True)
    if len(matches) <= COUNT_CAP:  # all of them: order here, count exactly
        return _page_of(matches, query, sort, limit, offset), len(matches)
    # More than COUNT_CAP matches: newest first along the key index, as far as the page
    # needs (relevance: per tier); for the "newest" window (RANK_WINDOW matches), the walk is
    # long when matches are sparse, so when the statistics expect few, sort them all from
    # the GIN instead.
    if sort == SearchSort.DEADLINE or not query.words:
        sql = f"{columns} ORDER BY e.sort_key LIMIT {offset + limit}"
        return _page_of(_pg_fetch(sql, params, walk=True), query, sort, limit, offset), len(matches)
    if _pg_density(query) * _pg_rows_estimate() <= SORT_ALL_LIMIT:
        sql = f"{columns} ORDER BY e.sort_key + 0 LIMIT {RANK_WINDOW}"
        window = _pg_fetch(sql, params, bitmap=True)
    else:
        sql = f"{columns} ORDER BY e.sort_key LIMIT {RANK_WINDOW}"
        window = _pg_fetch(sql, params, walk=True)
    return _page_of(window, query, sort, limit, offset), len(matches)


def _pg_relevance(query: _Query, limit: int, offset: int) -> tuple[list[SearchEntry], int]:
    """A relevance page: the matches with every word in the title, then the others, each
    newest first. The title tier first, from the title GIN (at most COUNT_CAP + 1 rows):
    more than COUNT_CAP, and the count is capped already and the page is read along the key
    index, as a deadline page is. Otherwise all the matches (at most COUNT_CAP + 1): if that
    is all of them, ordered here; if not, the other tier is read after the title tier."""
    body, params = _postgres_where(query, _Tier.TITLE, title_gin=True)
    sql = f"SELECT e.sort_key {body} LIMIT {COUNT_CAP + 1}"
    first = sorted(row[0] for row in _pg_fetch(sql, params, bitmap=True))
    if len(first) > COUNT_CAP:  # as a deadline page: along the key index
        body, params = _postgres_where(query, _Tier.TITLE)
        sql = f"SELECT e.sort_key {body} ORDER BY e.sort_key LIMIT {offset + limit}"
        keys = [row[0] for row in _pg_fetch(sql, params, walk=True)][offset:]
        return _entries(keys), len(first)
    body, params = _postgres_where(query)
    sql = f"SELECT e.sort_key, e.search_title, e.announced_at {body} LIMIT {COUNT_CAP + 1}"
    matches = _pg_fetch(sql, params, bitmap=True)
    if len(matches) <= COUNT_CAP:
        return _page_of(matches, query, SearchSort.RELEVANCE, limit, offset), len(matches)
    keys = first[offset : offset + limit]
    if len(first) < offset + limit:
        skip = max(0, offset - len(first))
        # The other matches: along the key index, or, when the statistics expect few
        # matches (a long walk between them), all of them sorted from the GIN bitmap.
        body, params = _postgres_where(query, _Tier.REST)
        sql = f"SELECT e.sort_key {body} ORDER BY e.sort_key"
        count = skip + limit - len(keys)
        if _pg_density(query) * _pg_rows_estimate() <= SORT_ALL_LIMIT:
            rest = _pg_fetch(f"{sql} + 0 LIMIT {count}", params, bitmap=True)
        else:
            rest = _pg_fetch(f"{sql} LIMIT {count}", params, walk=True)
        keys += [row[0] for row in rest][skip:]
    return _entries(keys), len(matches)


def _pg_rows_estimate() -> float:
    _pg_shares()
    return _stats["rows"]


def _count(query: _Query) -> int:
    _key, body, params = _source(query)
    sql = f"SELECT count(*) FROM (SELECT 1 {body} LIMIT {COUNT_CAP + 1}) c"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def search_tenders(
    *,
    q: str = "",
    category: str | None = None,
    agency_id: int | None = None,
    work_unit_id: int | None = None,
    fiscal_year: int | None = None,
    value_min: int | Decimal | None = None,
    value_max: int | Decimal | None = None,
    phase: SearchPhase | str | None = None,
    sort: SearchSort | str = SearchSort.DEADLINE,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> SearchResult:
    """Announced tenders matching every word (title, code, agency, work unit, location,
    category; case and diacritics ignored; no stemming) and every filter given."""
    try:
        sort = SearchSort(sort)
    except ValueError:
        raise _invalid(
            "search.sort_unknown",
            "sort",
            "Urutan tidak dikenal (deadline, relevance, newest).",
            "Unknown sort (deadline, relevance, newest).",
        ) from None
    try:
        phase_filter = SearchPhase(phase) if phase else None
    except ValueError:
        raise _invalid(
            "search.status_unknown",
            "status",
            "Tahap tidak dikenal (announced, bidding, closed, cancelled).",
            "Unknown status (announced, bidding, closed, cancelled).",
        ) from None
    if category is not None and category not in CATEGORIES:
        raise _invalid(
            "search.category_unknown",
            "category",
            "Kategori tidak dikenal.",
            f"Unknown category ({', '.join(CATEGORIES)}).",
        )
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise _invalid(
            "search.page_size_invalid",
            "page_size",
            f"Ukuran halaman 1–{MAX_PAGE_SIZE}.",
            f"Page size must be 1–{MAX_PAGE_SIZE}.",
        )
    if page < 1 or (page - 1) * page_size >= MAX_RESULTS:
        raise _invalid(
            "search.page_out_of_range",
            "page",
            f"Halaman di luar jangkauan: hanya {MAX_RESULTS} hasil pertama yang ditampilkan; "
            "persempit pencarian.",
            f"Page out of range: only the first {MAX_RESULTS} results are listed; "
            "narrow the search.",
        )
    bounds = [
        ("year", fiscal_year, 1900, 2999),
        ("agency", agency_id, 1, MAX_ID),
        ("work_unit", work_unit_id, 1, MAX_ID),
        ("min", value_min, 0, MAX_VALUE),
        ("max", value_max, 0, MAX_VALUE),
    ]
    for name, value, low, high in bounds:
        if value is not None and not low <= value <= high:
            raise _invalid(
                "search.value_out_of_range",
                name,
                f"{name}: di luar jangkauan ({low}–{high}).",
                f"{name}: out of range ({low}–{high}).",
            )
    if value_min is not None and value_max is not None and value_min > value_max:
        raise _invalid(
            "search.value_range_invalid",
            "min",
            "Nilai minimum lebih besar dari nilai maksimum.",
            "The minimum value is greater than the maximum.",
        )
    now = clock.now()
    query = _build(
        q=q,
        category=category,
        agency_id=agency_id,
        work_unit_id=work_unit_id,
        fiscal_year=fiscal_year,
        value_min=value_min,
        value_max=value_max,
        phase_filter=phase_filter,
        now=now,
        sqlite=connection.vendor == "sqlite",
    )
    offset = (page - 1) * page_size
    limit = min(page_size + 1, MAX_RESULTS - offset + 1)
    if connection.vendor == "postgresql":
        rows, total = _pg_rows(query, sort, limit, offset)
    else:
        rows, total = _rows(query, sort, limit, offset), None
    reachable = offset + page_size < MAX_RESULTS
    has_next = len(rows) > page_size and reachable
    rows = rows[:page_size]
    # A short page tells the total; otherwise count, up to the cap.
    last_page = len(rows) < page_size and (rows or offset == 0)
    if total is None:
        total = offset + len(rows) if last_page else _count(query)
    items = [SearchHit(entry, entry_phase(entry, now)) for entry in rows]
    return SearchResult(
        items=items,
        count=min(total, COUNT_CAP),
        count_capped=total > COUNT_CAP,
        page=page,
        page_size=page_size,
        has_next=has_next,
    )
