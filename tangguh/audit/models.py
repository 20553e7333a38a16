"""The append-only audit log and its single head row.

The database itself refuses UPDATE and DELETE on events (triggers, migration 0002); the head
row is the one lock every writer takes, so the chain never forks.
"""

from django.db import models


class AuditEvent(models.Model):
    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.CharField(max_length=200)
    actor_user_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditHead(models.Model):
    """Exactly one row (id=1): the latest sequence number, hash and time."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="audit_head_single_row")
        ]

    def __str__(self) -> str:
        return f"head #{self.seq} {self.hash[:12]}"


class Checkpoint(models.Model):
    """A signed statement of the log's size and head hash at a moment (see
    ``tangguh.domain.checkpoint``). Kept so receipts, backups and the hub can cite one."""

    size = models.PositiveBigIntegerField()
    head_hash = models.CharField(max_length=64)
    made_at = models.DateTimeField()
    kid = models.CharField(max_length=100)
    token = models.TextField()  # the compact JWS

    class Meta:
        ordering = ["-made_at", "-id"]

    def __str__(self) -> str:
        return f"checkpoint #{self.size} {self.head_hash[:12]}"
