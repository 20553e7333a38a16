"""Signed checkpoints: a third party keeps one and later proves the log was not rewritten,
rolled back or swapped for another node's."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from joserfc import jws
from joserfc.jwk import KeySet

from tangguh.audit.models import AuditEvent, AuditHead
from tangguh.audit.services.checkpoints import (
    checkpoint_current,
    checkpoint_make,
    checkpoint_verify,
)
from tangguh.core.keys import Keyring, node_keyring
from tangguh.core.signing import sign_payload
from tangguh.domain.audit_chain import ChainEvent, event_hash
from tests.test_audit import _append, _disable_guard

pytestmark = pytest.mark.django_db


def test_the_public_checkpoint_is_a_jws_another_library_verifies(client, clock):
    _append(3)
    response = client.get("/api/v1/audit/checkpoint")
    assert response.status_code == 200
    body = response.json()
    head = AuditHead.objects.get(pk=1)
    assert (body["size"], body["head_hash"]) == (head.seq, head.hash)
    jwks = client.get("/api/v1/node").json()["jwks"]
    token = jws.deserialize_compact(
        body["checkpoint"], KeySet.import_key_set(jwks), algorithms=["EdDSA"]
    )
    claims = json.loads(token.payload)
    assert claims["typ"] == "tangguh.checkpoint/1"
    assert claims["size"] == head.seq and claims["head_hash"] == head.hash
    assert datetime.fromisoformat(claims["time"]).utcoffset() is not None  # RFC 3339, zoned


def test_a_checkpoint_is_reused_until_it_is_old_and_the_log_grew(clock):
    first = checkpoint_current()
    _append(1)
    assert checkpoint_current().pk == first.pk  # younger than the interval
    clock.move(timedelta(minutes=6))
    second = checkpoint_current()
    assert second.pk != first.pk and second.size == first.size + 1
    clock.move(timedelta(minutes=6))
    assert checkpoint_current().pk == second.pk  # nothing new to promise


def test_the_log_extends_a_checkpoint_saved_earlier(clock, tmp_path, capsys):
    _append(2)
    saved = tmp_path / "checkpoint.json"
    saved.write_text(json.dumps({"checkpoint": checkpoint_make().token}))
    _append(5)
    call_command("audit", "verify", "--checkpoint", str(saved))
    assert "OK: the log" in capsys.readouterr().out


def test_a_checkpoint_from_another_node_is_named_as_such(clock, tmp_path, settings):
    stranger = Keyring(tmp_path / "other-keys")
    stranger.ensure()
    token = sign_payload(
        {
            "typ": "tangguh.checkpoint/1",
            "node": "LPSE Lain",
            "size": 1,
            "head_hash": "a" * 64,
            "time": "2024-06-24T10:00:00+09:00",
        },
        keyring=stranger,
    )
    verdict = checkpoint_verify(token)
    assert (verdict.ok, verdict.code) == (False, "checkpoint.other_node")
    path = tmp_path / "cp.jws"
    path.write_text(token)
    with pytest.raises(CommandError, match=r"checkpoint\.other_node"):
        call_command("audit", "verify", "--checkpoint", str(path))


def test_an_altered_checkpoint_fails_its_signature(clock):
    token = checkpoint_make().token
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"
    assert checkpoint_verify(forged).ok is False


def test_a_rolled_back_log_is_detected(clock):
    _append(2)
    node = json.loads(_payload_of(checkpoint_make().token))["node"]
    # What a restore from an old backup looks like from the checkpoint's side: the checkpoint
    # promised more events than the log now has.
    token = sign_payload(
        {
            "typ": "tangguh.checkpoint/1",
            "node": node,
            "size": AuditHead.objects.get(pk=1).seq + 3,
            "head_hash": "b" * 64,
            "time": "2024-06-24T10:00:00+09:00",
        },
        keyring=node_keyring(),
    )
    verdict = checkpoint_verify(token)
    assert (verdict.ok, verdict.code) == (False, "checkpoint.log_shorter")


def _payload_of(token: str) -> bytes:
    part = token.split(".")[1]
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


@pytest.mark.django_db(transaction=True)
def test_history_rewritten_and_rechained_is_detected(clock):
    """An attacker with database access edits an old event and recomputes every later hash so
    that the chain verifies again. Only someone holding an earlier checkpoint can tell."""
    _append(4)
    saved = checkpoint_make().token
    _append(2)
    _disable_guard()
    events = list(AuditEvent.objects.order_by("seq"))
    victim = events[len(events) // 2]
    victim.payload = {"i": 999, "note": "diubah"}
    prev = events[0].prev_hash
    for row in events:
        row.prev_hash = prev
        row.hash = event_hash(
            ChainEvent(
                seq=row.seq,
                at=row.at,
                actor=row.actor,
                action=row.action,
                object_type=row.object_type,
                object_id=row.object_id,
                payload=row.payload,
                prev_hash=prev,
            )
        )
        AuditEvent.objects.filter(pk=row.pk).update(
            payload=row.payload, prev_hash=row.prev_hash, hash=row.hash
        )
        prev = row.hash
    AuditHead.objects.filter(pk=1).update(hash=prev)
    verdict = checkpoint_verify(saved)
    assert (verdict.ok, verdict.code) == (False, "checkpoint.hash_differs"), verdict.message
