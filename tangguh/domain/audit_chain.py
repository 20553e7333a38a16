"""The audit hash chain: how an event is hashed and how a chain is checked.

Each event's hash is SHA-256 over the RFC 8785 (JCS) canonical JSON of the event, which
includes the previous event's hash; so altering, removing or reordering any event breaks every
hash after it. Pure: callers hand in plain dictionaries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import rfc8785

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class ChainEvent:
    """One audit event as it is hashed."""

    seq: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    payload: dict
    prev_hash: str

    def canonical(self) -> dict:
        return {
            "seq": self.seq,
            "at": format_time(self.at),
            "actor": self.actor,
            "action": self.action,
            "object": {"type": self.object_type, "id": self.object_id},
            "payload": self.payload,
            "prev": self.prev_hash,
        }


def format_time(at: datetime) -> str:
    """RFC 3339 in UTC with microseconds: one spelling per moment, so hashes are stable."""
    if at.tzinfo is None:
        raise ValueError("audit times must be aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(event: ChainEvent) -> str:
    """SHA-256 (hex) of the event's RFC 8785 canonical JSON."""
    return hashlib.sha256(rfc8785.dumps(event.canonical())).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    count: int
    head_hash: str
    problem: ChainProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_chain(events: Iterable[tuple[ChainEvent, str]]) -> ChainReport:
    """Check (event, stored hash) pairs in sequence order; name the first broken event.

    Checks: sequence numbers start at 1 with no gaps, each event links to the previous hash,
    each stored hash matches the recomputed one, and times never decrease.
    """
    expected_seq = 1
    prev_hash = GENESIS_HASH
    prev_at: datetime | None = None
    count = 0
    for event, stored_hash in events:
        if event.seq != expected_seq:
            return ChainReport(
                count,
                prev_hash,
                ChainProblem(
                    event.seq, f"sequence gap: expected {expected_seq}, found {event.seq}"
                ),
            )
        if event.prev_hash != prev_hash:
            return ChainReport(
                count,
                prev_hash,
                ChainProblem(event.seq, "previous-hash link does not match the event before it"),
            )
        if prev_at is not None and event.at < prev_at:
            return ChainReport(count, prev_hash, ChainProblem(event.seq, "time goes backwards"))
        if event_hash(event) != stored_hash:
            return ChainReport(
                count,
                prev_hash,
                ChainProblem(event.seq, "content does not match its hash (altered)"),
            )
        prev_hash, prev_at = stored_hash, event.at
        expected_seq += 1
        count += 1
    return ChainReport(count, prev_hash, None)
