"""The UKPBJ's optional recovery share: the UKPBJ head registers an offline age recipient (a key
in a safe); every key dealt afterwards, on the node or off it, gets one more share sealed to it,
without a holder, marked in the sealing-key document. With the real ``age`` CLI: the recovery
share plus k - 1 members' shares rebuild the identity with ``tangguh keys combine``, and
``age -d -i`` opens a bid sealed to the tender's recipient."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tangguh.accounts.selectors import users_with_role
from tangguh.audit.models import AuditEvent
from tangguh.bids.models import KeyShare, SealingKey
from tangguh.bids.services.keys import member_key_current, sealing_keys_deal
from tangguh.core.errors import InvalidInput
from tangguh.domain.roles import Role
from tangguh.domain.sealing.fingerprint import recipient_fingerprint
from tangguh.organizations.models import ProcurementUnit
from tangguh.testing import factories
from tests.test_bids_upload import make_age_identity
from tests.test_participation import make_tender

pytestmark = pytest.mark.django_db

AGE = "/usr/bin/age"
AGE_KEYGEN = "/usr/bin/age-keygen"


def _run(*args, env=None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 0, result.stderr
    return result


def _tangguh_keys(tmp_path: Path, *args) -> subprocess.CompletedProcess:
    """``tangguh keys …``, the node's command (as test_sealing_cli runs it)."""
    env = {**os.environ, "TANGGUH_ENV": "sandbox", "TANGGUH_DATA_DIR": str(tmp_path / "node")}
    env.pop("DATABASE_URL", None)
    return _run(sys.executable, "-m", "tangguh", "keys", *args, env=env)


@pytest.fixture
def safe(tmp_path) -> tuple[Path, str]:
    """The recovery key kept in the UKPBJ head's safe, made by ``age-keygen``."""
    directory = tmp_path / "safe"
    directory.mkdir()
    return make_age_identity(directory)


def _set_recovery(api, org, recipient):
    return api.call(
        "PUT",
        f"/organizations/procurement-units/{org.procurement_unit.pk}/recovery-recipient",
        json={"recipient": recipient},
        token=api.token_for(org.users[Role.PROCUREMENT_UNIT_HEAD]),
    )


def _members(org):
    return users_with_role(Role.COMMITTEE_MEMBER, f"committee:{org.committee.pk}")


def _member_identity_file(tmp_path: Path, member) -> Path:
    path = tmp_path / f"{member.username}.txt"
    path.write_text(factories.MEMBER_IDENTITIES[member.pk] + "\n")
    return path


def _bid_opens_with(tmp_path: Path, identity: Path, recipient: str) -> None:
    bid = tmp_path / "bid.tar"
    bid.write_bytes(os.urandom(100_000))
    _run(AGE, "-r", recipient, "-o", tmp_path / "bid.age", bid)
    _run(AGE, "-d", "-i", identity, "-o", tmp_path / "opened.tar", tmp_path / "bid.age")
    assert (tmp_path / "opened.tar").read_bytes() == bid.read_bytes()


def test_only_the_ukpbj_head_sets_the_recovery_recipient_and_it_is_audited(api, org, safe):
    _, recipient = safe
    path = f"/organizations/procurement-units/{org.procurement_unit.pk}/recovery-recipient"
    for role in (Role.ADMIN, Role.COMMITTEE_MEMBER, Role.VENDOR):
        refused = api.call(
            "PUT", path, json={"recipient": recipient}, token=api.token_for(org.users[role])
        )
        assert refused.status_code == 403 and refused.json()["code"] == "permission.denied"
    bad = _set_recovery(api, org, "age1notakey")
    assert bad.status_code == 422
    assert bad.json()["code"] == "procurement_unit.recovery_recipient_invalid"
    assert ProcurementUnit.objects.get(pk=org.procurement_unit.pk).recovery_recipient == ""

    ok = _set_recovery(api, org, recipient)
    assert ok.status_code == 200, ok.content
    assert ok.json()["fingerprint"] == recipient_fingerprint(recipient)
    public = Client().get(f"/api/v1{path}").json()
    assert public["recipient"] == recipient and public["set_at"] is not None
    event = AuditEvent.objects.filter(action="procurement_unit.recovery_recipient_set").last()
    assert event.payload["fingerprint"] == recipient_fingerprint(recipient)
    assert event.actor_user_id == org.users[Role.PROCUREMENT_UNIT_HEAD].pk

    cleared = _set_recovery(api, org, None)
    assert cleared.status_code == 200 and cleared.json()["recipient"] is None
    assert ProcurementUnit.objects.get(pk=org.procurement_unit.pk).recovery_recipient == ""


def test_node_dealing_adds_a_recovery_share_that_rebuilds_the_key_with_one_member(
    api, org, safe, tmp_path
):
    safe_identity, safe_recipient = safe
    assert _set_recovery(api, org, safe_recipient).status_code == 200
    tender = make_tender(org)
    (key,) = sealing_keys_deal(actor="test", tender=tender)
    members = _members(org)
    assert (key.k, key.n) == (2, 4)  # k stays the members' majority
    shares = list(key.shares.order_by("index"))
    recovery = shares[-1]
    assert (recovery.index, recovery.holder_id) == (4, None)
    assert recovery.holder_recipient == safe_recipient
    assert [s.holder for s in shares[:3]] == members

    # the signed sealing-key document lists its commitment and marks it
    document = Client().get(f"/api/v1/tenders/{tender.code}/sealing-key").json()
    (envelope,) = document["envelopes"]
    assert envelope["commitments"][3] == recovery.commitment
    assert envelope["recovery_share"] == {
        "index": 4,
        "commitment": recovery.commitment,
        "fingerprint": recipient_fingerprint(safe_recipient),
    }

    # the safe's share opens with age and the safe's key, and matches its commitment
    (tmp_path / "share-4.json.age").write_bytes(bytes(recovery.sealed_share))
    _run(
        AGE,
        "-d",
        "-i",
        safe_identity,
        "-o",
        tmp_path / "share-4.json",
        tmp_path / "share-4.json.age",
    )
    opened = (tmp_path / "share-4.json").read_bytes()
    assert hashlib.sha256(opened).hexdigest() == recovery.commitment
    assert json.loads(opened)["k"] == 2

    # members 1 and 3 are gone: member 2's share and the safe's rebuild the identity
    (tmp_path / "share-2.json.age").write_bytes(bytes(shares[1].sealed_share))
    member = _member_identity_file(tmp_path, members[1])
    _tangguh_keys(
        tmp_path, "combine", tmp_path / "share-2.json.age", tmp_path / "share-4.json.age",
        "--identity", member, "--identity", safe_identity, "--out", tmp_path / "identity.txt",
    )  # fmt: skip
    rebuilt = _run(AGE_KEYGEN, "-y", tmp_path / "identity.txt").stdout.strip()
    assert rebuilt == key.recipient
    _bid_opens_with(tmp_path, tmp_path / "identity.txt", key.recipient)

    # the safe alone opens nothing
    alone = subprocess.run(
        [sys.executable, "-m", "tangguh.sealing", "keys", "combine", str(tmp_path / "share-4.json"),
         "--out", "-"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert alone.returncode == 1 and "share.not_enough" in alone.stderr


def test_off_node_dealing_with_the_recovery_share_uploads_and_recovers(api, org, safe, tmp_path):
    safe_identity, safe_recipient = safe
    assert _set_recovery(api, org, safe_recipient).status_code == 200
    tender = make_tender(org, announced=False)
    members = _members(org)
    member_args = []
    for m in members:
        member_args += ["--member", f"{m.username}={member_key_current(m).recipient}"]
    token = api.token_for(members[0])

    # a dealing without the recovery share is refused while the UKPBJ has one registered
    plain_out = tmp_path / "tanpa-pemulihan"
    _tangguh_keys(
        tmp_path, "deal", "--tender", tender.code, "--envelope", "offer", *member_args,
        "--out", plain_out,
    )  # fmt: skip
    document = json.loads((plain_out / "sealing-keys.json").read_text())
    path = f"/tenders/{tender.code}/sealing-keys"
    refused = api.call("POST", path, json=document, token=token)
    assert refused.status_code == 422, refused.content
    assert refused.json()["code"] == "sealing_key.recovery_share_missing"

    # one sealed to another key than the registered one is refused too
    other = tmp_path / "other"
    other.mkdir()
    _, other_recipient = make_age_identity(other)
    wrong_out = tmp_path / "salah"
    _tangguh_keys(
        tmp_path, "deal", "--tender", tender.code, "--envelope", "offer", *member_args,
        "--recovery-recipient", other_recipient, "--out", wrong_out,
    )  # fmt: skip
    wrong = json.loads((wrong_out / "sealing-keys.json").read_text())
    refused = api.call("POST", path, json=wrong, token=token)
    assert refused.json()["code"] == "sealing_key.recovery_recipient_mismatch"
    assert not SealingKey.objects.exists()

    out = tmp_path / "kunci"
    dealt = _tangguh_keys(
        tmp_path, "deal", "--tender", tender.code, "--envelope", "offer", *member_args,
        "--recovery-recipient", safe_recipient, "--out", out,
    )  # fmt: skip
    assert "2 of 4 (+ recovery share 4)" in dealt.stdout
    commitments = json.loads((out / "commitments.json").read_text())
    assert commitments["shares"][3] == {
        "index": 4,
        "recovery": safe_recipient,
        "sha256": commitments["shares"][3]["sha256"],
    }
    document = json.loads((out / "sealing-keys.json").read_text())
    assert document["envelopes"][0]["shares"][3]["holder"] is None
    created = api.call("POST", path, json=document, token=token)
    assert created.status_code == 201, created.content
    assert created.json()["envelopes"][0]["recovery_share"] == 4
    stored = KeyShare.objects.get(sealing_key__tender=tender, index=4)
    assert stored.holder_id is None and stored.holder_recipient == safe_recipient

    # the safe's share and member 3's rebuild the key, checked against the commitments
    member = _member_identity_file(tmp_path, members[2])
    _tangguh_keys(
        tmp_path, "combine", out / "share-3.json.age", out / "share-4.json.age",
        "--identity", member, "--identity", safe_identity,
        "--commitments", out / "commitments.json", "--out", tmp_path / "identity.txt",
    )  # fmt: skip
    recipient = (out / "recipient.txt").read_text().strip()
    assert _run(AGE_KEYGEN, "-y", tmp_path / "identity.txt").stdout.strip() == recipient
    _bid_opens_with(tmp_path, tmp_path / "identity.txt", recipient)


def test_a_recovery_key_that_is_a_members_own_key_is_refused(api, org):
    member = _members(org)[0]
    assert _set_recovery(api, org, member_key_current(member).recipient).status_code == 200
    with pytest.raises(InvalidInput) as refused:
        sealing_keys_deal(actor="test", tender=make_tender(org, announced=False))
    assert refused.value.code == "sealing_key.recovery_is_member"
    assert not SealingKey.objects.exists()
