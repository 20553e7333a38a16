"""Signed checkpoints: making them (lazily, at most every few minutes, or on demand) and
proving that the current log extends one saved earlier."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from tangguh import clock
from tangguh.audit.models import AuditEvent, AuditHead, Checkpoint
from tangguh.audit.selectors import audit_verify
from tangguh.core.keys import node_keyring
from tangguh.core.signing import JwsError, sign_payload, verify_jws
from tangguh.domain.audit_chain import GENESIS_HASH
from tangguh.domain.checkpoint import (
    Checkpoint as CheckpointClaim,
)
from tangguh.domain.checkpoint import (
    CheckpointError,
    log_extends,
    parse_checkpoint_payload,
)
from tangguh.hub.services.outbox import checkpoint_enqueue
from tangguh.organizations.selectors import node_get

# How old the newest checkpoint may be before a request for "the current one" makes another
# (only if the log grew meanwhile).
CHECKPOINT_INTERVAL = dt.timedelta(minutes=5)


def _node_name() -> str:
    node = node_get()
    return node.name if node is not None else settings.TANGGUH_NODE_NAME


def checkpoint_make() -> Checkpoint:
    """Sign the log's current size and head now. Reads the head row without locking it: a
    checkpoint is a consistent (size, hash) pair as of one committed state."""
    now = clock.now()
    with transaction.atomic():
        head = AuditHead.objects.filter(pk=1).first()
        size, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
        claim = CheckpointClaim(
            node=_node_name(),
            size=size,
            head_hash=head_hash,
            time=now.astimezone(ZoneInfo(settings.TIME_ZONE)).isoformat(),
        )
        keyring = node_keyring()
        token = sign_payload(claim.payload(), keyring=keyring)
        checkpoint = Checkpoint.objects.create(
            size=size, head_hash=head_hash, made_at=now, kid=keyring.active().kid, token=token
        )
        # Held outside the node too (the national hub, through the outbox), a checkpoint lets
        # a restore from an old backup be recognised as a rollback.
        checkpoint_enqueue(checkpoint=checkpoint, node=claim.node)
        return checkpoint


def checkpoint_current() -> Checkpoint:
    """The newest checkpoint, making a fresh one when there is none, or when it is older than
    ``CHECKPOINT_INTERVAL`` and the log has grown since."""
    latest = Checkpoint.objects.first()
    if latest is None:
        return checkpoint_make()
    if clock.now() - latest.made_at < CHECKPOINT_INTERVAL:
        return latest
    head = AuditHead.objects.filter(pk=1).first()
    if head is None or head.seq == latest.size:
        return latest
    return checkpoint_make()


def checkpoint_claim(checkpoint: Checkpoint) -> dict:
    """What a receipt cites of a checkpoint (the full JWS is at GET /api/v1/audit/checkpoint)."""
    return {
        "size": checkpoint.size,
        "head_hash": checkpoint.head_hash,
        "time": checkpoint.made_at.astimezone(ZoneInfo(settings.TIME_ZONE)).isoformat(),
        "kid": checkpoint.kid,
    }


@dataclass(frozen=True)
class CheckpointVerdict:
    ok: bool
    code: str
    message: str
    checkpoint: CheckpointClaim | None = None
    log_size: int = 0


def checkpoint_verify(token: str) -> CheckpointVerdict:
    """Does the current log extend the checkpoint ``token`` (a compact JWS)? Checks the
    signature against this node's keys (current and retired), that it names this node, then the
    whole chain, then the hash at the checkpoint's size."""
    try:
        verified = verify_jws(token, node_keyring().jwks())
    except JwsError as exc:
        code = {
            "unknown_key": "checkpoint.other_node",
            "bad_signature": "checkpoint.bad_signature",
        }.get(exc.kind, "checkpoint.malformed")
        message = (
            "signed by a key this node never had: a checkpoint from another node"
            if exc.kind == "unknown_key"
            else exc.detail
        )
        return CheckpointVerdict(False, code, message)
    try:
        claim = parse_checkpoint_payload(verified.payload)
    except CheckpointError as exc:
        return CheckpointVerdict(False, exc.code, exc.message)
    if claim.node != _node_name():
        return CheckpointVerdict(
            False,
            "checkpoint.other_node",
            f"the checkpoint names node {claim.node!r}, this node is {_node_name()!r}",
            claim,
        )
    report = audit_verify()
    if not report.ok:
        return CheckpointVerdict(
            False,
            "checkpoint.chain_broken",
            f"the audit chain is broken at event #{report.problem.seq}: {report.problem.reason}",
            claim,
            report.count,
        )
    if claim.size == 0:
        at_size = GENESIS_HASH
    else:
        at_size = AuditEvent.objects.filter(seq=claim.size).values_list("hash", flat=True).first()
    try:
        log_extends(claim, log_size=report.count, hash_at_size=at_size)
    except CheckpointError as exc:
        return CheckpointVerdict(False, exc.code, exc.message, claim, report.count)
    return CheckpointVerdict(
        True,
        "checkpoint.extended",
        f"the log ({report.count} events) extends the checkpoint of {claim.size} events "
        f"made {claim.time}",
        claim,
        report.count,
    )
