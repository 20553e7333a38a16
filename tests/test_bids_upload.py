"""Uploading sealed envelopes: ``PUT /api/v1/tenders/{code}/bids/mine/{envelope}`` with files
sealed by the reference ``age`` CLI — accepted with a receipt that an independent JOSE library
verifies, every bad input refused with its own code and nothing stored, replacement, repeat,
withdrawal, and one upload of 20 MB through a real WSGI server (granian)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from joserfc import jws
from joserfc.jwk import KeySet

from tangguh import clock as clock_module
from tangguh.audit.models import AuditEvent
from tangguh.bids.models import Envelope, SealingKey
from tangguh.core.blobs import node_blobs
from tangguh.domain.roles import Role
from tangguh.domain.sealing.fingerprint import recipient_fingerprint
from tangguh.testing import factories
from tests.test_participation import approve, make_tender, register

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:EdDSA is deprecated"),  # joserfc: RFC 9864 names it
]

AGE = "/usr/bin/age"
AGE_KEYGEN = "/usr/bin/age-keygen"


# --- sealing with the reference age CLI ------------------------------------------------------


@pytest.fixture(autouse=True)
def _own_blob_store(settings, tmp_path):
    """A blob store of this test's own, so "nothing stored" is exact even beside other tests."""
    settings.TANGGUH_DATA_DIR = tmp_path / "data"


def make_age_identity(directory: Path) -> tuple[Path, str]:
    """An X25519 identity file and its recipient, made by ``age-keygen`` (fails without it)."""
    if not (shutil.which(AGE) and shutil.which(AGE_KEYGEN)):
        pytest.fail("the age CLI is missing: apt-get install -y age (interoperability tests)")
    path = directory / "identity.txt"
    subprocess.run([AGE_KEYGEN, "-o", str(path)], check=True, capture_output=True)
    recipient = subprocess.run(
        [AGE_KEYGEN, "-y", str(path)], check=True, capture_output=True, text=True
    ).stdout.strip()
    return path, recipient


@pytest.fixture(scope="session")
def age_identity(tmp_path_factory) -> tuple[Path, str]:
    return make_age_identity(tmp_path_factory.mktemp("age"))


def seal(data: bytes, recipient: str) -> bytes:
    return subprocess.run(
        [AGE, "-r", recipient], input=data, check=True, capture_output=True
    ).stdout


def open_sealed(data: bytes, identity: Path) -> bytes:
    return subprocess.run(
        [AGE, "-d", "-i", str(identity)], input=data, check=True, capture_output=True
    ).stdout


def digest_header(data: bytes) -> str:
    return "sha-256=:" + base64.b64encode(hashlib.sha256(data).digest()).decode() + ":"


def put(api, token, tender, name, data, *, digest=None, **extra):
    headers = {"HTTP_CONTENT_DIGEST": digest_header(data) if digest is None else digest}
    headers.update(extra)
    return api.client.put(
        f"/api/v1/tenders/{tender.code}/bids/mine/{name}",
        data=data,
        content_type="application/octet-stream",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        **headers,
    )


def blob_files() -> set[str]:
    """Every file under the blob store (stored blobs and leftover temporary files)."""
    root = node_blobs().root
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def bidder(api, org, age_identity):
    """An announced one-file tender with a sealing key, and a registered vendor's token."""
    approve(org)
    tender = make_tender(org)
    _, recipient = age_identity
    SealingKey.objects.create(
        tender=tender,
        envelope="offer",
        recipient=recipient,
        fingerprint=recipient_fingerprint(recipient),
        k=2,
        n=3,
        dealt_at=clock_module.now(),
    )
    token = api.token_for(org.users[Role.VENDOR])
    assert register(api, token, tender).status_code == 201
    return type("Bidder", (), {"tender": tender, "token": token, "recipient": recipient})


def _refused(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["code"] == code, response.json()


# --- accepted ------------------------------------------------------------------------------


def test_an_envelope_sealed_with_age_is_accepted_and_its_receipt_verifies(
    api, org, bidder, age_identity, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000  # the view must never read request.body
    plain = b"penawaran.json + lampiran " * 4000
    sealed = seal(plain, bidder.recipient)
    response = put(api, bidder.token, bidder.tender, "offer", sealed)
    assert response.status_code == 201, response.content
    body = response.json()
    sha = hashlib.sha256(sealed).hexdigest()
    assert body["sha256"] == sha and body["size"] == len(sealed)
    assert body["envelope"] == "offer" and body["supersedes"] is None
    assert body["received_at"].endswith("+09:00") or body["received_at"][-6] in "+-"

    envelope = Envelope.objects.get(tender=bidder.tender)
    assert envelope.company == org.company and envelope.receipt == body["receipt"]
    assert envelope.received_at == clock_module.now()
    # stored whole under its hash, and it opens with the identity
    with node_blobs().open(sha) as handle:
        assert open_sealed(handle.read(), age_identity[0]) == plain
    event = AuditEvent.objects.get(action="bid.received")
    assert event.seq == envelope.audit_seq
    assert event.payload == {
        "tender": bidder.tender.code,
        "lot": 1,
        "envelope": "offer",
        "company_id": org.company.pk,
        "sha256": sha,
        "size": len(sealed),
        "received_at": clock_module.now().isoformat(),
        "supersedes": None,
    }

    # an independent JOSE library verifies it against the node's published JWKS
    node = api.call("GET", "/node").json()
    token = jws.deserialize_compact(
        body["receipt"], KeySet.import_key_set(node["jwks"]), algorithms=["EdDSA"]
    )
    assert token.headers()["alg"] == "EdDSA" and token.headers()["kid"]
    claims = json.loads(token.payload)
    assert claims["tender"] == bidder.tender.code
    assert claims["lot"] == 1 and claims["envelope"] == "offer"
    assert claims["vendor"] == {"nib": org.company.nib, "name": org.company.name}
    assert claims["sha256"] == sha and claims["size"] == len(sealed)
    assert claims["received_at"] == body["received_at"]
    assert claims["audit_index"] == event.seq and claims["audit_head"] == event.hash
    assert claims["recipient_fingerprint"] == recipient_fingerprint(bidder.recipient)
    assert claims["node"] == node["name"] and claims["ocds_prefix"] == node["ocds_prefix"]
    assert claims["env"] == "sandbox"
    assert "username" not in json.dumps(claims) and org.users[Role.VENDOR].username not in (
        json.dumps(claims)
    )


def test_a_replacement_supersedes_and_a_repeat_returns_the_same_receipt(api, bidder):
    first_file = seal(b"versi pertama", bidder.recipient)
    second_file = seal(b"versi kedua", bidder.recipient)
    first = put(api, bidder.token, bidder.tender, "offer", first_file)
    clock_module.get_clock().move(timedelta(minutes=5))
    second = put(api, bidder.token, bidder.tender, "offer", second_file)
    assert first.status_code == second.status_code == 201
    assert second.json()["supersedes"] == first.json()["sha256"]

    clock_module.get_clock().move(timedelta(minutes=5))
    events = AuditEvent.objects.count()
    again = put(api, bidder.token, bidder.tender, "offer", second_file)
    assert again.status_code == 200, again.content
    assert again.json()["receipt"] == second.json()["receipt"]
    assert AuditEvent.objects.count() == events
    assert Envelope.objects.filter(tender=bidder.tender).count() == 2

    old, new = Envelope.objects.filter(tender=bidder.tender).order_by("received_at")
    assert old.superseded_at is not None and new.superseded_at is None

    mine = api.call("GET", f"/tenders/{bidder.tender.code}/bids/mine", token=bidder.token)
    assert mine.status_code == 200
    rows = mine.json()["envelopes"]
    assert [r["status"] for r in rows] == ["superseded", "current"]
    assert rows[1]["receipt"] == second.json()["receipt"]

    # re-sending the superseded file makes it a new current envelope (a new receipt)
    back = put(api, bidder.token, bidder.tender, "offer", first_file)
    assert back.status_code == 201 and back.json()["receipt"] != first.json()["receipt"]
    assert back.json()["supersedes"] == second.json()["sha256"]


def test_withdrawal_before_the_deadline(api, org, bidder):
    sealed = seal(b"akan ditarik", bidder.recipient)
    assert put(api, bidder.token, bidder.tender, "offer", sealed).status_code == 201
    path = f"/tenders/{bidder.tender.code}/bids/mine/offer"
    withdrawn = api.call("DELETE", path, token=bidder.token)
    assert withdrawn.status_code == 200, withdrawn.content
    assert withdrawn.json()["sha256"] == hashlib.sha256(sealed).hexdigest()
    envelope = Envelope.objects.get(tender=bidder.tender)
    assert envelope.withdrawn_at == clock_module.now()
    assert AuditEvent.objects.filter(action="bid.withdrawn").count() == 1
    _refused(api.call("DELETE", path, token=bidder.token), 404, "bid.envelope_not_found")
    mine = api.call("GET", f"/tenders/{bidder.tender.code}/bids/mine", token=bidder.token)
    assert [r["status"] for r in mine.json()["envelopes"]] == ["withdrawn"]

    assert put(api, bidder.token, bidder.tender, "offer", sealed).status_code == 201
    clock_module.get_clock().move(timedelta(days=8))
    late = api.token_for(org.users[Role.VENDOR])  # tokens expire; issue one at the new time
    _refused(api.call("DELETE", path, token=late), 409, "bid.deadline_passed")


def test_a_two_file_tender_takes_technical_and_price(api, org, age_identity):
    approve(org)
    tender = make_tender(org)
    tender.envelopes = 2
    tender.method = "tender_two_files"
    tender.save()
    token = api.token_for(org.users[Role.VENDOR])
    register(api, token, tender)
    sealed = seal(b"teknis", age_identity[1])
    _refused(put(api, token, tender, "offer", sealed), 404, "bid.envelope_unknown")
    assert put(api, token, tender, "technical", sealed).status_code == 201
    assert put(api, token, tender, "price", seal(b"harga", age_identity[1])).status_code == 201
    assert Envelope.objects.filter(tender=tender).count() == 2


# --- refused, nothing stored -----------------------------------------------------------------


def _nothing_stored(tender, before: set[str], *, blob_too: bool = True):
    assert not Envelope.objects.filter(tender=tender).exists()
    assert not AuditEvent.objects.filter(action="bid.received").exists()
    if blob_too:
        assert blob_files() == before


def test_a_declared_digest_that_does_not_match_is_refused(api, bidder):
    before = blob_files()
    sealed = seal(b"isi", bidder.recipient)
    other = digest_header(b"something else")
    _refused(
        put(api, bidder.token, bidder.tender, "offer", sealed, digest=other),
        400,
        "bid.digest_mismatch",
    )
    # not even the file: bytes nobody declared would sit in the store referenced by nothing
    _nothing_stored(bidder.tender, before)
    assert not list((node_blobs().root / "incoming").iterdir())


@pytest.mark.parametrize(
    ("digest", "code"),
    [
        ("", "bid.digest_required"),
        ("sha-512=:AAAA:", "bid.digest_required"),
        ("sha-256=:bm90IDMyIGJ5dGVz:", "bid.digest_malformed"),
        ("sha-256=abc", "bid.digest_malformed"),
    ],
)
def test_a_missing_or_malformed_digest_is_refused_before_reading(api, bidder, digest, code):
    before = blob_files()
    sealed = seal(b"isi", bidder.recipient)
    _refused(put(api, bidder.token, bidder.tender, "offer", sealed, digest=digest), 400, code)
    _nothing_stored(bidder.tender, before)


def test_a_body_shorter_than_its_content_length_is_refused(api, bidder):
    before = blob_files()
    sealed = seal(b"isi", bidder.recipient)
    response = put(
        api,
        bidder.token,
        bidder.tender,
        "offer",
        sealed,
        CONTENT_LENGTH=str(len(sealed) + 100),
        **{"wsgi.input": io.BytesIO(sealed)},
    )
    _refused(response, 400, "bid.length_mismatch")
    _nothing_stored(bidder.tender, before)


def test_a_chunked_body_without_length_is_refused_with_411(api, bidder):
    sealed = seal(b"isi", bidder.recipient)
    response = put(
        api,
        bidder.token,
        bidder.tender,
        "offer",
        sealed,
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    _refused(response, 411, "bid.length_required")
    _nothing_stored(bidder.tender, set(), blob_too=False)


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


SCRYPT_FILE = (
    b"age-encryption.org/v1\n"
    + b"-> scrypt "
    + _b64(bytes(16))
    + b" 18\n"
    + _b64(bytes(32))
    + b"\n--- "
    + _b64(bytes(32))
    + b"\n"
    + bytes(64)
)


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda r: b"PK\x03\x04 not an age file" * 100, "bid.not_age"),
        (lambda r: SCRYPT_FILE, "bid.scrypt_stanza"),
        (lambda r: seal(b"x" * 1000, r)[:-1040], "bid.truncated"),
        (lambda r: seal(b"x" * 65_540, r)[:-10], "bid.payload_length"),
        (lambda r: seal(b"x" * 65_536, r) + bytes(5), "bid.payload_length"),
    ],
    ids=["not-age", "passphrase", "truncated", "cut", "padded"],
)
def test_files_that_are_not_proper_envelopes_are_refused_and_not_kept(api, bidder, make, code):
    before = blob_files()
    data = make(bidder.recipient)
    _refused(put(api, bidder.token, bidder.tender, "offer", data), 400, code)
    _nothing_stored(bidder.tender, before)
    assert not node_blobs().exists(hashlib.sha256(data).hexdigest())


def test_an_envelope_over_the_size_limit_is_refused(api, bidder, settings):
    settings.TANGGUH_BID_MAX_BYTES = 1000
    before = blob_files()
    _refused(
        put(api, bidder.token, bidder.tender, "offer", seal(b"y" * 5000, bidder.recipient)),
        413,
        "bid.too_large",
    )
    _nothing_stored(bidder.tender, before)


def test_a_vendor_not_registered_is_refused(api, org, bidder):
    company, user = factories.make_vendor()
    approve(org, company)
    token = api.token_for(user)
    _refused(
        put(api, token, bidder.tender, "offer", seal(b"z", bidder.recipient)),
        403,
        "bid.not_registered",
    )
    _refused(
        api.call("GET", f"/tenders/{bidder.tender.code}/bids/mine", token=token),
        403,
        "bid.not_registered",
    )
    _nothing_stored(bidder.tender, set(), blob_too=False)


def test_wrong_envelope_name_unknown_tender_and_no_token(api, bidder):
    sealed = seal(b"z", bidder.recipient)
    _refused(put(api, bidder.token, bidder.tender, "price", sealed), 404, "bid.envelope_unknown")
    missing = type("T", (), {"code": "T2024-NOPE"})
    _refused(put(api, bidder.token, missing, "offer", sealed), 404, "bid.tender_not_found")
    response = api.client.put(
        f"/api/v1/tenders/{bidder.tender.code}/bids/mine/offer",
        data=sealed,
        content_type="application/octet-stream",
        HTTP_CONTENT_DIGEST=digest_header(sealed),
    )
    assert response.status_code == 401
    _nothing_stored(bidder.tender, set(), blob_too=False)


def test_a_cancelled_tender_takes_no_bids(api, bidder):
    bidder.tender.cancelled_at = clock_module.now()
    bidder.tender.save()
    _refused(
        put(api, bidder.token, bidder.tender, "offer", seal(b"z", bidder.recipient)),
        409,
        "bid.tender_cancelled",
    )


def test_after_the_deadline_nothing_is_accepted(api, org, bidder):
    sealed = seal(b"terlambat", bidder.recipient)
    clock_module.get_clock().move(timedelta(days=7))  # exactly the deadline: too late
    token = api.token_for(org.users[Role.VENDOR])
    before = blob_files()
    _refused(put(api, token, bidder.tender, "offer", sealed), 409, "bid.deadline_passed")
    _nothing_stored(bidder.tender, before)


class _SlowBody(io.BytesIO):
    """A body whose last bytes arrive after the deadline."""

    def __init__(self, data: bytes, late_by: timedelta) -> None:
        super().__init__(data)
        self.late_by = late_by

    def read(self, size=-1):
        block = super().read(size)
        if self.tell() == len(self.getvalue()):
            clock_module.get_clock().move(self.late_by)
        return block


def test_the_time_the_last_byte_is_durable_decides(api, org, bidder):
    deadline = clock_module.now() + timedelta(days=7)
    clock_module.get_clock().set(deadline - timedelta(seconds=10))
    bidder.token = api.token_for(org.users[Role.VENDOR])
    clock_module.get_clock().set(deadline - timedelta(seconds=1))
    sealed = seal(b"detik terakhir", bidder.recipient)
    response = put(
        api,
        bidder.token,
        bidder.tender,
        "offer",
        sealed,
        **{"wsgi.input": _SlowBody(sealed, timedelta(seconds=2))},
    )
    _refused(response, 409, "bid.deadline_passed")
    assert not Envelope.objects.exists()
    # the bytes are durable but unreferenced: no envelope, no receipt
    assert node_blobs().exists(hashlib.sha256(sealed).hexdigest())

    clock_module.get_clock().set(deadline - timedelta(seconds=3))
    on_time = put(
        api,
        bidder.token,
        bidder.tender,
        "offer",
        sealed,
        **{"wsgi.input": _SlowBody(sealed, timedelta(seconds=2))},
    )
    assert on_time.status_code == 201, on_time.content
    assert Envelope.objects.get().received_at == deadline - timedelta(seconds=1)


# --- through a real WSGI server -----------------------------------------------------------------

SEED = r"""
import json, sys
from datetime import timedelta
from decimal import Decimal
import django
django.setup()
from tangguh import clock
from tangguh.accounts.services.tokens import token_issue
from tangguh.domain.methods import StageKind
from tangguh.domain.roles import Role
from tangguh.planning.models import Category, Package
from tangguh.tenders.models import Tender, TenderStage
from tangguh.testing import factories
from tangguh.vendors.services import vendor_approve

now = clock.now()
agency = factories.make_agency("Pemkab Uji")
work_unit = factories.make_work_unit(agency)
unit = factories.make_procurement_unit(agency)
committee = factories.make_committee(unit)
company, vendor = factories.make_vendor("vendor.wsgi")
verifier = factories.make_user("verif.wsgi", [(Role.VERIFIER, "node")])
vendor_approve(actor=verifier, company_id=company.pk)
package = Package.objects.create(
    work_unit=work_unit, fiscal_year=2024, title="Jalan", category=Category.WORKS,
    budget=Decimal("3000000000"), owner_estimate=Decimal("2500000000"), location="Mimika",
    created_by=verifier, created_at=now, procurement_unit=unit, delegated_at=now,
    committee=committee, assigned_at=now)
tender = Tender.objects.create(
    package=package, committee=committee, code="T2024-WSGI", title="Jalan",
    method="tender_one_file", envelopes=1, evaluation_method="lowest_price",
    created_at=now, announced_at=now)
for position, kind in enumerate([StageKind.ANNOUNCEMENT, StageKind.BID_SUBMISSION]):
    TenderStage.objects.create(tender=tender, kind=kind, position=position,
                               start=now - timedelta(days=1), end=now + timedelta(days=1))
from tangguh.participation.models import Participation
Participation.objects.create(tender=tender, company=company, registered_by=vendor,
                             registered_at=now, pact_accepted_at=now, pact_version="1",
                             pact_sha256="0" * 64)
raw, _ = token_issue(username="vendor.wsgi", password=factories.PASSWORD, otp=None,
                     address="127.0.0.1", label="wsgi", lifetime_hours=1)
print(json.dumps({"token": raw, "code": tender.code}))
"""


def _tree_peak_rss(pid: int) -> dict[int, int]:
    """The peak RSS (VmHWM, bytes) of ``pid`` and each of its descendants."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    peaks, todo = {}, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks[current] = int(line.split()[1]) * 1024
        except OSError:
            continue
    return peaks


def _server_env(tmp_path) -> dict:
    """A sandbox node of its own (SQLite in tmp_path) for a real server process."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "TANGGUH_DATA_DIR", "TANGGUH_CLOCK"}
    }
    env.update(
        TANGGUH_ENV="sandbox",
        TANGGUH_DATA_DIR=str(tmp_path / "data"),
        DJANGO_SETTINGS_MODULE="tangguh.settings",
        TANGGUH_THREADS="2",
    )
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.argon2
def test_a_20_mb_envelope_streams_through_granian(tmp_path, age_identity):
    env = _server_env(tmp_path)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tangguh", "serve", "--addr", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        plain = tmp_path / "bid.tar"
        with open(plain, "wb") as out:
            out.write(os.urandom(20 * 1024 * 1024))
        sealed = tmp_path / "bid.tar.age"
        subprocess.run([AGE, "-r", age_identity[1], "-o", str(sealed), str(plain)], check=True)
        digest = hashlib.sha256(sealed.read_bytes()).digest()
        for _ in range(300):  # serve migrates first
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                time.sleep(0.1)
        seeded = subprocess.run(
            [sys.executable, "-c", SEED], env=env, capture_output=True, text=True, check=False
        )
        assert seeded.returncode == 0, seeded.stderr
        info = json.loads(seeded.stdout.strip().splitlines()[-1])

        node = json.loads(urlopen_text(f"http://127.0.0.1:{port}/api/v1/node"))
        # warm up the upload path (imports, first allocations) with a small envelope of 2 MiB
        small = seal(os.urandom(2 * 1024 * 1024), age_identity[1])
        warm = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        warm.request(
            "PUT",
            f"/api/v1/tenders/{info['code']}/bids/mine/offer",
            body=small,
            headers={
                "Authorization": f"Bearer {info['token']}",
                "Content-Digest": digest_header(small),
            },
        )
        assert warm.getresponse().status == 201
        peak_before = _tree_peak_rss(server.pid)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        size = sealed.stat().st_size
        with open(sealed, "rb") as body:
            connection.request(
                "PUT",
                f"/api/v1/tenders/{info['code']}/bids/mine/offer",
                body=body,  # http.client sends a file in blocks, never whole
                headers={
                    "Authorization": f"Bearer {info['token']}",
                    "Content-Type": "application/octet-stream",
                    "Content-Length": str(size),
                    "Content-Digest": "sha-256=:" + base64.b64encode(digest).decode() + ":",
                },
                encode_chunked=False,
            )
        response = connection.getresponse()
        body = json.loads(response.read())
        assert response.status == 201, body
        assert body["size"] == size and body["sha256"] == digest.hex()
        assert body["supersedes"] == hashlib.sha256(small).hexdigest()
        stored = tmp_path / "data" / "files" / "sha256" / digest.hex()[:2] / digest.hex()[2:4]
        assert (stored / digest.hex()).stat().st_size == size
        # never whole in memory: no server process's peak RSS grew by half the file's size
        peak_after = _tree_peak_rss(server.pid)
        growth = max(peak_after[p] - peak_before.get(p, 0) for p in peak_after)
        assert growth < 10 * 1024 * 1024, growth  # measured here: about 3 MB

        token = jws.deserialize_compact(
            body["receipt"], KeySet.import_key_set(node["jwks"]), algorithms=["EdDSA"]
        )
        assert json.loads(token.payload)["sha256"] == digest.hex()

        # chunked, no Content-Length: refused up front (Django would see an empty body). One
        # write holds the whole request, so the early answer cannot race the client's sending.
        head = (
            f"PUT /api/v1/tenders/{info['code']}/bids/mine/offer HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {info['token']}\r\n"
            "Content-Digest: sha-256=:" + base64.b64encode(digest).decode() + ":\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
            raw.sendall(head + b"16\r\nage-encryption.org/v1\n\r\n0\r\n\r\n")
            refused = http.client.HTTPResponse(raw)
            refused.begin()
            assert refused.status == 411
            assert json.loads(refused.read())["code"] == "bid.length_required"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def urlopen_text(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        return response.read().decode()


# --- two uploads at once -------------------------------------------------------------------------


class _MeetingBody(io.BytesIO):
    """A body that waits, before its last bytes, until the other upload is streaming too: both
    are mid-body at once, so no lock may be held while bytes arrive."""

    def __init__(self, data: bytes, barrier: threading.Barrier) -> None:
        super().__init__(data)
        self.barrier = barrier
        self.met = False

    def read(self, size=-1):
        if self.tell() > 0 and not self.met:
            self.met = True
            self.barrier.wait(timeout=10)  # raises if the other upload never got here
        return super().read(size)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same", [True, False], ids=["same-file", "different-files"])
def test_two_uploads_at_once_never_fork(org, age_identity, same):
    from django.db import connections

    from tangguh.audit.selectors import audit_verify
    from tests.conftest import ApiClient

    api = ApiClient()
    approve(org)
    tender = make_tender(org)
    token = api.token_for(org.users[Role.VENDOR])
    assert register(api, token, tender).status_code == 201
    files = [seal(b"x" * 3_000_000, age_identity[1]) for _ in range(1 if same else 2)]
    files = files * 2 if same else files
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def upload(i: int) -> None:
        try:
            body = _MeetingBody(files[i], barrier)
            results[i] = put(ApiClient(), token, tender, "offer", files[i], **{"wsgi.input": body})
        finally:
            connections.close_all()

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(r.status_code for r in results)
    bodies = [r.json() for r in results]
    if same:
        assert statuses == [200, 201], bodies
        assert bodies[0]["receipt"] == bodies[1]["receipt"]
        assert Envelope.objects.filter(tender=tender).count() == 1
    else:
        assert statuses == [201, 201], bodies
        first, second = sorted(bodies, key=lambda b: b["supersedes"] is not None)
        assert first["supersedes"] is None and second["supersedes"] == first["sha256"]
        assert Envelope.objects.filter(tender=tender).count() == 2
    current = Envelope.objects.filter(
        tender=tender, superseded_at__isnull=True, withdrawn_at__isnull=True
    )
    assert current.count() == 1
    assert audit_verify().ok


# --- SIGKILL while uploading ----------------------------------------------------------------------

CHECK = r"""
import hashlib, json
import django
django.setup()
from tangguh.bids.models import Envelope
from tangguh.core.blobs import node_blobs

store = node_blobs()
rows, problems = [], []
for e in Envelope.objects.order_by("id"):
    rows.append(e.receipt)
    if not store.exists(e.sha256):
        problems.append(f"envelope {e.sha256} has no stored file")
        continue
    digest, size = hashlib.sha256(), 0
    for chunk in store.iter_chunks(e.sha256):
        digest.update(chunk)
        size += len(chunk)
    if digest.hexdigest() != e.sha256 or size != e.size:
        problems.append(f"envelope {e.sha256}: stored file is incomplete or different")
for path in (store.root / "sha256").rglob("*"):
    if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() != path.name:
        problems.append(f"{path.name}: a file under a hash that is not its own")
print(json.dumps({"receipts": rows, "problems": problems}))
"""


def _start_server(env: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "tangguh", "serve", "--addr", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: SIGKILL reaches every worker
    )
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            assert server.poll() is None, "the server did not start"
            time.sleep(0.1)
    raise AssertionError("the server did not listen")


def _kill(server: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=10)


@pytest.mark.argon2
def test_sigkill_during_uploads_never_leaves_a_receipt_without_a_complete_bid(
    tmp_path, age_identity
):
    """Kill the server (SIGKILL, every process) at random points of an upload — mid-body,
    after the last byte, after the answer — then check on disk: every recorded envelope has
    its complete file, no file sits under a hash that is not its own, and every receipt the
    client got is a recorded envelope's."""
    import random

    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    env = _server_env(tmp_path)
    port = _free_port()
    server = _start_server(env, port)
    received: list[str] = []
    try:
        seeded = subprocess.run(
            [sys.executable, "-c", SEED], env=env, capture_output=True, text=True
        )
        assert seeded.returncode == 0, seeded.stderr
        info = json.loads(seeded.stdout.strip().splitlines()[-1])
        # kill points as a fraction of the body sent; > 1 means after the answer was read
        points = [rng.uniform(0.05, 0.95), rng.uniform(0.95, 1.0), 1.0, 1.5]
        for point in points:
            sealed = seal(os.urandom(rng.randrange(2, 6) * 1024 * 1024), age_identity[1])
            digest = base64.b64encode(hashlib.sha256(sealed).digest()).decode()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.putrequest("PUT", f"/api/v1/tenders/{info['code']}/bids/mine/offer")
            for name, value in {
                "Authorization": f"Bearer {info['token']}",
                "Content-Type": "application/octet-stream",
                "Content-Length": str(len(sealed)),
                "Content-Digest": f"sha-256=:{digest}:",
            }.items():
                connection.putheader(name, value)
            connection.endheaders()
            cut = int(len(sealed) * min(point, 1.0))
            for offset in range(0, cut, 256 * 1024):
                connection.send(sealed[offset : min(offset + 256 * 1024, cut)])
            if point > 1.0:
                response = connection.getresponse()
                body = json.loads(response.read())
                assert response.status == 201, body
                received.append(body["receipt"])
            _kill(server)
            connection.close()

            checked = subprocess.run(
                [sys.executable, "-c", CHECK], env=env, capture_output=True, text=True
            )
            assert checked.returncode == 0, checked.stderr
            state = json.loads(checked.stdout.strip().splitlines()[-1])
            assert state["problems"] == [], (seed, state["problems"])
            assert set(received) <= set(state["receipts"]), seed
            if point != points[-1]:
                server = _start_server(env, port)
        assert received, seed
    finally:
        _kill(server)
