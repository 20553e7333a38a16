"""Reading and verifying the audit chain."""

from __future__ import annotations

from collections.abc import Iterator

from tangguh.audit.models import AuditEvent, AuditHead
from tangguh.domain.audit_chain import GENESIS_HASH, ChainEvent, ChainReport, verify_chain


def _chain_events() -> Iterator[tuple[ChainEvent, str]]:
    for row in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        yield (
            ChainEvent(
                seq=row.seq,
                at=row.at,
                actor=row.actor,
                action=row.action,
                object_type=row.object_type,
                object_id=row.object_id,
                payload=row.payload,
                prev_hash=row.prev_hash,
            ),
            row.hash,
        )


def audit_verify() -> ChainReport:
    """Check the whole chain, then that the head row agrees with its last event."""
    report = verify_chain(_chain_events())
    if not report.ok:
        return report
    head = AuditHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    if head_seq != report.count or head_hash != report.head_hash:
        from tangguh.domain.audit_chain import ChainProblem

        return ChainReport(
            report.count,
            report.head_hash,
            ChainProblem(report.count + 1, "events after the last valid one are missing"),
        )
    return report


def audit_head() -> tuple[int, str]:
    head = AuditHead.objects.filter(pk=1).first()
    return (head.seq, head.hash) if head else (0, GENESIS_HASH)


def audit_events(*, after_seq: int = 0, limit: int = 100) -> list[AuditEvent]:
    limit = max(1, min(limit, 1000))
    return list(AuditEvent.objects.filter(seq__gt=after_seq).order_by("seq")[:limit])
