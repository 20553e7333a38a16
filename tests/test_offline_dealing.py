"""Dealing off the node: a Pokja member deals with ``keys deal`` on their own machine and sends
only recipients, sealed shares and commitments with ``keys upload`` (``POST
/api/v1/tenders/{code}/sealing-keys``). End to end through a live server and the command line;
then each bad upload refused with its own code and nothing stored."""

from __future__ import annotations

import base64
import copy
import hashlib
import itertools
import json
import subprocess
import sys
from pathlib import Path

import pyrage
import pytest

from tangguh.accounts.selectors import users_with_role
from tangguh.audit.models import AuditEvent
from tangguh.bids.models import KeyShare, MemberKey, SealingKey
from tangguh.bids.services.keys import member_key_current
from tangguh.domain.roles import Role
from tangguh.domain.sealing.fingerprint import recipient_fingerprint
from tangguh.domain.sealing.keys import KeyContext
from tangguh.domain.sealing.shares import combine_shares, parse_share
from tangguh.sealing.dealing import upload_document
from tangguh.sealing.files import deal_keys
from tangguh.testing import factories
from tests.test_participation import make_tender


def _sealing(*args, check=True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tangguh.sealing", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


def _members(org) -> list:
    return users_with_role(Role.COMMITTEE_MEMBER, f"committee:{org.committee.pk}")


def _member_args(members) -> list[str]:
    args = []
    for member in members:
        args += ["--member", f"{member.username}={member_key_current(member).recipient}"]
    return args


def _opens(share: KeyShare) -> bytes:
    identity = pyrage.x25519.Identity.from_str(factories.MEMBER_IDENTITIES[share.holder_id])
    return pyrage.decrypt(bytes(share.sealed_share), [identity])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_cli_deal_then_upload_gives_members_shares_that_open_and_match(
    api, org, live_server, tmp_path
):
    tender = make_tender(org, announced=False)
    members = _members(org)
    out = tmp_path / "kunci"
    dealt = _sealing(
        "keys", "deal", "--tender", tender.code, "--envelope", "offer",
        *_member_args(members), "--out", out,
    )  # fmt: skip
    assert "sealing-keys.json" in dealt.stdout
    document = json.loads((out / "sealing-keys.json").read_text())
    assert document["format"] == "tangguh.dealt-keys" and document["tender"] == tender.code
    # what is uploaded is only public material: recipients, sealed shares, commitments
    assert "AGE-SECRET-KEY" not in (out / "sealing-keys.json").read_text()

    chair = members[0]
    token = api.token_for(chair)
    uploaded = _sealing(
        "keys", "upload", tender.code, out, "--node", live_server.url, "--token", token
    )
    recipient = (out / "recipient.txt").read_text().strip()
    assert recipient_fingerprint(recipient) in uploaded.stdout

    key = SealingKey.objects.get(tender=tender)
    assert (key.envelope, key.recipient, key.k, key.n) == ("offer", recipient, 2, 3)
    assert key.dealt_on == "offline"
    commitments = json.loads((out / "commitments.json").read_text())
    plain = []
    for share in key.shares.order_by("index"):
        assert share.holder == members[share.index - 1]
        data = _opens(share)  # each member opens their own share with their identity
        assert hashlib.sha256(data).hexdigest() == share.commitment
        assert share.commitment == commitments["shares"][share.index - 1]["sha256"]
        assert bytes(share.sealed_share) == (out / f"share-{share.index}.json.age").read_bytes()
        plain.append(parse_share(data))
    for pair in itertools.combinations(plain, 2):
        assert combine_shares(list(pair)).recipient == recipient
    event = AuditEvent.objects.filter(action="sealing_key.dealt").last()
    assert event.actor_user_id == chair.pk
    assert event.payload["dealt_on"] == "offline"
    assert event.payload["commitments"] == [s["sha256"] for s in commitments["shares"]]

    again = _sealing(
        "keys", "upload", tender.code, out, "--node", live_server.url, "--token", token,
        check=False,
    )  # fmt: skip
    assert again.returncode == 1 and "sealing_key.already_dealt" in again.stderr
    assert SealingKey.objects.filter(tender=tender).count() == 1


def test_cli_deals_both_envelopes_of_a_two_file_tender_in_one_run(org, tmp_path):
    members = _members(org)
    out = tmp_path / "kunci"
    _sealing(
        "keys", "deal", "--tender", "202400017", "--envelope", "technical",
        "--envelope", "price", *_member_args(members), "--threshold", "3", "--out", out,
    )  # fmt: skip
    document = json.loads((out / "sealing-keys.json").read_text())
    assert [e["name"] for e in document["envelopes"]] == ["technical", "price"]
    assert {e["k"] for e in document["envelopes"]} == {3}
    assert sorted(p.name for p in (out / "price").iterdir()) == [
        "commitments.json", "recipient.txt",
        "share-1.json.age", "share-2.json.age", "share-3.json.age",
    ]  # fmt: skip
    assert document["envelopes"][0]["recipient"] != document["envelopes"][1]["recipient"]
    holders = [s["holder"] for s in document["envelopes"][1]["shares"]]
    assert holders == [m.username for m in members]


# --- refusals --------------------------------------------------------------------------------


def _document(org, tender, tmp_path: Path, *, names=("offer",), threshold=None) -> dict:
    members = _members(org)
    dealt = []
    for name in names:
        key = deal_keys(
            context=KeyContext(tender=tender.code, lot=1, envelope=name),
            member_recipients=[member_key_current(m).recipient for m in members],
            threshold=threshold,
            directory=tmp_path / name,
        )
        dealt.append((name, 1, key))
    return upload_document(tender=tender.code, dealt=dealt, holders=[m.username for m in members])


def _post(api, tender, document, token):
    return api.call("POST", f"/tenders/{tender.code}/sealing-keys", json=document, token=token)


def _refused(response, status, code, field=None):
    assert response.status_code == status, response.content
    assert response.json()["code"] == code, response.json()
    if field is not None:
        assert response.json().get("field") == field, response.json()


def _changed(document, change) -> dict:
    changed = copy.deepcopy(document)
    change(changed["envelopes"][0])
    return changed


@pytest.mark.django_db
def test_every_bad_upload_is_refused_with_its_code_and_nothing_is_stored(api, org, tmp_path, clock):
    tender = make_tender(org, announced=False)
    document = _document(org, tender, tmp_path)
    members = _members(org)
    token = api.token_for(members[0])
    first, second = document["envelopes"][0]["shares"][:2]

    def share(**fields):
        return lambda e: e["shares"][0].update(fields)

    def envelope(**fields):
        return lambda e: e.update(fields)

    passphrase_sealed = pyrage.passphrase.encrypt(b"{}", "enam kata acak untuk uji saja")
    two_recipients = pyrage.encrypt(
        b"{}",
        [
            pyrage.x25519.Identity.generate().to_public(),
            pyrage.x25519.Identity.generate().to_public(),
        ],
    )
    cases = [
        ({**document, "format": "x"}, "sealing_key.upload_invalid", "format"),
        ({**document, "tender": "T1999-1"}, "sealing_key.upload_invalid", "tender"),
        (_changed(document, envelope(name="price")), "sealing_key.envelopes_mismatch", None),
        (_changed(document, envelope(recipient="age1x")), "sealing_key.recipient_invalid", None),
        (_changed(document, lambda e: e.update(k=1)), "sealing_key.threshold", "envelopes[0].k"),
        (_changed(document, lambda e: e.update(k=4)), "sealing_key.threshold", "envelopes[0].k"),
        (
            _changed(document, lambda e: e.update(n=2, shares=e["shares"][:2])),
            "sealing_key.share_count",
            None,
        ),
        (_changed(document, share(index=7)), "sealing_key.share_index", None),
        (_changed(document, share(holder="orang.lain")), "sealing_key.holders_mismatch", None),
        (
            _changed(document, share(holder=members[1].username)),
            "sealing_key.holders_mismatch",
            None,
        ),
        (
            _changed(document, share(holder_recipient=second["holder_recipient"])),
            "sealing_key.holder_key_mismatch",
            None,
        ),
        (_changed(document, share(holder=None)), "sealing_key.recovery_share_unexpected", None),
        (_changed(document, share(commitment="z" * 64)), "sealing_key.commitment_invalid", None),
        (
            _changed(document, share(commitment=second["commitment"])),
            "sealing_key.commitment_invalid",
            None,
        ),
        (
            _changed(document, share(sealed_share=base64.b64encode(b"noise" * 40).decode())),
            "sealing_key.share_not_age",
            "envelopes[0].shares[0].sealed_share",
        ),
        (
            _changed(document, share(sealed_share=base64.b64encode(passphrase_sealed).decode())),
            "sealing_key.share_not_age",
            None,
        ),
        (
            _changed(document, share(sealed_share=base64.b64encode(two_recipients).decode())),
            "sealing_key.share_not_age",
            None,
        ),
        (_changed(document, share(sealed_share="not base64!")), "sealing_key.share_not_age", None),
    ]  # fmt: skip
    for bad, code, field in cases:
        _refused(_post(api, tender, bad, token), 422, code, field)
    assert first["holder"] == members[0].username  # the cases did not alter the original
    not_age = _post(api, tender, cases[-4][0], token).json()
    assert "not_age" in not_age["message_en"]
    scrypt = _post(api, tender, cases[-3][0], token).json()
    assert "scrypt_stanza" in scrypt["message_en"]
    assert not SealingKey.objects.exists() and not KeyShare.objects.exists()

    # who may upload: only a member of this tender's Pokja; whoever may not even know of the
    # draft gets what a code that does not exist gets (tests/test_draft_privacy.py)
    head = api.token_for(org.users[Role.PROCUREMENT_UNIT_HEAD])
    _refused(_post(api, tender, document, head), 403, "permission.denied")
    vendor = api.token_for(org.users[Role.VENDOR])
    _refused(_post(api, tender, document, vendor), 404, "tender.not_found")
    other = factories.make_committee(org.procurement_unit)
    stranger = users_with_role(Role.COMMITTEE_MEMBER, f"committee:{other.pk}")[0]
    _refused(_post(api, tender, document, api.token_for(stranger)), 404, "tender.not_found")
    assert not SealingKey.objects.exists()

    # a member who re-enrolled after the dealing: their share is sealed to an old key
    MemberKey.objects.filter(user=members[2]).update(retired_at=clock.now())
    MemberKey.objects.create(
        user=members[2],
        recipient=str(pyrage.x25519.Identity.generate().to_public()),
        enrolled_at=clock.now(),
    )
    _refused(_post(api, tender, document, token), 422, "sealing_key.holder_key_mismatch")
    assert not SealingKey.objects.exists()


@pytest.mark.django_db
def test_upload_needs_a_draft_without_keys_and_the_tenders_envelopes(api, org, tmp_path):
    members = _members(org)
    token = api.token_for(members[0])

    announced = make_tender(org)
    _refused(
        _post(api, announced, _document(org, announced, tmp_path / "a"), token),
        409,
        "tender.already_announced",
    )

    two_file = make_tender(org, announced=False)
    two_file.envelopes, two_file.method = 2, "tender_two_files"
    two_file.save(update_fields=["envelopes", "method"])
    one_envelope = _document(org, two_file, tmp_path / "b")
    _refused(_post(api, two_file, one_envelope, token), 422, "sealing_key.envelopes_mismatch")
    reused = _document(org, two_file, tmp_path / "c", names=("technical", "price"))
    reused["envelopes"][1]["recipient"] = reused["envelopes"][0]["recipient"]
    _refused(_post(api, two_file, reused, token), 422, "sealing_key.recipient_reused")
    both = _document(org, two_file, tmp_path / "d", names=("technical", "price"))
    created = _post(api, two_file, both, token)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["dealt_on"] == "offline"
    assert {e["name"] for e in body["envelopes"]} == {"technical", "price"}
    assert all(e["recovery_share"] is None for e in body["envelopes"])
    _refused(_post(api, two_file, both, token), 409, "sealing_key.already_dealt")
    assert SealingKey.objects.filter(tender=two_file, dealt_on="offline").count() == 2
