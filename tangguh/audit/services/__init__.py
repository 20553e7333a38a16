"""Appending to the audit chain. Every write service of every app calls ``audit_append``."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction

from tangguh import clock
from tangguh.audit.models import AuditEvent, AuditHead
from tangguh.domain.audit_chain import GENESIS_HASH, ChainEvent, event_hash


def _actor_label(actor: Any) -> tuple[str, int | None]:
    if actor is None:
        return "system", None
    if isinstance(actor, str):
        return actor, None
    if getattr(actor, "is_authenticated", False):
        return f"user:{actor.username}", actor.pk
    return "anonymous", None


def audit_append(
    *,
    actor: Any,
    action: str,
    object_type: str,
    object_id: str | int,
    payload: dict | None = None,
) -> AuditEvent:
    """Append one event inside the caller's transaction (or a new one).

    The head row is locked first: ``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite every
    transaction begins IMMEDIATE (settings), which already serialises writers.
    """
    label, user_id = _actor_label(actor)
    # No savepoint inside the caller's transaction: a failed append must undo the caller's
    # whole write anyway (nothing is written unaudited), and the SAVEPOINT/RELEASE pair is two
    # statements more on every write, which count when twenty bids are recorded at a deadline.
    with transaction.atomic(savepoint=False):
        head_query = AuditHead.objects
        if connection.features.has_select_for_update:
            head_query = head_query.select_for_update()
        try:
            head = head_query.get(pk=1)
        except AuditHead.DoesNotExist:
            # Migration 0002 creates the row; an emptied database (a test flush) needs it
            # again. INSERT … ON CONFLICT DO NOTHING keeps concurrent first writers safe.
            AuditHead.objects.bulk_create(
                [AuditHead(pk=1, seq=0, hash=GENESIS_HASH)], ignore_conflicts=True
            )
            head = head_query.get(pk=1)
        at = clock.now()
        # Times never decrease along the chain, even if the system clock steps back.
        if head.at is not None and at < head.at:
            at = head.at
        event = ChainEvent(
            seq=head.seq + 1,
            at=at,
            actor=label,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            payload=payload or {},
            prev_hash=head.hash,
        )
        digest = event_hash(event)
        row = AuditEvent.objects.create(
            seq=event.seq,
            at=event.at,
            actor=label,
            actor_user_id=user_id,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            payload=event.payload,
            prev_hash=event.prev_hash,
            hash=digest,
        )
        AuditHead.objects.filter(pk=1).update(seq=event.seq, hash=digest, at=event.at)
        return row


def audit_record_read(
    *, actor: Any, object_type: str, object_ids: list[str | int], purpose: str
) -> AuditEvent:
    """Record that someone read sensitive data (personal data, opened bids, the HPS
    breakdown): who, what, and why, as one event in the same chain."""
    return audit_append(
        actor=actor,
        action="read.sensitive",
        object_type=object_type,
        object_id=",".join(str(i) for i in object_ids)[:100] or "-",
        payload={"purpose": purpose, "ids": [str(i) for i in object_ids]},
    )
