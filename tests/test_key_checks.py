"""Members' key checks before the announcement: the Pokja deals a draft's sealing keys, each
member fetches their sealed share (ASCII-armored age), opens it on their own machine (here with
the real ``age`` CLI and with pyrage) and sends its SHA-256; the node records the check only if
it equals the share's commitment, and announces only once every member has checked. Redealing
discards the keys and the checks; a committee or key change after the dealing needs one."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pyrage
import pytest
from django.test import Client

from tangguh.accounts.middleware import SESSION_FLAG
from tangguh.accounts.selectors import users_with_role
from tangguh.audit.models import AuditEvent
from tangguh.bids.models import KeyShare, MemberKey, SealingKey
from tangguh.bids.services.keys import key_share_check
from tangguh.domain.roles import Role
from tangguh.domain.sealing.kit import ARMOR_BEGIN, dearmor
from tangguh.planning.models import Package
from tangguh.tenders.models import Tender
from tangguh.testing import factories
from tests.conftest import committee_member
from tests.test_tender_workflow import _ready

pytestmark = pytest.mark.django_db

AGE = "/usr/bin/age"


@pytest.fixture
def tokens(api, org):
    return {role: api.token_for(user) for role, user in org.users.items()}


@pytest.fixture
def members(org):
    return users_with_role(Role.COMMITTEE_MEMBER, f"committee:{org.committee.pk}")


@pytest.fixture
def member_tokens(api, org, tokens, members):
    """One token per member (the first is ``tokens``' Pokja member: a TOTP code works once)."""
    own = {org.users[Role.COMMITTEE_MEMBER].pk: tokens[Role.COMMITTEE_MEMBER]}
    return {m.pk: own.get(m.pk) or api.token_for(m) for m in members}


def _deal(api, code, token):
    response = api.call("POST", f"/tenders/{code}/sealing-keys/deal", token=token)
    assert response.status_code == 201, response.content
    return response.json()


def _mine(api, code, token) -> list[dict]:
    response = api.call("GET", f"/tenders/{code}/sealing-key/shares/mine", token=token)
    assert response.status_code == 200, response.content
    return response.json()["shares"]


def _open_with_age(entry: dict, member, directory: Path) -> bytes:
    """What a member does with standard tools: the armored share into a file, ``age -d -i``."""
    identity = directory / f"member-{member.pk}.txt"
    identity.write_text(factories.MEMBER_IDENTITIES[member.pk] + "\n")
    sealed = directory / f"share-{member.pk}-{entry['envelope']}.age"
    sealed.write_text(entry["sealed_share"])
    return subprocess.run(
        [AGE, "-d", "-i", str(identity), str(sealed)], check=True, capture_output=True
    ).stdout


def _open_with_pyrage(entry: dict, member) -> bytes:
    identity = pyrage.x25519.Identity.from_str(factories.MEMBER_IDENTITIES[member.pk])
    return pyrage.decrypt(entry["sealed_share"].encode(), [identity])


def _check(api, code, token, envelope, commitment):
    return api.call(
        "POST",
        f"/tenders/{code}/sealing-key/checks",
        json={"envelope": envelope, "commitment": commitment},
        token=token,
    )


def _refused(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["code"] == code, response.json()


def test_the_announcement_waits_for_every_members_key_check(
    api, org, tokens, members, member_tokens, clock, tmp_path
):
    code = _ready(api, org, tokens)
    pokja = tokens[Role.COMMITTEE_MEMBER]
    _refused(api.call("POST", f"/tenders/{code}/announce", token=pokja), 422,
             "tender.sealing_keys_missing")  # fmt: skip
    _deal(api, code, pokja)
    refused = api.call("POST", f"/tenders/{code}/announce", token=pokja)
    _refused(refused, 422, "tender.key_checks_missing")
    assert all(m.username in refused.json()["message"] for m in members)

    for number, member in enumerate(members):
        token = member_tokens[member.pk]
        (entry,) = _mine(api, code, token)
        # the first member uses the reference age CLI; the others pyrage (as the node's CLI)
        plain = (
            _open_with_age(entry, member, tmp_path)
            if number == 0
            else _open_with_pyrage(entry, member)
        )
        commitment = hashlib.sha256(plain).hexdigest()
        assert commitment == entry["commitment"]
        checked = _check(api, code, token, "offer", commitment)
        assert checked.status_code == 200, checked.content
        assert checked.json()["index"] == entry["index"] and checked.json()["checked_at"]
        if number == 1:
            waiting = api.call("POST", f"/tenders/{code}/announce", token=pokja)
            _refused(waiting, 422, "tender.key_checks_missing")
            assert members[2].username in waiting.json()["message"]
            assert members[0].username not in waiting.json()["message"]

    status = api.call("GET", f"/tenders/{code}/sealing-keys/status", token=pokja).json()
    assert status["ready"] is True and status["unchecked"] == []
    assert all(m["done"] for m in status["members"])
    announced = api.call("POST", f"/tenders/{code}/announce", token=pokja)
    assert announced.status_code == 200, announced.content
    assert not KeyShare.objects.filter(checked_at__isnull=True).exists()
    checks = AuditEvent.objects.filter(action="key_share.checked")
    assert checks.count() == 3
    assert {e.actor_user_id for e in checks} == {m.pk for m in members}


def test_a_member_gets_only_their_own_sealed_shares(api, org, tokens, members, clock):
    code = _ready(api, org, tokens)
    pokja = tokens[Role.COMMITTEE_MEMBER]
    not_dealt = api.call("GET", f"/tenders/{code}/sealing-key/shares/mine", token=pokja)
    _refused(not_dealt, 404, "sealing_key.not_dealt")
    _deal(api, code, pokja)
    (entry,) = _mine(api, code, pokja)
    member = org.users[Role.COMMITTEE_MEMBER]
    share = KeyShare.objects.get(holder=member)
    key = share.sealing_key
    assert entry["envelope"] == "offer" and entry["lot"] == 1 and entry["index"] == share.index
    assert (entry["k"], entry["n"]) == (2, 3)
    assert entry["recipient"] == key.recipient and entry["fingerprint"] == key.fingerprint
    assert entry["commitment"] == share.commitment and entry["checked_at"] is None
    assert entry["holder_recipient"] == MemberKey.objects.get(user=member).recipient
    assert entry["sealed_share"].startswith(ARMOR_BEGIN)
    assert dearmor(entry["sealed_share"]) == bytes(share.sealed_share)

    outsider = committee_member(factories.make_committee(org.procurement_unit))
    before = AuditEvent.objects.filter(action="permission.denied").count()
    # The draft is unknown to whoever may not know of it, like a code that does not exist
    # (tests/test_draft_privacy.py); the UKPBJ head, who may, is refused and audited.
    for token in (api.token_for(outsider), tokens[Role.VENDOR], tokens[Role.ADMIN]):
        response = api.call("GET", f"/tenders/{code}/sealing-key/shares/mine", token=token)
        _refused(response, 404, "tender.not_found")
    assert AuditEvent.objects.filter(action="permission.denied").count() == before
    head = tokens[Role.PROCUREMENT_UNIT_HEAD]
    response = api.call("GET", f"/tenders/{code}/sealing-key/shares/mine", token=head)
    _refused(response, 403, "permission.denied")
    assert AuditEvent.objects.filter(action="permission.denied").count() == before + 1
    anonymous = api.call("GET", f"/tenders/{code}/sealing-key/shares/mine")
    _refused(anonymous, 401, "auth.required")


def test_a_check_that_does_not_match_the_commitment_is_refused_and_recorded(
    api, org, tokens, members, member_tokens, clock
):
    code = _ready(api, org, tokens)
    _deal(api, code, tokens[Role.COMMITTEE_MEMBER])
    first, second = members[:2]
    token = member_tokens[first.pk]
    theirs = KeyShare.objects.get(holder=second).commitment  # another member's share
    wrong = _check(api, code, token, "offer", theirs)
    _refused(wrong, 422, "key_check.commitment_mismatch")
    assert KeyShare.objects.get(holder=first).checked_at is None
    failed = AuditEvent.objects.get(action="key_share.check_failed")
    assert failed.actor_user_id == first.pk and failed.payload["sent"] == theirs

    _refused(_check(api, code, token, "offer", "not-a-hash"), 422, "key_check.commitment_invalid")
    _refused(_check(api, code, token, "price", "0" * 64), 404, "key_check.envelope_unknown")
    outsider = committee_member(factories.make_committee(org.procurement_unit))
    mine = KeyShare.objects.get(holder=first).commitment
    _refused(_check(api, code, api.token_for(outsider), "offer", mine), 404, "tender.not_found")
    _refused(_check(api, code, tokens[Role.VENDOR], "offer", mine), 404, "tender.not_found")
    head = tokens[Role.PROCUREMENT_UNIT_HEAD]  # may know of the draft; holds no share
    _refused(_check(api, code, head, "offer", mine), 403, "permission.denied")
    assert not KeyShare.objects.filter(checked_at__isnull=False).exists()

    right = _check(api, code, token, "offer", mine.upper())  # hex case does not matter
    assert right.status_code == 200, right.content


def test_a_redeal_discards_the_keys_and_their_checks(
    api, org, tokens, members, member_tokens, clock
):
    code = _ready(api, org, tokens)
    pokja = tokens[Role.COMMITTEE_MEMBER]
    first = _deal(api, code, pokja)
    tender = Tender.objects.get(code=code)
    factories.sealing_keys_check_all(tender)
    again = api.call("POST", f"/tenders/{code}/sealing-keys/deal", token=pokja)
    _refused(again, 409, "sealing_key.already_dealt")

    # the last member lost their kit and enrols a new personal key
    last = members[-1]
    new_identity = pyrage.x25519.Identity.generate()
    enrolled = api.call(
        "POST",
        "/me/member-key",
        json={"recipient": str(new_identity.to_public())},
        token=member_tokens[last.pk],
    )
    assert enrolled.status_code == 201, enrolled.content
    factories.MEMBER_IDENTITIES[last.pk] = str(new_identity)
    stale = api.call("POST", f"/tenders/{code}/announce", token=pokja)
    _refused(stale, 422, "tender.sealing_keys_stale")
    assert last.username in stale.json()["message"]

    redealt = api.call(
        "POST",
        f"/tenders/{code}/sealing-keys/redeal",
        json={"reason": "Kit kunci anggota hilang; kunci pribadi baru."},
        token=pokja,
    )
    assert redealt.status_code == 201, redealt.content
    assert redealt.json()["envelopes"][0]["recipient"] != first["envelopes"][0]["recipient"]
    assert SealingKey.objects.count() == 1 and KeyShare.objects.count() == 3
    assert not KeyShare.objects.filter(checked_at__isnull=False).exists()
    assert KeyShare.objects.get(holder=last).holder_recipient == str(new_identity.to_public())
    discarded = AuditEvent.objects.get(action="sealing_key.discarded")
    assert discarded.payload["reason"].startswith("Kit kunci anggota hilang")
    assert discarded.payload["keys"][0]["checked"] == 3

    factories.sealing_keys_check_all(tender)
    announced = api.call("POST", f"/tenders/{code}/announce", token=pokja)
    assert announced.status_code == 200, announced.content
    late = api.call("POST", f"/tenders/{code}/sealing-keys/redeal", json={}, token=pokja)
    _refused(late, 409, "tender.already_announced")
    assert SealingKey.objects.get().recipient == redealt.json()["envelopes"][0]["recipient"]


def test_a_member_who_joins_after_the_dealing_needs_a_redeal(api, org, tokens, clock):
    code = _ready(api, org, tokens)
    pokja = tokens[Role.COMMITTEE_MEMBER]
    _deal(api, code, pokja)
    tender = Tender.objects.get(code=code)
    factories.sealing_keys_check_all(tender)
    newcomer = factories.make_user(totp=True)
    factories.grant(newcomer, Role.COMMITTEE_MEMBER, f"committee:{org.committee.pk}")
    factories.enrol_member_key(newcomer)
    _refused(api.call("POST", f"/tenders/{code}/announce", token=pokja), 422,
             "tender.sealing_keys_stale")  # fmt: skip
    token = api.token_for(newcomer)
    assert _mine(api, code, token) == []
    _refused(_check(api, code, token, "offer", "0" * 64), 409, "key_check.no_share")

    api.call("POST", f"/tenders/{code}/sealing-keys/redeal", json={}, token=pokja)
    key = SealingKey.objects.get()
    assert (key.k, key.n) == (3, 4)
    factories.sealing_keys_check_all(tender)
    announced = api.call("POST", f"/tenders/{code}/announce", token=pokja)
    assert announced.status_code == 200, announced.content


def test_only_the_tenders_pokja_deals(api, org, tokens, clock):
    code = _ready(api, org, tokens)
    outsider = committee_member(factories.make_committee(org.procurement_unit))
    for token in (api.token_for(outsider), tokens[Role.VENDOR]):  # may not know of the draft
        response = api.call("POST", f"/tenders/{code}/sealing-keys/deal", token=token)
        _refused(response, 404, "tender.not_found")
    for token in (tokens[Role.PROCUREMENT_UNIT_HEAD], tokens[Role.COMMITMENT_OFFICER]):
        response = api.call("POST", f"/tenders/{code}/sealing-keys/deal", token=token)
        _refused(response, 403, "permission.denied")
    denied = AuditEvent.objects.filter(action="permission.denied")
    assert [e.payload["attempted"] for e in denied] == ["sealing_key.deal"] * 2
    assert not SealingKey.objects.exists()
    _refused(api.call("POST", f"/tenders/{code}/sealing-keys/deal"), 401, "auth.required")
    _deal(api, code, tokens[Role.COMMITTEE_MEMBER])
    status = api.call("GET", f"/tenders/{code}/sealing-keys/status", token=tokens[Role.VENDOR])
    _refused(status, 404, "tender.not_found")
    ppk = tokens[Role.COMMITMENT_OFFICER]
    status = api.call("GET", f"/tenders/{code}/sealing-keys/status", token=ppk)
    _refused(status, 403, "key_check.not_member")


def _page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_FLAG] = True
    session.save()
    return client


def test_the_pokja_page_deals_and_shows_each_members_check(api, org, tokens, members, clock):
    code = _ready(api, org, tokens)
    package = Package.objects.get()
    page = _page_client(org.users[Role.COMMITTEE_MEMBER])
    base = f"/pokja/paket/{package.pk}"
    before = page.get(f"{base}/").content.decode()
    assert "Bagikan kunci sampul" in before
    dealt = page.post(f"{base}/keys_deal/", follow=True).content.decode()
    assert "Kunci sampul dibagikan" in dealt
    assert dealt.count("belum diperiksa") == 3
    assert SealingKey.objects.get().fingerprint in dealt

    tender = Tender.objects.get(code=code)
    share = KeyShare.objects.get(holder=members[0])
    identity = pyrage.x25519.Identity.from_str(factories.MEMBER_IDENTITIES[members[0].pk])
    plain = pyrage.decrypt(bytes(share.sealed_share), [identity])
    key_share_check(
        actor=members[0],
        tender=tender,
        envelope="offer",
        commitment=hashlib.sha256(plain).hexdigest(),
    )
    shown = page.post(f"{base}/announce/", follow=True).content.decode()
    assert "belum memeriksa bagian kuncinya" in shown
    assert members[1].username in shown and shown.count("belum diperiksa") == 2
    assert Tender.objects.get().announced_at is None

    factories.sealing_keys_check_all(tender)
    announced = page.post(f"{base}/announce/", follow=True).content.decode()
    assert f"Tender {code} diumumkan" in announced
