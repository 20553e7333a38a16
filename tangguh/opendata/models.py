"""Published OCDS releases, in feed order (docs/decisions/0801-ocds-feed-order.md).

A release is written once, in the transaction of the change it publishes, and never changed:
it is what the node said at that moment. ``position`` is its place in the feed: dense (1, 2,
3, …) and in commit order, because it is taken from the one ``FeedHead`` row under a lock held
until the transaction commits. So a reader that has seen position *n* has seen every position
below it, and a later commit can never appear behind a reader.

Tender ids are plain integers (no foreign keys), like the search index: the feed is public
history that outlives any row it was made from.
"""

from django.db import models


class FeedHead(models.Model):
    """Exactly one row (id=1): the last position given to a release."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    position = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="ocds_feed_head_single_row")
        ]

    def __str__(self) -> str:
        return f"feed head {self.position}"


class Release(models.Model):
    position = models.PositiveBigIntegerField(primary_key=True)
    ocid = models.CharField(max_length=150)
    release_id = models.CharField(max_length=220)
    kind = models.CharField(max_length=40)  # the release tag
    date = models.DateTimeField()
    tender_id = models.BigIntegerField(null=True, blank=True)
    # The release as compact JSON, exactly as served: pages are these texts joined, never
    # parsed and written again.
    body = models.TextField()
    sha256 = models.CharField(max_length=64)  # of ``body`` (UTF-8), also in the audit event

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["ocid", "release_id"], name="ocds_release_id_per_ocid"),
        ]
        indexes = [models.Index(fields=["ocid", "position"], name="ocds_release_ocid")]

    def __str__(self) -> str:
        return f"{self.position} {self.release_id}"


class ReleaseAmendment(models.Model):
    """Which release first published an amendment (a schedule change, an addendum, a decision
    after an outage), and the release before it: ``releaseID`` and ``amendsReleaseID``."""

    ocid = models.CharField(max_length=150)
    amendment_id = models.CharField(max_length=100)
    release_id = models.CharField(max_length=220)
    amends_release_id = models.CharField(max_length=220, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ocid", "amendment_id"], name="ocds_amendment_once_per_ocid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ocid} {self.amendment_id} → {self.release_id}"
