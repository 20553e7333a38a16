"""Signed checkpoints of the audit log: ``{node, size, head_hash, time}``.

A checkpoint is a promise by the node: "my log had ``size`` events and the last one's hash was
``head_hash`` at ``time``". Whoever keeps one (a vendor with a receipt, an auditor, the national
hub, an administrator's USB stick) can later prove the node did not rewrite or roll back its
history: the current log must *extend* the checkpoint, i.e. its event number ``size`` still has
that hash and the whole chain verifies. Because every event's hash covers the previous one, one
matching hash at ``size`` pins every event before it (RFC 6962's consistency idea, with a linear
chain instead of a Merkle tree: proving costs reading the log, which a node's auditor can do).
"""

from __future__ import annotations

from dataclasses import dataclass

CHECKPOINT_TYPE = "tangguh.checkpoint/1"


class CheckpointError(ValueError):
    """Why a checkpoint cannot be used; ``code`` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Checkpoint:
    node: str
    size: int
    head_hash: str
    time: str  # RFC 3339 with zone

    def payload(self) -> dict:
        return {
            "typ": CHECKPOINT_TYPE,
            "node": self.node,
            "size": self.size,
            "head_hash": self.head_hash,
            "time": self.time,
        }


def parse_checkpoint_payload(payload: object) -> Checkpoint:
    """The checkpoint a (signature-checked) payload states, or ``CheckpointError``."""
    if not isinstance(payload, dict) or payload.get("typ") != CHECKPOINT_TYPE:
        raise CheckpointError(
            "checkpoint.not_a_checkpoint", "the token is not a Tangguh checkpoint"
        )
    size, head, node, time = (payload.get(k) for k in ("size", "head_hash", "node", "time"))
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise CheckpointError("checkpoint.malformed", "size must be a non-negative integer")
    if not isinstance(head, str) or len(head) != 64:
        raise CheckpointError("checkpoint.malformed", "head_hash must be 64 hex digits")
    try:
        int(head, 16)
    except ValueError as exc:
        raise CheckpointError("checkpoint.malformed", "head_hash must be 64 hex digits") from exc
    if not isinstance(node, str) or not isinstance(time, str):
        raise CheckpointError("checkpoint.malformed", "node and time must be strings")
    return Checkpoint(node=node, size=size, head_hash=head.lower(), time=time)


def log_extends(checkpoint: Checkpoint, *, log_size: int, hash_at_size: str | None) -> None:
    """Raise unless a log of ``log_size`` events whose event ``checkpoint.size`` has hash
    ``hash_at_size`` (the genesis hash for size 0) extends ``checkpoint``. The caller has
    verified the chain itself."""
    if log_size < checkpoint.size:
        raise CheckpointError(
            "checkpoint.log_shorter",
            f"the log has {log_size} events, fewer than the {checkpoint.size} the checkpoint "
            "states: it was rolled back or replaced",
        )
    if hash_at_size != checkpoint.head_hash:
        raise CheckpointError(
            "checkpoint.hash_differs",
            f"event {checkpoint.size} has hash {hash_at_size}, not {checkpoint.head_hash}: "
            "history up to the checkpoint was rewritten",
        )
