"""Vendor login without the centre: a home node signs a vendor credential; this node verifies it
offline against its trust list and lets the vendor register and bid while every national
service is down. Two nodes in one process: two keyrings, two node names."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.test import Client

from tangguh.accounts.models import RoleAssignment, User
from tangguh.audit.models import AuditEvent
from tangguh.bids.services.keys import sealing_keys_deal
from tangguh.core.keys import Keyring, node_keyring
from tangguh.core.signing import verify_jws
from tangguh.domain.roles import Role
from tangguh.hub.models import CredentialLink
from tangguh.hub.services.credentials import credential_issue
from tangguh.testing import factories
from tangguh.vendors.models import VendorCompany, VendorStatus
from tests.domain.test_bid_package import VALID
from tests.test_bids_upload import put, seal
from tests.test_hub import SERVICE_SETTINGS, refusing_url
from tests.test_opening import _package
from tests.test_participation import approve, make_tender, register

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:EdDSA is deprecated")]

HOME = "LPSE Kota Jayapura"


@pytest.fixture(autouse=True)
def _two_nodes(settings, tmp_path):
    """This node's keys and data in tmp_path; every national service refuses connections."""
    settings.TANGGUH_SIGNING_KEY_DIR = tmp_path / "here-keys"
    settings.TANGGUH_DATA_DIR = tmp_path / "data"
    down = refusing_url()
    for name in SERVICE_SETTINGS:
        setattr(settings, name, down)


@pytest.fixture
def home(tmp_path):
    return Keyring(tmp_path / "home-keys")


def trust(home: Keyring, tmp_path, name: str = HOME) -> None:
    listing = tmp_path / f"trust-{name}.json"
    listing.write_text(json.dumps({"nodes": [{"name": name, "jwks": home.jwks()}]}))
    call_command("hub", "trust", "import", str(listing))


def from_home(org, home: Keyring) -> tuple[str, dict]:
    """A vendor registered and verified at the home node downloads a credential. Both nodes
    share this test's database, so the home rows are then renumbered: here, the company and
    its user are strangers, as they would be on another machine."""
    company, user = factories.make_vendor()
    approve(org, company)
    issued = credential_issue(actor=user, keyring=home, node=HOME)
    claims = {"nib": company.nib, "npwp": company.npwp, "username": user.username}
    n = int(factories.unique(""))
    VendorCompany.objects.filter(pk=company.pk).update(
        nib=f"{8000000000000 + n}", npwp=f"{800000000000000 + n}"
    )
    return issued.token, claims


def login(api, token: str):
    return api.call("POST", "/auth/credential", json={"credential": token})


def refused(response, code: str, status: int = 401) -> None:
    assert response.status_code == status, response.content
    assert response.json()["code"] == code, response.json()


def test_a_vendor_downloads_a_credential_signed_by_this_node(api, org, clock):
    vendor = org.users[Role.VENDOR]
    token = api.token_for(vendor)
    refused(api.call("GET", "/me/credential", token=token), "credential.company_not_verified", 409)
    approve(org)
    response = api.call("GET", "/me/credential", token=token)
    assert response.status_code == 200, response.content
    body = response.json()
    verified = verify_jws(body["credential"], node_keyring().jwks())
    payload = verified.payload
    assert payload["typ"] == "tangguh.vendor_credential" and payload["iss"] == body["node"]
    assert payload["company"]["nib"] == org.company.nib == body["company_nib"]
    assert payload["company"]["status"] == "verified"
    assert payload["user"]["username"] == vendor.username
    assert payload["exp"] - payload["iat"] == 7 * 86400
    event = AuditEvent.objects.filter(action="vendor.credential_issued").get()
    assert event.payload["jti"] == payload["jti"]

    # not a vendor: refused
    pokja = api.token_for(org.users[Role.PROCUREMENT_UNIT_HEAD])
    refused(api.call("GET", "/me/credential", token=pokja), "credential.not_vendor", 403)
    # this node's own credential is no way in here
    refused(login(api, body["credential"]), "credential.own_node")


def test_a_vendor_of_another_node_logs_in_registers_and_bids_while_the_centre_is_down(
    api, org, clock, home, tmp_path
):
    token, claims = from_home(org, home)
    trust(home, tmp_path)

    first = login(api, token)
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["home_node"] == HOME
    company = VendorCompany.objects.get(nib=claims["nib"])
    assert company.status == VendorStatus.APPROVED and company.npwp == claims["npwp"]
    assert company.pk == body["company_id"]
    user = User.objects.get(username=body["username"])
    assert not user.has_usable_password()  # no password login here, only the credential
    assert RoleAssignment.objects.filter(
        user=user, role=Role.VENDOR.value, scope=f"company:{company.pk}"
    ).exists()
    link = CredentialLink.objects.get(user=user)
    assert (link.home_node, link.home_username) == (HOME, claims["username"])
    login_event = AuditEvent.objects.get(action="auth.credential_login")
    assert login_event.payload["home_node"] == HOME and login_event.payload["nib"] == claims["nib"]
    assert AuditEvent.objects.filter(action="vendor.registered_by_credential").count() == 1

    # register for a tender and upload a sealed bid, every national service refusing
    tender = make_tender(org)
    tender.code = f"2024{int(factories.unique('')):05d}"  # a bid package names a 9-digit code
    tender.save(update_fields=["code"])
    (key,) = sealing_keys_deal(actor="test", tender=tender)
    bearer = body["token"]
    registered = register(api, bearer, tender)
    assert registered.status_code == 201, registered.content
    plain = _package(
        tmp_path / "bid", {**VALID, "tender": tender.code, "company_nib": claims["nib"]}
    )
    uploaded = put(api, bearer, tender, "offer", seal(plain, key.recipient))
    assert uploaded.status_code == 201, uploaded.content

    # a second login (a fresh credential) is the same local user and company
    clock.move(timedelta(days=1))
    again = login(api, token)
    assert again.status_code == 201 and again.json()["username"] == user.username
    assert User.objects.filter(credential_link__isnull=False).count() == 1
    # the token never outlives the credential
    clock.move(timedelta(days=5, hours=20))
    late = login(api, token)
    assert late.status_code == 201
    expires = datetime.fromisoformat(late.json()["expires_at"])
    assert (
        expires.timestamp()
        == _payload(token)["exp"]
        == (clock.now() + timedelta(hours=4)).timestamp()
    )


def _payload(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _tamper(token: str, **company) -> str:
    header, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["company"].update(company)
    encoded = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    return f"{header}.{encoded}.{signature}"


def test_refused_credentials_say_why(api, org, clock, home, tmp_path):
    def login(api, token):
        clock.move(timedelta(minutes=2))  # failures slow the next try down (throttle)
        return api.call("POST", "/auth/credential", json={"credential": token})

    token, _ = from_home(org, home)
    refused(login(api, token), "credential.unknown_node")  # not on the trust list yet
    trust(home, tmp_path)
    refused(login(api, _tamper(token, name="PT Lain Sekali")), "credential.tampered")
    refused(login(api, "bukan.sebuah.kredensial"), "credential.malformed")
    refused(login(api, "abc"), "credential.malformed")
    # tried again and again at once, the caller is slowed down as with wrong passwords
    codes = [
        api.call("POST", "/auth/credential", json={"credential": "abc"}).json()["code"]
        for _ in range(8)
    ]
    assert codes[0] == "credential.malformed" and codes[-1] == "auth.throttled"

    # the home node rotates its key and signs with the new one; our list is old
    home.rotate()
    newer, _ = from_home(org, home)
    refused(login(api, newer), "credential.unknown_key")

    # the home node's first key was stolen: revoked here, its credentials are refused
    header = token.split(".")[0]
    old_kid = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]
    call_command("hub", "trust", "revoke", HOME, old_kid)
    refused(login(api, token), "credential.key_revoked")
    # the new key, once listed, works
    trust(home, tmp_path)
    assert login(api, newer).status_code == 201
    refused(login(api, token), "credential.key_revoked")  # revocation survives the re-import

    # expired
    clock.move(timedelta(days=7))
    refused(login(api, newer), "credential.expired")
    # only the one good login was let in and audited
    assert AuditEvent.objects.filter(action="auth.credential_login").count() == 1


def test_a_credential_naming_a_company_registered_here_with_another_npwp_is_refused(
    api, org, clock, home, tmp_path
):
    token, claims = from_home(org, home)
    trust(home, tmp_path)
    local, _ = factories.make_vendor()
    VendorCompany.objects.filter(pk=local.pk).update(nib=claims["nib"])
    refused(login(api, token), "credential.company_mismatch", 409)
    assert not CredentialLink.objects.exists()


def test_the_pages_download_a_credential_and_log_in_with_one(org, clock, home, tmp_path):
    approve(org)
    vendor = Client()
    vendor.force_login(org.users[Role.VENDOR])
    dashboard = vendor.get("/dasbor/")
    assert b"/penyedia/kredensial/" in dashboard.content
    page = vendor.get("/penyedia/kredensial/")
    assert page.status_code == 200 and b"download-credential-" in page.content
    download = vendor.post("/penyedia/kredensial/unduh/", {"company_id": org.company.pk})
    assert download.status_code == 200, download.content
    assert download["Content-Disposition"].startswith("attachment;")
    assert verify_jws(download.content.decode(), node_keyring().jwks()).payload["iss"]

    token, _ = from_home(org, home)
    trust(home, tmp_path)
    visitor = Client()
    assert b"/masuk/kredensial/" in visitor.get("/masuk/").content
    wrong = visitor.post("/masuk/kredensial/", {"credential": _tamper(token, name="X")})
    assert wrong.status_code == 401 and b"credential.tampered" in wrong.content
    response = visitor.post("/masuk/kredensial/", {"credential": token})
    assert response.status_code == 302 and response["Location"] == "/dasbor/"
    assert b"CV Uji" in visitor.get("/dasbor/").content
