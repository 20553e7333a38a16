"""The outbox: messages to national services, written with the change they report and
delivered later by ``tangguh hub push`` with retries and exponential back-off.

Two ways in, both lossless:

- ``outbox_enqueue`` inside the caller's transaction (signed checkpoints, from
  ``checkpoint_make``; this node's own trust-list entry, from ``credential_revoke``): the
  message exists exactly when the change committed;
- OCDS releases are already a transactional log of their own (``opendata.Release``, dense
  positions in commit order, written in the transaction of the tender change), so the push
  copies every release past the ``ocds.enqueued`` cursor into the outbox first, in one
  transaction with the cursor. Nothing between the feed and the outbox can be lost or
  copied twice.

The node's own trust-list entry is also compared with the last one queued at every push
(``trust_entry_enqueue``): that catches the changes that are no database transaction (``tangguh
keys rotate`` writes key files), a revoked credential leaving the entry when it expires, two
revocations whose transactions each saw only their own, and a hub configured later.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

import rfc8785
from django.db import transaction
from django.db.models import Q

from tangguh import clock
from tangguh.audit.models import Checkpoint
from tangguh.core.keys import Keyring
from tangguh.core.signing import sign_payload
from tangguh.hub.adapters import HUB, KIND_ADAPTER, AdapterError
from tangguh.hub.models import HubCursor, Outbox
from tangguh.hub.services.state import adapter_failed, adapter_ok
from tangguh.hub.services.trust import node_name, trust_entry_own
from tangguh.opendata.models import Release

# Back-off after the n-th failed attempt: 30 s, 1 min, 2 min, … capped at 6 hours, so a hub
# that is down for a week gets a few dozen requests a day, and one that returns is reached
# within the cap.
BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_CAP = dt.timedelta(hours=6)
# How long a push run holds a message it is sending (longer than any HTTP timeout).
CLAIM = dt.timedelta(minutes=5)
RELEASE_BATCH = 1000
ENQUEUED_CURSOR = "ocds.enqueued"
TRUST_ENTRY_TYPE = "tangguh.trust_entry"


def backoff(attempts: int) -> dt.timedelta:
    """The wait after ``attempts`` failed attempts (1, 2, …)."""
    if attempts <= 0:
        return dt.timedelta(0)
    return min(BACKOFF_BASE * (2 ** min(attempts - 1, 30)), BACKOFF_CAP)


def outbox_enqueue(*, kind: str, key: str, payload: dict) -> Outbox | None:
    """Queue one message inside the caller's transaction; ``None`` when the service that takes
    ``kind`` is not connected, or when ``key`` is queued already (a retried change)."""
    adapter = KIND_ADAPTER[kind]
    if not adapter.connected:
        return None
    now = clock.now()
    with transaction.atomic():
        message, created = Outbox.objects.get_or_create(
            key=key,
            defaults={"kind": kind, "payload": payload, "created_at": now, "next_attempt_at": now},
        )
    return message if created else None


def checkpoint_enqueue(*, checkpoint: Checkpoint, node: str) -> Outbox | None:
    """A signed checkpoint for the hub: kept outside the node, it lets a restore from an old
    backup be recognised as a rollback (docs/operations.md "Backups")."""
    return outbox_enqueue(
        kind="audit.checkpoint",
        key=f"checkpoint:{node}:{checkpoint.pk}:{checkpoint.size}",
        payload={
            "node": node,
            "size": checkpoint.size,
            "head_hash": checkpoint.head_hash,
            "made_at": checkpoint.made_at.isoformat(),
            "kid": checkpoint.kid,
            "token": checkpoint.token,
        },
    )


def trust_entry_digest(entry: dict) -> str:
    """SHA-256 of the entry in canonical JSON (RFC 8785), so the hub can recompute it."""
    return hashlib.sha256(rfc8785.dumps(entry)).hexdigest()


def trust_entry_enqueue(
    *, keyring: Keyring | None = None, node: str | None = None
) -> Outbox | None:
    """Queue this node's own trust-list entry (name, JWKS, revoked kids and credentials) for the
    hub when it differs from the last one queued; ``None`` when unchanged or the hub is not
    connected. Called inside the transaction of the change (``credential_revoke``) and by every
    push. The entry travels signed by the node key (compact JWS, ``typ tangguh.trust_entry``),
    so the hub can check it against the key it already trusts for this node.

    The key is ``trust:<node>:<sha256 of the canonical entry>``: it changes with the content, so
    each new entry is delivered once. An entry equal to an older one but not to the last (a
    revocation that expired) gets a numbered key, so the hub still ends with the current one."""
    if not HUB.connected:
        return None
    node = node or node_name()
    entry = trust_entry_own(keyring=keyring, node=node)
    digest = trust_entry_digest(entry)
    # 200 characters for the key: a node name is far shorter; cut it rather than fail.
    prefix = f"trust:{node[:120]}:"
    last = Outbox.objects.filter(kind="trust.entry", key__startswith=prefix).order_by("-id").first()
    if last is not None and last.payload.get("sha256") == digest:
        return None
    key = prefix + digest
    if Outbox.objects.filter(key=key).exists():
        key += f":{Outbox.objects.filter(key__startswith=key).count() + 1}"
    token = sign_payload(
        {
            "typ": TRUST_ENTRY_TYPE,
            "iss": node,
            "iat": int(clock.now().timestamp()),
            "sha256": digest,
            "entry": entry,
        },
        keyring=keyring,
    )
    return outbox_enqueue(
        kind="trust.entry", key=key, payload={"node": node, "sha256": digest, "token": token}
    )


def _cursor(name: str) -> str:
    row = HubCursor.objects.filter(name=name).first()
    return row.value if row else ""


def _cursor_set(name: str, value: str) -> None:
    HubCursor.objects.update_or_create(
        name=name, defaults={"value": value, "updated_at": clock.now()}
    )


def outbox_enqueue_releases() -> int:
    """Copy the releases past the cursor into the outbox (only when the hub is connected: a hub
    configured later receives the whole feed from the start). How many were queued."""
    if not HUB.connected:
        return 0
    queued = 0
    while True:
        with transaction.atomic():
            after = int(_cursor(ENQUEUED_CURSOR) or 0)
            rows = list(
                Release.objects.filter(position__gt=after).order_by("position")[:RELEASE_BATCH]
            )
            if not rows:
                return queued
            now = clock.now()
            Outbox.objects.bulk_create(
                [
                    Outbox(
                        kind="ocds.release",
                        key=f"ocds:{row.ocid}:{row.release_id}",
                        payload={
                            "position": row.position,
                            "ocid": row.ocid,
                            "id": row.release_id,
                            "sha256": row.sha256,
                            "release": json.loads(row.body),
                        },
                        created_at=now,
                        next_attempt_at=now,
                    )
                    for row in rows
                ],
                ignore_conflicts=True,
            )
            _cursor_set(ENQUEUED_CURSOR, str(rows[-1].position))
            queued += len(rows)


@dataclass
class PushReport:
    delivered: int = 0
    failed: int = 0
    waiting: int = 0  # undelivered after this run
    errors: list[str] = field(default_factory=list)


def _claim(message: Outbox, now: dt.datetime) -> bool:
    """Take the message for this run; False if another run holds it or delivered it."""
    return bool(
        Outbox.objects.filter(pk=message.pk, delivered_at__isnull=True)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + CLAIM)
    )


def outbox_push(*, limit: int = 1000) -> PushReport:
    """Deliver the messages that are due, oldest first. After a service fails once, the rest
    of its messages wait for the next run: one request per run to a service that is down."""
    report = PushReport()
    outbox_enqueue_releases()
    trust_entry_enqueue()
    now = clock.now()
    down: set[str] = set()
    due = Outbox.objects.filter(delivered_at__isnull=True, next_attempt_at__lte=now)
    for message in due.order_by("id")[:limit]:
        adapter = KIND_ADAPTER.get(message.kind)
        if adapter is None or not adapter.connected or adapter.service in down:
            continue
        if not _claim(message, now):
            continue
        try:
            adapter.deliver(kind=message.kind, key=message.key, payload=message.payload)
        except AdapterError as exc:
            attempts = message.attempts + 1
            Outbox.objects.filter(pk=message.pk).update(
                attempts=attempts,
                next_attempt_at=clock.now() + backoff(attempts),
                claimed_until=None,
                last_error=str(exc)[:2000],
            )
            adapter_failed(service=adapter.service, error=str(exc))
            down.add(adapter.service)
            report.failed += 1
            report.errors.append(str(exc))
        else:
            Outbox.objects.filter(pk=message.pk).update(
                attempts=message.attempts + 1,
                delivered_at=clock.now(),
                claimed_until=None,
                last_error="",
            )
            adapter_ok(service=adapter.service)
            report.delivered += 1
    report.waiting = Outbox.objects.filter(delivered_at__isnull=True).count()
    return report
