"""The node pushes its own trust-list entry to the hub: a credential revocation queues the new
entry (signed with the node key) in its own transaction, ``hub push`` delivers it once with the
outbox's retry rules, and another revocation or a key rotation queues a new one. Against the
real local HTTP server of tests/test_hub.py."""

from __future__ import annotations

import json
import warnings
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from joserfc import jws
from joserfc.jwk import KeySet

from tangguh.core.errors import Conflict, PermissionDenied
from tangguh.core.keys import node_keyring
from tangguh.domain.roles import Role
from tangguh.hub.models import CredentialRecord, Outbox
from tangguh.hub.services.credentials import credential_issue, credential_revoke
from tangguh.hub.services.outbox import outbox_push, trust_entry_digest
from tangguh.hub.services.trust import node_name, trust_entry_own, trust_parse
from tangguh.testing import factories
from tests.test_hub import connect, national, refusing_url
from tests.test_participation import approve

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:EdDSA is deprecated")]

__all__ = ["national"]  # a fixture, used by name in this module


@pytest.fixture(autouse=True)
def _own_keys(settings, tmp_path):
    settings.TANGGUH_SIGNING_KEY_DIR = tmp_path / "keys"
    settings.TANGGUH_DATA_DIR = tmp_path / "data"
    connect(settings, "")


def _verify(token: str, jwks: dict) -> dict:
    """Verify as the hub would, with an independent JOSE implementation."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc flags "EdDSA" as superseded by RFC 9864
        result = jws.deserialize_compact(token, KeySet.import_key_set(jwks), algorithms=["EdDSA"])
    return json.loads(result.payload)


def _trust_posts(national) -> dict[str, dict]:
    return {k: v for k, v in national.bodies.items() if k.startswith("trust:")}


def _issued(org, count: int = 1) -> list[str]:
    approve(org)
    vendor = org.users[Role.VENDOR]
    return [credential_issue(actor=vendor).jti for _ in range(count)]


def test_a_revocation_reaches_the_hub_once_signed_by_the_node(settings, clock, org, national):
    connect(settings, national.url)
    first, second = _issued(org, 2)
    vendor = org.users[Role.VENDOR]
    credential_revoke(actor=vendor, jti=first)
    (message,) = Outbox.objects.filter(kind="trust.entry")  # queued with the revocation
    assert message.key.startswith(f"trust:{node_name()}:")

    report = outbox_push()
    assert report.delivered == 1 and report.waiting == 0
    assert national.posts == Counter({message.key: 1})
    body = national.bodies[message.key]
    assert body["path"] == "/trust/entries" and body["node"] == node_name()

    # the hub checks the signature against the node's keys, independently of our code
    claims = _verify(body["token"], node_keyring().jwks())
    assert claims["typ"] == "tangguh.trust_entry" and claims["iss"] == node_name()
    entry = claims["entry"]
    record = CredentialRecord.objects.get(jti=first)
    assert entry["revoked_credentials"] == [
        {"jti": first, "exp": int(record.expires_at.timestamp())}
    ]
    assert entry["jwks"] == node_keyring().jwks()
    assert claims["sha256"] == body["sha256"] == trust_entry_digest(entry)
    assert message.key == f"trust:{node_name()}:{body['sha256']}"
    assert trust_parse(json.dumps(entry).encode())[0]["revoked_credentials"] == {
        first: int(record.expires_at.timestamp())
    }

    # pushing again, and revoking the same credential again, sends nothing new
    clock.move(timedelta(minutes=10))
    credential_revoke(actor=vendor, jti=first)
    assert outbox_push().delivered == 0
    call_command("hub", "push")
    assert national.posts == Counter({message.key: 1})

    # a second revocation: a new entry with both, delivered once
    credential_revoke(actor=vendor, jti=second)
    assert Outbox.objects.filter(kind="trust.entry", delivered_at__isnull=True).count() == 1
    call_command("hub", "push")
    call_command("hub", "push")
    trust = _trust_posts(national)
    assert len(trust) == 2 and set(national.posts.values()) == {1}
    (newer,) = (k for k in trust if k != message.key)
    latest = _verify(trust[newer]["token"], node_keyring().jwks())
    assert {c["jti"] for c in latest["entry"]["revoked_credentials"]} == {first, second}
    assert latest["iat"] > claims["iat"]


def test_the_entry_is_queued_only_with_a_revocation_that_commits(settings, clock, org, national):
    connect(settings, national.url)
    first, second = _issued(org, 2)
    stranger = factories.make_vendor()[1]
    with pytest.raises(PermissionDenied):
        credential_revoke(actor=stranger, jti=first)
    # the revocation and its entry are one transaction: rolled back together
    with pytest.raises(RuntimeError), transaction.atomic():
        credential_revoke(actor=org.users[Role.VENDOR], jti=first)
        assert Outbox.objects.filter(kind="trust.entry").count() == 1
        raise RuntimeError("the caller's transaction fails after the revocation")
    assert CredentialRecord.objects.get(jti=first).revoked_at is None
    assert not Outbox.objects.filter(kind="trust.entry").exists()
    clock.move(timedelta(days=8))
    with pytest.raises(Conflict):
        credential_revoke(actor=org.users[Role.VENDOR], jti=second)
    assert not Outbox.objects.filter(kind="trust.entry").exists()


def test_with_the_hub_down_the_entry_waits_and_is_delivered_once(settings, clock, org, national):
    connect(settings, national.url)
    (jti,) = _issued(org)
    national.failing = True
    credential_revoke(actor=org.users[Role.VENDOR], jti=jti)
    message = Outbox.objects.get(kind="trust.entry")

    first = outbox_push()
    assert (first.delivered, first.failed, first.waiting) == (0, 1, 1)
    message.refresh_from_db()
    assert message.attempts == 1 and "HTTP 500" in message.last_error
    assert message.next_attempt_at == clock.now() + timedelta(seconds=30)
    # not due yet: no request at all
    seen = len(national.requests)
    outbox_push()
    assert len(national.requests) == seen

    national.failing = False
    clock.move(timedelta(minutes=1))
    call_command("hub", "push")
    call_command("hub", "push")
    message.refresh_from_db()
    assert message.delivered_at is not None and message.attempts == 2
    assert national.posts == Counter({message.key: 1})
    payload = _verify(national.bodies[message.key]["token"], node_keyring().jwks())
    assert [c["jti"] for c in payload["entry"]["revoked_credentials"]] == [jti]


def test_a_refused_connection_keeps_the_entry(settings, clock, org):
    connect(settings, refusing_url())
    (jti,) = _issued(org)
    credential_revoke(actor=org.users[Role.VENDOR], jti=jti)
    assert outbox_push().waiting == 1
    assert Outbox.objects.get(kind="trust.entry").delivered_at is None


def test_without_a_hub_nothing_is_queued(settings, clock, org):
    (jti,) = _issued(org)
    credential_revoke(actor=org.users[Role.VENDOR], jti=jti)
    call_command("hub", "push")
    assert CredentialRecord.objects.get(jti=jti).revoked_at is not None
    assert not Outbox.objects.exists()


def test_a_key_rotation_or_a_hub_configured_later_is_caught_by_the_push(
    settings, clock, org, national
):
    # revoked while the hub was not configured: nothing queued then
    (jti,) = _issued(org)
    credential_revoke(actor=org.users[Role.VENDOR], jti=jti)
    assert not Outbox.objects.exists()

    # the hub is configured later: the first push sends the current entry
    connect(settings, national.url)
    call_command("hub", "push")
    (key,) = _trust_posts(national)
    entry = _verify(national.bodies[key]["token"], node_keyring().jwks())["entry"]
    assert entry == trust_entry_own()
    assert [c["jti"] for c in entry["revoked_credentials"]] == [jti]

    # `tangguh keys rotate` writes key files, no transaction: the next push sends the new JWKS
    old = node_keyring().ensure()
    call_command("keys", "rotate")
    new = node_keyring().ensure()
    call_command("hub", "push")
    trust = _trust_posts(national)
    assert len(trust) == 2 and set(national.posts.values()) == {1}
    (rotated,) = (k for k in trust if k != key)
    claims = _verify(trust[rotated]["token"], node_keyring().jwks())
    assert [k["kid"] for k in claims["entry"]["jwks"]["keys"]] == [new, old]

    # a week later the revoked credential has expired and leaves the entry: sent once more
    clock.move(timedelta(days=8))
    call_command("hub", "push")
    call_command("hub", "push")
    trust = _trust_posts(national)
    assert len(trust) == 3 and set(national.posts.values()) == {1}
    (last,) = (k for k in trust if k not in (key, rotated))
    expired = _verify(trust[last]["token"], node_keyring().jwks())["entry"]
    assert expired["revoked_credentials"] == [] and expired["jwks"] == node_keyring().jwks()
