"""Resumable uploads of sealed envelopes over tus 1.0.0 under the envelope's path: a standard
client (tuspy) through a real server uploads, is interrupted and resumes; every bad input is
refused with its own code and leaves nothing half; expiry, termination, a second concurrent
``PATCH``, the deadline at creation and at the last byte, and the browser session path."""

from __future__ import annotations

import base64
import hashlib
import http.client
import io
import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from tusclient.client import TusClient
from tusclient.storage.filestorage import FileStorage

from tangguh import clock as clock_module
from tangguh.audit.models import AuditEvent
from tangguh.bids.models import Envelope
from tangguh.bids.services.resumable import upload_sweep, uploads_dir
from tangguh.core.blobs import node_blobs
from tangguh.domain.roles import Role
from tangguh.testing import factories
from tests import test_bids_upload as whole_put
from tests.test_bids_upload import (
    SEED,
    _free_port,
    _kill,
    _refused,
    _server_env,
    _start_server,
    blob_files,
    open_sealed,
    seal,
)
from tests.test_participation import approve, register

# The whole-file upload tests' fixtures: the age identity, a registered bidder with a tender
# and a sealing key, and a blob store of each test's own.
age_identity = whole_put.age_identity
bidder = whole_put.bidder
_own_blob_store = whole_put._own_blob_store

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:EdDSA is deprecated"),
]

OCTETS = "application/offset+octet-stream"


def sha_meta(data: bytes) -> str:
    """``Upload-Metadata`` as tus clients send it: the hex SHA-256, base64-encoded."""
    return "sha256 " + base64.b64encode(hashlib.sha256(data).hexdigest().encode()).decode()


class Tus:
    """tus requests through Django's test client (bearer token, or a browser session)."""

    def __init__(self, client: Client, tender, envelope: str = "offer", **auth) -> None:
        self.client = client
        self.path = f"/api/v1/tenders/{tender.code}/bids/mine/{envelope}"
        self.auth = auth

    def _headers(self, extra: dict) -> dict:
        headers = {"HTTP_TUS_RESUMABLE": "1.0.0", **self.auth}
        headers.update(extra)
        return {k: v for k, v in headers.items() if v is not None}

    def create(self, length: int, metadata: str | None, **extra):
        headers = {"HTTP_UPLOAD_LENGTH": str(length), "HTTP_UPLOAD_METADATA": metadata}
        return self.client.generic("POST", self.path, **self._headers({**headers, **extra}))

    def start(self, data: bytes) -> str:
        response = self.create(len(data), sha_meta(data))
        assert response.status_code == 201, response.content
        return response["Location"]

    def patch(self, location: str, offset: int, data: bytes, **extra):
        headers = self._headers({"HTTP_UPLOAD_OFFSET": str(offset), **extra})
        return self.client.generic(
            "PATCH",
            location,
            data=data,
            content_type=headers.pop("content_type", OCTETS),
            **headers,
        )

    def head(self, location: str):
        return self.client.head(location, **self._headers({}))

    def delete(self, location: str):
        return self.client.delete(location, **self._headers({}))

    def send(self, location: str, data: bytes, chunk: int = 300):
        response = None
        for offset in range(0, len(data), chunk):
            response = self.patch(location, offset, data[offset : offset + chunk])
            assert response.status_code == 204, response.content
            assert response["Upload-Offset"] == str(min(offset + chunk, len(data)))
        return response


@pytest.fixture
def tus(api, bidder):
    return Tus(api.client, bidder.tender, HTTP_AUTHORIZATION=f"Bearer {bidder.token}")


def upload_files() -> set[str]:
    return {p.name for p in uploads_dir().iterdir()}


# --- a standard client through a real server ---------------------------------------------------


def _tuspy(base: str, code: str, token: str, path: Path, urls: Path, *, chunk: int, **options):
    """A tuspy uploader that stores its upload URL in ``urls`` (as a resuming client does)."""
    client = TusClient(
        f"{base}/api/v1/tenders/{code}/bids/mine/offer",
        headers={"Authorization": f"Bearer {token}"},
    )
    return client.uploader(
        file_path=str(path),
        chunk_size=chunk,
        metadata={"sha256": hashlib.sha256(path.read_bytes()).hexdigest()},
        store_url=True,
        url_storage=FileStorage(str(urls)),
        **options,
    )


def _verified_claims(api, receipt: str) -> dict:
    from joserfc import jws
    from joserfc.jwk import KeySet

    node = api.call("GET", "/node").json()
    token = jws.deserialize_compact(receipt, KeySet.import_key_set(node["jwks"]), ["EdDSA"])
    return json.loads(token.payload)


@pytest.mark.django_db(transaction=True)
def test_tuspy_uploads_an_age_sealed_envelope_and_gets_the_receipt(
    api, bidder, live_server, tmp_path, age_identity, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000  # the views must never read request.body
    plain = b"penawaran.json + lampiran " * 6000
    path = tmp_path / "bid.age"
    path.write_bytes(seal(plain, bidder.recipient))
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    # tuspy's per-chunk checksum is sha1 by default; the server takes it (and sha256)
    who = (live_server.url, bidder.tender.code, bidder.token)
    uploader = _tuspy(*who, path, tmp_path / "urls.json", chunk=40_000, upload_checksum=True)
    uploader.upload()
    receipt = uploader.request.response_headers["tangguh-receipt"]
    assert uploader.request.status_code == 204

    envelope = Envelope.objects.get(tender=bidder.tender)
    assert envelope.receipt == receipt and envelope.sha256 == sha
    assert envelope.size == path.stat().st_size and envelope.received_at == clock_module.now()
    claims = _verified_claims(api, receipt)
    assert claims["sha256"] == sha and claims["envelope"] == "offer"
    with node_blobs().open(sha) as handle:
        assert open_sealed(handle.read(), age_identity[0]) == plain
    assert AuditEvent.objects.filter(action="bid.received").count() == 1
    # the partial file became the blob (renamed, not copied); only the small state is left
    assert {Path(name).suffix for name in upload_files()} <= {".json", ".lock"}

    # HEAD on the finished upload gives the receipt too (a client that lost the last answer)
    head = http.client.HTTPConnection(urlsplit(live_server.url).netloc, timeout=10)
    head.request(
        "HEAD",
        urlsplit(uploader.url).path,
        headers={"Authorization": f"Bearer {bidder.token}", "Tus-Resumable": "1.0.0"},
    )
    answer = head.getresponse()
    assert answer.status == 200 and answer.read() == b""
    assert answer.getheader("Upload-Offset") == answer.getheader("Upload-Length")
    assert answer.getheader("Tangguh-Receipt") == receipt
    assert answer.getheader("Cache-Control") == "no-store"

    # the same bytes again, as a new upload: the same receipt, nothing new recorded
    clock_module.get_clock().move(timedelta(minutes=5))
    again = _tuspy(*who, path, tmp_path / "other.json", chunk=100_000)
    again.upload()
    assert again.request.response_headers["tangguh-receipt"] == receipt
    assert Envelope.objects.filter(tender=bidder.tender).count() == 1
    mine = api.call("GET", f"/tenders/{bidder.tender.code}/bids/mine", token=bidder.token)
    assert [row["receipt"] for row in mine.json()["envelopes"]] == [receipt]


def _open_patch(base: str, location: str, token: str, offset: int, length: int):
    """A raw PATCH whose headers are sent and whose body the caller sends (or not)."""
    url = urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    connection.putrequest("PATCH", urlsplit(location).path)
    for name, value in {
        "Authorization": f"Bearer {token}",
        "Tus-Resumable": "1.0.0",
        "Upload-Offset": str(offset),
        "Content-Type": OCTETS,
        "Content-Length": str(length),
    }.items():
        connection.putheader(name, value)
    connection.endheaders()
    return connection


def _cut_patch(base: str, location: str, token: str, offset: int, body: bytes, sent: int):
    """A PATCH whose connection dies after ``sent`` of its ``len(body)`` bytes."""
    connection = _open_patch(base, location, token, offset, len(body))
    connection.send(body[:sent])
    connection.close()


def _offset_when_settled(uploader, below: int) -> int:
    """The server's offset once the cut request has been handled (it keeps what came)."""
    for _ in range(200):
        offset = uploader.get_offset()
        if offset != below:
            return offset
        time.sleep(0.05)
    raise AssertionError("the server never took the bytes of the cut request")


@pytest.mark.django_db(transaction=True)
def test_an_interrupted_tuspy_upload_resumes_where_it_stopped(api, bidder, live_server, tmp_path):
    path = tmp_path / "bid.age"
    path.write_bytes(seal(bytes(range(256)) * 1200, bidder.recipient))
    data = path.read_bytes()
    urls = tmp_path / "urls.json"
    chunk = 32 * 1024
    who = (live_server.url, bidder.tender.code, bidder.token)

    first = _tuspy(*who, path, urls, chunk=chunk)
    first.upload(stop_at=2 * chunk)  # the vendor's laptop sleeps after two chunks
    assert first.offset == 2 * chunk

    # the next chunk's connection dies half-way: what arrived is kept
    _cut_patch(live_server.url, first.url, bidder.token, 2 * chunk, data[2 * chunk :], 5000)
    kept = _offset_when_settled(first, 2 * chunk)
    assert kept == 2 * chunk + 5000

    # a new process resumes from the stored URL: HEAD, then only the rest is sent
    resumed = _tuspy(*who, path, urls, chunk=chunk)
    assert resumed.url == first.url and resumed.offset == kept
    resumed.upload()
    receipt = resumed.request.response_headers["tangguh-receipt"]
    sha = hashlib.sha256(data).hexdigest()
    envelope = Envelope.objects.get(tender=bidder.tender)
    assert envelope.sha256 == sha and envelope.receipt == receipt
    assert _verified_claims(api, receipt)["sha256"] == sha
    assert node_blobs().path(sha).read_bytes() == data


@pytest.mark.django_db(transaction=True)
def test_a_second_patch_while_one_is_streaming_is_refused(api, bidder, live_server):
    sealed = seal(b"x" * 100_000, bidder.recipient)
    tus = Tus(api.client, bidder.tender, HTTP_AUTHORIZATION=f"Bearer {bidder.token}")
    location = tus.start(sealed)
    upload_id = location.rsplit("/", 1)[1]
    slow = _open_patch(live_server.url, location, bidder.token, 0, len(sealed))
    slow.send(sealed[:1000])
    for _ in range(200):  # the first request holds the upload once its partial file exists
        if (uploads_dir() / f"{upload_id}.part").exists():
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the first PATCH never started")

    second = _open_patch(live_server.url, location, bidder.token, 0, len(sealed))
    second.send(sealed)
    refused = second.getresponse()
    assert refused.status == 423
    assert json.loads(refused.read())["code"] == "bid.upload_busy"

    slow.send(sealed[1000:])
    done = slow.getresponse()
    assert done.status == 204, done.read()
    assert done.getheader("Tangguh-Receipt")
    assert Envelope.objects.filter(tender=bidder.tender).count() == 1


# --- the protocol ------------------------------------------------------------------------------


def test_options_states_the_servers_capabilities(api, bidder, settings):
    settings.TANGGUH_BID_MAX_BYTES = 123_456
    response = api.client.options(f"/api/v1/tenders/{bidder.tender.code}/bids/mine/offer")
    assert response.status_code == 204
    assert response["Tus-Version"] == "1.0.0"
    assert set(response["Tus-Extension"].split(",")) == {
        "creation",
        "termination",
        "expiration",
        "checksum",
    }
    assert response["Tus-Max-Size"] == "123456"
    assert "sha256" in response["Tus-Checksum-Algorithm"].split(",")
    missing = api.client.options("/api/v1/tenders/T2024-NOPE/bids/mine/offer")
    assert missing.status_code == 404 and missing.json()["code"] == "bid.tender_not_found"


def test_creation_answers_a_location_and_an_expiry(tus, bidder):
    sealed = seal(b"isi", bidder.recipient)
    response = tus.create(len(sealed), sha_meta(sealed))
    assert response.status_code == 201, response.content
    assert response["Tus-Resumable"] == "1.0.0"
    location = response["Location"]
    assert location.startswith(f"{tus.path}/uploads/")
    assert len(location.rsplit("/", 1)[1]) == 32  # 128 random bits
    expected = clock_module.now() + timedelta(hours=24)
    assert response["Upload-Expires"] == _http_date(expected)
    head = tus.head(location)
    assert head.status_code == 200 and head.content == b""
    assert head["Upload-Offset"] == "0" and head["Upload-Length"] == str(len(sealed))
    assert head["Cache-Control"] == "no-store"
    assert "Tangguh-Receipt" not in head


def _http_date(moment) -> str:
    from django.utils.http import http_date

    return http_date(moment.timestamp())


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"HTTP_UPLOAD_METADATA": None}, 400, "bid.sha256_required"),
        ({"HTTP_UPLOAD_METADATA": "filename YmlkLmFnZQ=="}, 400, "bid.sha256_required"),
        (
            {"HTTP_UPLOAD_METADATA": "sha256 " + base64.b64encode(b"abc").decode()},
            400,
            "bid.sha256_malformed",
        ),
        ({"HTTP_UPLOAD_METADATA": "sha256 !!!"}, 400, "bid.metadata_malformed"),
        ({"HTTP_UPLOAD_LENGTH": None}, 400, "bid.upload_length_required"),
        ({"HTTP_UPLOAD_LENGTH": "-5"}, 400, "bid.upload_length_required"),
        ({"HTTP_UPLOAD_LENGTH": "0"}, 400, "bid.truncated"),
        ({"HTTP_TUS_RESUMABLE": None}, 412, "bid.tus_version"),
        ({"HTTP_TUS_RESUMABLE": "0.2.2"}, 412, "bid.tus_version"),
    ],
    ids=[
        "no-metadata",
        "no-sha256",
        "not-hex",
        "bad-base64",
        "no-length",
        "negative",
        "empty",
        "no-version",
        "old-version",
    ],
)
def test_creation_refuses_bad_headers_before_storing_anything(tus, bidder, headers, status, code):
    sealed = seal(b"isi", bidder.recipient)
    response = tus.create(len(sealed), sha_meta(sealed), **headers)
    _refused(response, status, code)
    if status == 412:
        assert response["Tus-Version"] == "1.0.0"
    assert upload_files() == set()


def test_creation_refuses_over_the_size_limit_and_for_the_wrong_tender_or_vendor(
    api, org, tus, bidder, settings
):
    sealed = seal(b"y" * 5000, bidder.recipient)
    settings.TANGGUH_BID_MAX_BYTES = 1000
    _refused(tus.create(len(sealed), sha_meta(sealed)), 413, "bid.too_large")
    settings.TANGGUH_BID_MAX_BYTES = 10_000
    wrong_envelope = Tus(api.client, bidder.tender, "price", **tus.auth)
    _refused(wrong_envelope.create(len(sealed), sha_meta(sealed)), 404, "bid.envelope_unknown")
    missing = Tus(api.client, type("T", (), {"code": "T2024-NOPE"}), **tus.auth)
    _refused(missing.create(len(sealed), sha_meta(sealed)), 404, "bid.tender_not_found")
    company, user = factories.make_vendor()
    approve(org, company)
    stranger = Tus(api.client, bidder.tender, HTTP_AUTHORIZATION=f"Bearer {api.token_for(user)}")
    _refused(stranger.create(len(sealed), sha_meta(sealed)), 403, "bid.not_registered")
    anonymous = Tus(api.client, bidder.tender)
    assert anonymous.create(len(sealed), sha_meta(sealed)).status_code == 401
    assert upload_files() == set()


def test_a_wrong_offset_is_a_conflict_and_changes_nothing(tus, bidder):
    sealed = seal(b"z" * 2000, bidder.recipient)
    location = tus.start(sealed)
    _refused(tus.patch(location, 100, sealed[100:400]), 409, "bid.offset_mismatch")
    assert tus.patch(location, 0, sealed[:300]).status_code == 204
    _refused(tus.patch(location, 0, sealed[:300]), 409, "bid.offset_mismatch")
    assert tus.head(location)["Upload-Offset"] == "300"
    _refused(tus.patch(location, 300, sealed[300:] + b"extra"), 413, "bid.upload_overrun")
    missing_offset = tus.patch(location, 300, sealed[300:], HTTP_UPLOAD_OFFSET=None)
    _refused(missing_offset, 400, "bid.upload_offset_required")
    wrong_type = tus.patch(location, 300, sealed[300:], content_type="application/octet-stream")
    _refused(wrong_type, 415, "bid.content_type")
    assert tus.head(location)["Upload-Offset"] == "300"
    done = tus.patch(location, 300, sealed[300:])
    assert done.status_code == 204 and done["Tangguh-Receipt"]


def test_per_chunk_checksums(tus, bidder):
    sealed = seal(b"c" * 3000, bidder.recipient)
    raw = base64.b64encode(hashlib.sha256(sealed).digest()).decode()
    response = tus.create(len(sealed), f"filename YmlkLmFnZQ==,sha256 {raw}")  # raw digest too
    assert response.status_code == 201, response.content
    location = response["Location"]
    chunk = sealed[:1000]

    def checksum(data: bytes, algorithm: str = "sha256") -> str:
        digest = hashlib.new(algorithm, data).digest()
        return f"{algorithm} {base64.b64encode(digest).decode()}"

    bad = tus.patch(location, 0, chunk, HTTP_UPLOAD_CHECKSUM=checksum(b"other"))
    _refused(bad, 460, "bid.checksum_mismatch")
    assert tus.head(location)["Upload-Offset"] == "0"  # the chunk was discarded
    md5 = tus.patch(location, 0, chunk, HTTP_UPLOAD_CHECKSUM=checksum(chunk, "md5"))
    _refused(md5, 400, "bid.checksum_unsupported")
    good = tus.patch(location, 0, chunk, HTTP_UPLOAD_CHECKSUM=checksum(chunk))
    assert good.status_code == 204 and good["Upload-Offset"] == "1000"
    rest = tus.patch(location, 1000, sealed[1000:], HTTP_UPLOAD_CHECKSUM=checksum(sealed[1000:]))
    assert rest.status_code == 204 and rest["Tangguh-Receipt"]
    assert Envelope.objects.get().sha256 == hashlib.sha256(sealed).hexdigest()


def test_an_upload_belongs_to_its_uploader(api, org, tus, bidder):
    sealed = seal(b"milik", bidder.recipient)
    location = tus.start(sealed)
    company, user = factories.make_vendor()
    approve(org, company)
    token = api.token_for(user)
    assert register(api, token, bidder.tender).status_code == 201
    other = Tus(api.client, bidder.tender, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert other.head(location).status_code == 404
    _refused(other.patch(location, 0, sealed), 404, "bid.upload_not_found")
    _refused(other.delete(location), 404, "bid.upload_not_found")
    _refused(tus.patch(location.replace("offer", "price"), 0, sealed), 404, "bid.envelope_unknown")
    not_an_id = location.rsplit("/", 1)[0] + "/" + "..zz" * 8
    assert tus.head(not_an_id).status_code == 404
    assert tus.head(location)["Upload-Offset"] == "0"


# --- refused at the last byte, nothing half --------------------------------------------------


def test_a_declared_hash_that_does_not_match_records_nothing_and_removes_the_partial(tus, bidder):
    sealed = seal(b"isi asli " * 100, bidder.recipient)
    before = blob_files()
    response = tus.create(len(sealed), sha_meta(b"something else"))
    location = response["Location"]
    assert tus.patch(location, 0, sealed[:500]).status_code == 204
    _refused(tus.patch(location, 500, sealed[500:]), 400, "bid.digest_mismatch")
    assert not Envelope.objects.exists()
    assert not AuditEvent.objects.filter(action="bid.received").exists()
    assert upload_files() == set() and blob_files() == before
    assert tus.head(location).status_code == 404


def test_a_file_that_is_not_an_age_file_is_refused_at_its_first_chunk(tus, bidder):
    data = b"PK\x03\x04 not an age file" * 100
    location = tus.start(data)
    _refused(tus.patch(location, 0, data[:500]), 400, "bid.not_age")
    assert upload_files() == set()
    assert tus.head(location).status_code == 404


def test_a_file_that_is_not_an_age_file_is_refused_at_completion(tus, bidder):
    data = b"age-encryption.org/v2\n" + b"x" * 2000  # a first chunk too short to tell
    location = tus.start(data)
    assert tus.patch(location, 0, data[:10]).status_code == 204
    _refused(tus.patch(location, 10, data[10:]), 400, "bid.not_age")
    assert not Envelope.objects.exists() and upload_files() == set()
    assert not node_blobs().exists(hashlib.sha256(data).hexdigest())


def test_a_cut_age_file_is_refused_at_completion(tus, bidder):
    data = seal(b"x" * 65_540, bidder.recipient)[:-10]  # a length no age payload can have
    before = blob_files()
    location = tus.start(data)
    assert tus.patch(location, 0, data[:40_000]).status_code == 204  # the header is fine
    _refused(tus.patch(location, 40_000, data[40_000:]), 400, "bid.payload_length")
    assert not Envelope.objects.exists()
    assert upload_files() == set() and blob_files() == before


# --- the deadline, by the server's clock -----------------------------------------------------


def _deadline(tender):
    from tangguh.bids.services.upload import bid_window

    return bid_window(tender)[1]


def test_after_the_deadline_creation_is_refused(api, org, tus, bidder):
    sealed = seal(b"terlambat", bidder.recipient)
    clock_module.get_clock().set(_deadline(bidder.tender))  # exactly the deadline: too late
    late = Tus(api.client, bidder.tender, HTTP_AUTHORIZATION=f"Bearer {_token(api, org)}")
    _refused(late.create(len(sealed), sha_meta(sealed)), 409, "bid.deadline_passed")
    assert upload_files() == set()


def _token(api, org) -> str:
    """Tokens expire; a test that moves the clock far issues one at the new time."""
    return api.token_for(org.users[Role.VENDOR])


def test_an_upload_expires_at_the_deadline_and_a_late_last_chunk_is_refused(api, org, tus, bidder):
    deadline = _deadline(bidder.tender)
    clock_module.get_clock().set(deadline - timedelta(hours=1))
    tus.auth["HTTP_AUTHORIZATION"] = f"Bearer {_token(api, org)}"
    sealed = seal(b"hampir" * 300, bidder.recipient)
    response = tus.create(len(sealed), sha_meta(sealed))
    assert response["Upload-Expires"] == _http_date(deadline)  # sooner than 24 hours
    location = response["Location"]
    assert tus.patch(location, 0, sealed[:200]).status_code == 204
    clock_module.get_clock().set(deadline)
    _refused(tus.patch(location, 200, sealed[200:]), 409, "bid.deadline_passed")
    assert not Envelope.objects.exists() and upload_files() == set()


def test_the_time_the_last_byte_is_durable_decides(api, org, tus, bidder):
    from tests.test_bids_upload import _SlowBody

    deadline = _deadline(bidder.tender)
    clock_module.get_clock().set(deadline - timedelta(seconds=10))
    tus.auth["HTTP_AUTHORIZATION"] = f"Bearer {_token(api, org)}"
    sealed = seal(b"detik terakhir" * 100, bidder.recipient)

    late = tus.start(sealed)
    assert tus.patch(late, 0, sealed[:100]).status_code == 204
    clock_module.get_clock().set(deadline - timedelta(seconds=1))
    body = _SlowBody(sealed[100:], timedelta(seconds=2))  # its last byte lands after it
    _refused(tus.patch(late, 100, sealed[100:], **{"wsgi.input": body}), 409, "bid.deadline_passed")
    assert not Envelope.objects.exists()
    assert upload_files() == set()

    clock_module.get_clock().set(deadline - timedelta(seconds=5))
    on_time = tus.start(sealed)
    clock_module.get_clock().set(deadline - timedelta(seconds=3))
    body = _SlowBody(sealed, timedelta(seconds=2))
    done = tus.patch(on_time, 0, sealed, **{"wsgi.input": body})
    assert done.status_code == 204, done.content
    assert Envelope.objects.get().received_at == deadline - timedelta(seconds=1)


# --- termination and expiry ------------------------------------------------------------------


def test_termination_removes_the_upload(tus, bidder):
    sealed = seal(b"batal" * 100, bidder.recipient)
    location = tus.start(sealed)
    assert tus.patch(location, 0, sealed[:100]).status_code == 204
    assert upload_files()
    deleted = tus.delete(location)
    assert deleted.status_code == 204 and deleted["Tus-Resumable"] == "1.0.0"
    assert upload_files() == set()
    assert tus.head(location).status_code == 404
    _refused(tus.patch(location, 100, sealed[100:]), 404, "bid.upload_not_found")


def test_uploads_expire_after_a_day_and_are_swept(api, org, tus, bidder):
    sealed = seal(b"lambat" * 100, bidder.recipient)
    first = tus.start(sealed)
    second = tus.start(sealed)
    assert tus.patch(first, 0, sealed[:100]).status_code == 204
    clock_module.get_clock().move(timedelta(hours=24))
    tus.auth["HTTP_AUTHORIZATION"] = f"Bearer {_token(api, org)}"
    _refused(tus.patch(first, 100, sealed[100:]), 410, "bid.upload_expired")
    _refused(tus.patch(first, 100, sealed[100:]), 404, "bid.upload_not_found")  # gone now
    assert tus.head(first).status_code == 404
    assert any(name.startswith(second.rsplit("/", 1)[1]) for name in upload_files())
    # a crash once left a stray partial file without a state
    stray = uploads_dir() / ("f" * 32 + ".part")
    stray.write_bytes(b"half")
    old = time.time() - 2 * 24 * 3600
    os.utime(stray, (old, old))

    third = tus.start(sealed)  # creating sweeps lazily: the expired second one goes
    assert {name.split(".")[0] for name in upload_files()} == {third.rsplit("/", 1)[1]}
    assert tus.head(second).status_code == 404
    clock_module.get_clock().move(timedelta(hours=25))
    out = io.StringIO()
    call_command("uploads", "sweep", stdout=out)  # what cron runs
    assert out.getvalue().strip() == "1 upload(s) removed" and upload_files() == set()
    assert upload_sweep() == 0


def test_a_vendor_holds_a_few_open_uploads_at_most(tus, bidder):
    sealed = seal(b"ulang", bidder.recipient)
    locations = []
    for _ in range(5):
        locations.append(tus.start(sealed))
        clock_module.get_clock().move(timedelta(seconds=1))
    assert tus.head(locations[0]).status_code == 404  # the oldest made room
    assert all(tus.head(location).status_code == 200 for location in locations[1:])


# --- the browser session path ------------------------------------------------------------------


def _browser(org) -> tuple[Client, str]:
    import secrets
    import string

    client = Client(enforce_csrf_checks=True, REMOTE_ADDR="198.51.100.7")
    client.force_login(org.users[Role.VENDOR])
    token = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    client.cookies["csrftoken"] = token
    return client, token


def test_the_browser_session_uploads_with_its_csrf_header(org, bidder):
    client, csrf = _browser(org)
    sealed = seal(b"dari peramban" * 200, bidder.recipient)

    no_csrf = Tus(client, bidder.tender)
    refused = no_csrf.create(len(sealed), sha_meta(sealed))
    assert refused.status_code == 403
    assert refused.json()["code"] == "auth.csrf_failed"
    assert upload_files() == set()

    tus = Tus(client, bidder.tender, HTTP_X_CSRFTOKEN=csrf)
    location = tus.start(sealed)
    assert no_csrf.head(location).status_code == 200  # HEAD is safe: no CSRF needed
    assert no_csrf.patch(location, 0, sealed[:100]).status_code == 403
    assert no_csrf.delete(location).status_code == 403
    done = tus.send(location, sealed, chunk=1000)
    receipt = done["Tangguh-Receipt"]

    mine = client.get(f"/api/v1/tenders/{bidder.tender.code}/bids/mine")
    assert mine.status_code == 200 and mine.json()["envelopes"][0]["receipt"] == receipt
    anonymous = Client().get(f"/api/v1/tenders/{bidder.tender.code}/bids/mine")
    assert anonymous.status_code == 401


def test_the_browser_session_puts_and_withdraws_with_its_csrf_header(org, bidder):
    from tests.test_bids_upload import digest_header

    client, csrf = _browser(org)
    sealed = seal(b"utuh", bidder.recipient)
    path = f"/api/v1/tenders/{bidder.tender.code}/bids/mine/offer"
    headers = {"HTTP_CONTENT_DIGEST": digest_header(sealed)}
    refused = client.put(path, data=sealed, content_type="application/octet-stream", **headers)
    assert refused.status_code == 403 and not Envelope.objects.exists()
    accepted = client.put(
        path, data=sealed, content_type="application/octet-stream", HTTP_X_CSRFTOKEN=csrf, **headers
    )
    assert accepted.status_code == 201, accepted.content
    assert client.delete(path).status_code == 403
    assert client.delete(path, HTTP_X_CSRFTOKEN=csrf).status_code == 200
    assert Envelope.objects.get().withdrawn_at is not None


# --- through granian, the production server -----------------------------------------------------


@pytest.mark.argon2
def test_through_granian_a_dropped_connection_keeps_its_bytes_and_tuspy_resumes(
    tmp_path, age_identity
):
    env = _server_env(tmp_path)
    port = _free_port()
    server = _start_server(env, port)
    try:
        seeded = subprocess.run(
            [sys.executable, "-c", SEED], env=env, capture_output=True, text=True, check=False
        )
        assert seeded.returncode == 0, seeded.stderr
        info = json.loads(seeded.stdout.strip().splitlines()[-1])
        base = f"http://127.0.0.1:{port}"
        plain, path = tmp_path / "bid.tar", tmp_path / "bid.age"
        plain.write_bytes(os.urandom(300_000))
        subprocess.run(["/usr/bin/age", "-r", age_identity[1], "-o", path, plain], check=True)
        data = path.read_bytes()
        who = (base, info["code"], info["token"])
        urls = tmp_path / "urls.json"

        first = _tuspy(*who, path, urls, chunk=64 * 1024)
        first.upload(stop_at=64 * 1024)
        _cut_patch(base, first.url, info["token"], 64 * 1024, data[64 * 1024 :], 30_000)
        kept = _offset_when_settled(first, 64 * 1024)
        assert 64 * 1024 < kept <= 64 * 1024 + 30_000

        # HEAD answers carry no body, even errors: two on one keep-alive connection parse
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Authorization": f"Bearer {info['token']}", "Tus-Resumable": "1.0.0"}
        for target, status in ((first.url, 200), (first.url[:-4] + "0000", 404)):
            connection.request("HEAD", urlsplit(target).path, headers=headers)
            answer = connection.getresponse()
            assert answer.status == status and answer.read() == b""
            assert answer.getheader("Tus-Resumable") == "1.0.0"

        resumed = _tuspy(*who, path, urls, chunk=64 * 1024)
        assert resumed.offset == kept
        resumed.upload()
        receipt = resumed.request.response_headers["tangguh-receipt"]
        sha = hashlib.sha256(data).hexdigest()
        stored = tmp_path / "data" / "files" / "sha256" / sha[:2] / sha[2:4] / sha
        assert stored.read_bytes() == data
        payload = json.loads(base64.urlsafe_b64decode(receipt.split(".")[1] + "=="))
        assert payload["sha256"] == sha and payload["size"] == len(data)
    finally:
        _kill(server)
