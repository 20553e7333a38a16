"""Revoking one vendor credential before it expires: the home node records what it issued, the
holder (or an administrator) revokes, the home node's trust-list entry publishes the revoked
``jti``, and another node that imports or pulls that list refuses the credential offline.
Two nodes in one process, as in tests/test_credentials.py (whose helpers are reused)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client

from tangguh.accounts.models import LoginThrottle, User
from tangguh.audit.models import AuditEvent
from tangguh.core.keys import Keyring
from tangguh.domain.roles import Role
from tangguh.hub.models import CredentialLink, CredentialRecord, TrustedNode
from tangguh.hub.services.credentials import credential_issue
from tangguh.hub.services.trust import trust_entry_own
from tangguh.testing import factories
from tangguh.vendors.selectors import vendor_company_ids_of
from tests.test_credentials import (
    HOME,
    _payload,
    _two_nodes,
    from_home,
    home,
    login,
    refused,
    trust,
)
from tests.test_hub import connect, national
from tests.test_participation import approve

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:EdDSA is deprecated")]

__all__ = ["_two_nodes", "home", "national"]  # fixtures, used by name in this module


def publish(home: Keyring, tmp_path, entry: dict | None = None) -> dict:
    """The home node exports its entry (``hub trust export``, played as the second node) and
    this node imports the file (``hub trust import``)."""
    entry = entry or trust_entry_own(keyring=home, node=HOME)
    listing = tmp_path / "trust-home.json"
    listing.write_text(json.dumps({"nodes": [entry]}))
    call_command("hub", "trust", "import", str(listing))
    return entry


def revoke(api, token: str, jti: str):
    return api.call("POST", f"/hub/credentials/{jti}/revoke", token=token)


def test_the_holder_revokes_and_another_node_refuses_it_once_it_has_the_list(
    api, org, clock, home, tmp_path
):
    leaked, claims = from_home(org, home)
    holder = User.objects.get(username=claims["username"])
    spare = credential_issue(actor=holder, keyring=home, node=HOME)
    jti = _jti(leaked)
    record = CredentialRecord.objects.get(jti=jti)
    assert (record.issuer, record.user, record.revoked_at) == (HOME, holder, None)
    assert [record.company_id] == vendor_company_ids_of(holder)

    # before the revocation reaches this node, the credential works (the documented limit)
    publish(home, tmp_path)
    assert login(api, leaked).status_code == 201

    # the holder sees both credentials and revokes the leaked one; twice is harmless
    bearer = api.token_for(holder)
    mine = api.call("GET", "/hub/credentials/mine", token=bearer)
    assert mine.status_code == 200, mine.content
    assert {(c["jti"], c["status"]) for c in mine.json()} == {
        (jti, "active"),
        (spare.jti, "active"),
    }
    first = revoke(api, bearer, jti)
    assert first.status_code == 200, first.content
    assert first.json()["status"] == "revoked" and first.json()["holder"] == holder.username
    assert revoke(api, bearer, jti).json()["status"] == "revoked"
    event = AuditEvent.objects.get(action="vendor.credential_revoked")
    assert event.payload["jti"] == jti and event.payload["by"] == "holder"

    # a user of another company may not; an unknown jti is named as such
    stranger = api.token_for(org.users[Role.VENDOR])
    refused(revoke(api, stranger, spare.jti), "credential.not_yours", 403)
    assert AuditEvent.objects.filter(
        action="permission.denied", payload__attempted="credential.revoke"
    ).exists()
    refused(revoke(api, bearer, "0" * 32), "credential.unknown", 404)
    assert CredentialRecord.objects.get(jti=spare.jti).revoked_at is None

    # the home node's entry carries the revoked jti with its expiry; this node imports it
    entry = publish(home, tmp_path)
    assert entry["revoked_credentials"] == [{"jti": jti, "exp": int(record.expires_at.timestamp())}]
    logins = AuditEvent.objects.filter(action="auth.credential_login").count()
    clock.move(timedelta(minutes=2))
    refused(login(api, leaked), "credential.revoked")
    assert AuditEvent.objects.filter(action="auth.credential_login").count() == logins
    attempt = AuditEvent.objects.get(action="auth.credential_revoked_refused")
    assert attempt.object_id == jti and attempt.payload["home_node"] == HOME
    assert LoginThrottle.objects.filter(key__startswith="account:credential:").exists()
    # the browser page refuses it too, and lets nobody in
    page = Client().post("/masuk/kredensial/", {"credential": leaked})
    assert page.status_code == 401 and b"credential.revoked" in page.content

    # an older list (without the revocation) imported again does not un-revoke it
    clock.move(timedelta(minutes=5))
    trust(home, tmp_path)
    assert [c["jti"] for c in TrustedNode.objects.get(name=HOME).revoked_credentials] == [jti]
    refused(login(api, leaked), "credential.revoked")

    # the holder's other credential still works, for the same local user
    clock.move(timedelta(minutes=5))
    again = login(api, spare.token)
    assert again.status_code == 201, again.content
    assert CredentialLink.objects.get().last_jti == spare.jti


def test_the_pull_from_the_hub_carries_revocations_and_keeps_them(
    api, org, settings, clock, home, tmp_path, national
):
    leaked, claims = from_home(org, home)
    holder = User.objects.get(username=claims["username"])
    connect(settings, national.url)
    national.nodes = [trust_entry_own(keyring=home, node=HOME)]
    call_command("hub", "pull")
    assert TrustedNode.objects.get(name=HOME).revoked_credentials == []

    revoke(api, api.token_for(holder), _jti(leaked))
    national.nodes = [trust_entry_own(keyring=home, node=HOME)]
    call_command("hub", "pull")
    refused(login(api, leaked), "credential.revoked")
    # the hub later serves a stale entry: the revocation stays
    national.nodes = [{"name": HOME, "jwks": home.jwks()}]
    call_command("hub", "pull")
    clock.move(timedelta(minutes=2))
    refused(login(api, leaked), "credential.revoked")
    assert TrustedNode.objects.get(name=HOME).source == "hub"


def test_an_admin_revokes_and_expired_revocations_leave_the_lists(
    api, org, clock, home, tmp_path, capsys
):
    approve(org)
    vendor = api.token_for(org.users[Role.VENDOR])
    issued = api.call("GET", "/me/credential", token=vendor).json()
    jti = _jti(issued["credential"])
    admin = api.token_for(org.users[Role.ADMIN])
    revoked = revoke(api, admin, jti)
    assert revoked.status_code == 200, revoked.content
    assert AuditEvent.objects.get(action="vendor.credential_revoked").payload["by"] == "admin"
    assert CredentialRecord.objects.get(jti=jti).revoked_by == org.users[Role.ADMIN]

    # this node's own export (what other nodes import) lists it
    capsys.readouterr()
    call_command("hub", "trust", "export")
    (entry,) = json.loads(capsys.readouterr().out)["nodes"]
    assert [c["jti"] for c in entry["revoked_credentials"]] == [jti]

    # a credential of the second node, revoked there, imported here
    leaked, claims = from_home(org, home)
    holder = User.objects.get(username=claims["username"])
    revoke(api, api.token_for(holder), _jti(leaked))
    publish(home, tmp_path)
    assert len(TrustedNode.objects.get(name=HOME).revoked_credentials) == 1
    stale = trust_entry_own(keyring=home, node=HOME)

    # a week later both have expired: the exports no longer carry them, imports forget them,
    # and an expired credential is refused for that reason
    clock.move(timedelta(days=7))
    capsys.readouterr()
    call_command("hub", "trust", "export")
    assert json.loads(capsys.readouterr().out)["nodes"][0]["revoked_credentials"] == []
    assert trust_entry_own(keyring=home, node=HOME)["revoked_credentials"] == []
    publish(home, tmp_path, entry=stale)  # even a list that still names it
    assert TrustedNode.objects.get(name=HOME).revoked_credentials == []
    refused(login(api, leaked), "credential.expired")

    # an expired credential cannot be revoked any more; one already revoked answers as before
    later = credential_issue(actor=holder, keyring=home, node=HOME)
    clock.move(timedelta(days=8))
    refused(revoke(api, api.token_for(holder), later.jti), "credential.already_expired", 409)
    admin = api.token_for(org.users[Role.ADMIN])  # the first token has lapsed by now
    assert revoke(api, admin, jti).json()["status"] == "revoked"
    mine = api.call("GET", "/hub/credentials/mine", token=api.token_for(holder)).json()
    assert {c["status"] for c in mine} == {"revoked", "expired"}


def test_a_trust_list_with_malformed_revocations_is_refused(tmp_path, clock):
    other = Keyring(tmp_path / "other")
    listing = tmp_path / "trust.json"
    for bad in ([{"jti": "x"}], [{"jti": 5, "exp": 1}], {"jti": "x", "exp": 1}, ["x"]):
        entry = {"name": "LPSE X", "jwks": other.jwks(), "revoked_credentials": bad}
        listing.write_text(json.dumps({"nodes": [entry]}))
        with pytest.raises(Exception, match=r"trust\.invalid"):
            call_command("hub", "trust", "import", str(listing))
    assert not TrustedNode.objects.exists()


def test_the_page_lists_the_credentials_and_revokes_one(org, clock):
    approve(org)
    vendor = org.users[Role.VENDOR]
    mine = credential_issue(actor=vendor)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(vendor)
    page = browser.get("/penyedia/kredensial/")
    assert page.status_code == 200
    assert f'id="revoke-credential-{mine.jti}"'.encode() in page.content
    assert b"Cabut" in page.content
    # the API from a browser session needs the CSRF token like every other write
    api_post = browser.post(f"/api/v1/hub/credentials/{mine.jti}/revoke")
    assert api_post.status_code in (401, 403) and b"csrf" in api_post.content.lower()
    csrf = browser.cookies["csrftoken"].value
    done = browser.post(
        "/penyedia/kredensial/cabut/", {"jti": mine.jti, "csrfmiddlewaretoken": csrf}
    )
    assert done.status_code == 302, done.content
    assert CredentialRecord.objects.get(jti=mine.jti).revoked_at == clock.now()
    after = browser.get("/penyedia/kredensial/")
    assert b"dicabut" in after.content and b"revoke-credential-" not in after.content

    # another company's user gets the page back with the refusal
    other = Client()
    other.force_login(factories.make_vendor()[1])
    refused_page = other.post("/penyedia/kredensial/cabut/", {"jti": mine.jti})
    assert refused_page.status_code == 403
    assert b"perusahaan lain" in refused_page.content


def _jti(token: str) -> str:
    return _payload(token)["jti"]
