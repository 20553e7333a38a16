"""The public tender search index: a projection of announced tenders, one row each.

Derived, never the source of truth: ``services.search_index_tender`` writes a row from a tender
and ``search_reindex_all`` rebuilds every row. Ids of tenders, agencies and work units are kept
as plain integers (no foreign keys), so the index can be dropped and rebuilt at will and its
migrations never depend on another app's.

The full-text side lives outside Django's model (see migrations/0002_fulltext.py):
on SQLite an FTS5 table ``search_fts`` over (search_title, search_body, search_tags) whose row
ids are ``sort_key``, kept in step by triggers in the same transaction; on PostgreSQL a
generated ``document`` tsvector column with a multi-column GIN (btree_gin) index.

No phase is stored: phase filters are range predicates on ``bid_start``/``bid_end``.
"""

from django.db import models


class SearchEntry(models.Model):
    tender_id = models.BigIntegerField(unique=True)
    code = models.CharField(max_length=20)
    title = models.CharField(max_length=300)
    agency_id = models.BigIntegerField()
    agency_name = models.CharField(max_length=200)
    work_unit_id = models.BigIntegerField()
    work_unit_name = models.CharField(max_length=200)
    location = models.CharField(max_length=200)
    category = models.CharField(max_length=20)
    fiscal_year = models.PositiveSmallIntegerField()
    owner_estimate = models.DecimalField(max_digits=18, decimal_places=2)  # HPS
    announced_at = models.DateTimeField()
    bid_start = models.DateTimeField()
    bid_end = models.DateTimeField()
    cancelled = models.BooleanField(default=False)
    # Unique, ascending = latest bid deadline first (text.sort_key); the FTS5 row id.
    sort_key = models.BigIntegerField(unique=True)
    # Normalized words (text.normalize): the title and code; agency, work unit, location and
    # category name; and the filter values as tokens (text.tags).
    search_title = models.TextField()
    search_body = models.TextField()
    search_tags = models.TextField()

    class Meta:
        indexes = [
            models.Index(fields=["fiscal_year", "sort_key"], name="search_year_deadline"),
            models.Index(fields=["announced_at"], name="search_announced"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"
