"""The full-text side of the search index, per database (applied by migration 0002).

SQLite: an FTS5 table whose row ids are ``SearchEntry.sort_key`` (deadline order), external
content (the words are stored once, in ``search_searchentry``), kept in step by triggers, so
an index write and its full-text write commit or roll back together. Tokenizer unicode61
with diacritics removed; no stemming.

PostgreSQL: a generated ``document`` tsvector (title weight A, the rest B; the ``simple``
configuration: no stemming, no stop words), one multi-column GIN over the vector and the
equality filters (btree_gin), so a text query and its filters are one bitmap, and a second
one over the title's words alone and the same filters (migration 0003), so "every word in the
title" (the first tier of relevance) is one exact bitmap too.
"""

from __future__ import annotations

FTS_TABLE = "search_fts"
ENTRY_TABLE = "search_searchentry"

SQLITE_REBUILD = "INSERT INTO search_fts(search_fts) VALUES ('rebuild')"
SQLITE_OPTIMIZE = "INSERT INTO search_fts(search_fts) VALUES ('optimize')"

_SQLITE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS search_entry_ai AFTER INSERT ON search_searchentry BEGIN
      INSERT INTO search_fts(rowid, search_title, search_body, search_tags)
      VALUES (new.sort_key, new.search_title, new.search_body, new.search_tags);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_entry_ad AFTER DELETE ON search_searchentry BEGIN
      INSERT INTO search_fts(search_fts, rowid, search_title, search_body, search_tags)
      VALUES ('delete', old.sort_key, old.search_title, old.search_body, old.search_tags);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_entry_au AFTER UPDATE ON search_searchentry BEGIN
      INSERT INTO search_fts(search_fts, rowid, search_title, search_body, search_tags)
      VALUES ('delete', old.sort_key, old.search_title, old.search_body, old.search_tags);
      INSERT INTO search_fts(rowid, search_title, search_body, search_tags)
      VALUES (new.sort_key, new.search_title, new.search_body, new.search_tags);
    END""",
]

SQLITE_INSTALL = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
      search_title, search_body, search_tags,
      content='search_searchentry', content_rowid='sort_key',
      tokenize='unicode61 remove_diacritics 2', detail='column'
    )""",
    *_SQLITE_TRIGGERS,
    SQLITE_REBUILD,
]

SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS search_entry_ai",
    "DROP TRIGGER IF EXISTS search_entry_ad",
    "DROP TRIGGER IF EXISTS search_entry_au",
    "DROP TABLE IF EXISTS search_fts",
]

# The title's words alone (an expression, not a column: queries name the same expression,
# TITLE_VECTOR). Equivalent to the weight-A lexemes of ``document``, which walks use instead.
TITLE_VECTOR = "to_tsvector('simple'::regconfig, e.search_title)"
POSTGRES_TITLE_INDEX = """CREATE INDEX IF NOT EXISTS search_title_filters ON search_searchentry
      USING gin (to_tsvector('simple'::regconfig, search_title),
      category, agency_id, work_unit_id, fiscal_year)"""
POSTGRES_TITLE_INDEX_DROP = "DROP INDEX IF EXISTS search_title_filters"

POSTGRES_INSTALL = [
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    """ALTER TABLE search_searchentry
      ADD COLUMN IF NOT EXISTS document tsvector GENERATED ALWAYS AS (
      setweight(to_tsvector('simple'::regconfig, search_title), 'A')
      || setweight(to_tsvector('simple'::regconfig, search_body), 'B')
    ) STORED""",
    """CREATE INDEX IF NOT EXISTS search_document_filters ON search_searchentry
      USING gin (document, category, agency_id, work_unit_id, fiscal_year)""",
    POSTGRES_TITLE_INDEX,
    # Better estimates of how common a word is, so the planner knows when walking the
    # deadline index beats a bitmap over the GIN.
    "ALTER TABLE search_searchentry ALTER COLUMN document SET STATISTICS 1000",
]

POSTGRES_UNINSTALL = [
    POSTGRES_TITLE_INDEX_DROP,
    "DROP INDEX IF EXISTS search_document_filters",
    "ALTER TABLE search_searchentry DROP COLUMN IF EXISTS document",
]


def install_statements(vendor: str) -> list[str]:
    return {"sqlite": SQLITE_INSTALL, "postgresql": POSTGRES_INSTALL}.get(vendor, [])


def uninstall_statements(vendor: str) -> list[str]:
    return {"sqlite": SQLITE_UNINSTALL, "postgresql": POSTGRES_UNINSTALL}.get(vendor, [])


def sqlite_triggers() -> list[str]:
    """The triggers alone (a bulk load drops them, inserts, then rebuilds and re-creates)."""
    return list(_SQLITE_TRIGGERS)
