"""The upload receiver (tangguh/core/receiver.py): HTTP framing on real sockets with small
WSGI applications, then a real node (``tangguh serve`` with ``TANGGUH_UPLOAD_ADDR``) whose
uploads go through it."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from joserfc import jws
from joserfc.jwk import KeySet

from tangguh.core.receiver import Receiver
from tests.test_bids_upload import (
    SEED,
    _free_port,
    _server_env,
    _start_server,
    digest_header,
    make_age_identity,
    seal,
)

UPLOAD = "/api/v1/tenders/T1/bids/mine/offer"


class Recorder:
    """A WSGI application that reads the body (or not) and says what it saw."""

    def __init__(self, *, read: bool = True) -> None:
        self.read = read
        self.calls: list[dict] = []

    def __call__(self, environ, start_response):
        body = b""
        if self.read:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            stream = environ["wsgi.input"]
            while len(body) < length:
                try:
                    block = stream.read(min(65536, length - len(body)))
                except OSError:  # the client stopped sending (as the upload service handles it)
                    break
                if not block:
                    break
                body += block
        self.calls.append(
            {
                "method": environ["REQUEST_METHOD"],
                "path": environ["PATH_INFO"],
                "query": environ["QUERY_STRING"],
                "headers": {k: v for k, v in environ.items() if k.startswith("HTTP_")},
                "body": body,
            }
        )
        answer = json.dumps({"size": len(body), "sha256": hashlib.sha256(body).hexdigest()})
        start_response(
            "201 Created" if self.read else "403 Forbidden", [("Content-Type", "application/json")]
        )
        return [answer.encode()]


@pytest.fixture
def serve():
    """Start a receiver for an application on a free port; stopped after the test."""
    started: list[Receiver] = []

    def start(app) -> int:
        receiver = Receiver(app, "127.0.0.1", 0, threads=4)
        threading.Thread(target=receiver.serve_forever, daemon=True).start()
        started.append(receiver)
        return receiver.address[1]

    yield start
    for receiver in started:
        receiver.stop()


def exchange(port: int, raw: bytes, *, timeout: float = 10) -> bytes:
    """Send raw bytes, read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def status_and_json(answer: bytes) -> tuple[int, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(body)


def test_a_body_arrives_whole_and_two_requests_share_a_connection(serve):
    app = Recorder()
    port = serve(app)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    bodies = [os.urandom(3 * 1024 * 1024 + 17), b"second"]
    for body in bodies:
        connection.request("PUT", UPLOAD + "?x=1", body=body, headers={"X-Trace": "t"})
        response = connection.getresponse()
        answer = json.loads(response.read())
        assert response.status == 201
        assert answer == {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    assert [c["body"] for c in app.calls] == bodies
    assert app.calls[0]["query"] == "x=1" and app.calls[0]["headers"]["HTTP_X_TRACE"] == "t"
    # one connection carried both (keep-alive): http.client would have reconnected otherwise
    assert connection.sock is not None


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "http.length_and_encoding"),
        ("Content-Length: 5\r\nContent-Length: 6\r\n", "http.conflicting_length"),
        ("Content-Length: 5x\r\n", "http.bad_length"),
        ("X-A: 1\r\n folded\r\n", "http.obsolete_folding"),
        ("Bad Header: 1\r\n", "http.bad_header"),
    ],
    ids=["length-and-encoding", "two-lengths", "bad-length", "folded", "bad-name"],
)
def test_framing_a_smuggler_needs_is_refused_before_the_application(serve, headers, code):
    app = Recorder()
    port = serve(app)
    answer = exchange(port, f"PUT {UPLOAD} HTTP/1.1\r\nHost: x\r\n{headers}\r\nhello".encode())
    status, body = status_and_json(answer)
    assert (status, body["code"]) == (400, code)
    assert b"Connection: close" in answer
    assert app.calls == []


def test_other_paths_are_a_routing_mistake_not_served(serve):
    app = Recorder()
    port = serve(app)
    for path in ("/", "/api/v1/node", "/api/v1/tenders/T1/bids/mine/../../opening"):
        status, body = status_and_json(exchange(port, f"GET {path} HTTP/1.1\r\n\r\n".encode()))
        assert (status, body["code"]) == (404, "receiver.not_an_upload_path"), path
    assert app.calls == []


def test_a_header_written_with_underscores_cannot_pass_for_one_with_dashes(serve):
    app = Recorder()
    port = serve(app)
    exchange(
        port,
        f"PUT {UPLOAD} HTTP/1.1\r\nX_Forwarded_For: 6.6.6.6\r\nX-Real: 1\r\n"
        "Content-Length: 0\r\nConnection: close\r\n\r\n".encode(),
    )
    (call,) = app.calls
    assert "HTTP_X_FORWARDED_FOR" not in call["headers"]
    assert call["headers"]["HTTP_X_REAL"] == "1"


def test_100_continue_only_once_the_application_reads(serve):
    """A client that waits for ``100 Continue`` sends nothing until the application has
    decided to read: a refused upload costs it no bytes."""
    refuser, reader = Recorder(read=False), Recorder()
    refusing, reading = serve(refuser), serve(reader)
    head = f"PUT {UPLOAD} HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"

    answer = exchange(refusing, head.encode())
    assert answer.startswith(b"HTTP/1.1 403") and b"100 Continue" not in answer
    assert b"Connection: close" in answer  # the unsent body must not be read as a request

    with socket.create_connection(("127.0.0.1", reading), timeout=10) as sock:
        sock.sendall(head.encode())
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"data")
        assert sock.recv(65536).startswith(b"HTTP/1.1 201")
    assert reader.calls[0]["body"] == b"data"


def test_a_refused_upload_still_gets_its_answer_while_the_client_is_sending(serve):
    """The application answers before the body is read; closing with unread bytes would reset
    the connection and the client would never see why."""
    port = serve(Recorder(read=False))
    body = os.urandom(8 * 1024 * 1024)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"PUT {UPLOAD} HTTP/1.1\r\nContent-Length: {len(body)}\r\n\r\n".encode())
        with contextlib.suppress(OSError):  # the server may stop reading: the answer matters
            sock.sendall(body)
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        assert answer.status == 403


def test_a_204_has_neither_length_nor_body_and_keeps_the_connection(serve):
    def no_content(environ, start_response):
        start_response("204 No Content", [("Upload-Offset", "5"), ("Content-Length", "0")])
        return [b""]

    port = serve(no_content)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for _ in range(2):
        connection.request("PATCH", UPLOAD + "/uploads/abc", body=b"hello")
        response = connection.getresponse()
        assert response.status == 204 and response.read() == b""
        assert response.getheader("Upload-Offset") == "5"
        assert response.getheader("Content-Length") is None


def test_head_answers_without_a_body(serve):
    port = serve(Recorder(read=False))
    answer = exchange(port, f"HEAD {UPLOAD} HTTP/1.1\r\nConnection: close\r\n\r\n".encode())
    head, _, rest = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 403") and b"Content-Length: " in head
    assert rest == b""


def test_a_client_that_stops_sending_frees_its_thread(serve, monkeypatch):
    from tangguh.core import receiver as module

    monkeypatch.setattr(module, "BODY_TIMEOUT_S", 0.5)
    app = Recorder()
    port = serve(app)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"PUT {UPLOAD} HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc".encode())
        started = time.monotonic()
        answer = sock.recv(65536)
        # the application saw the body fail (its own error handling answers), promptly
        assert answer.startswith(b"HTTP/1.1 201") and time.monotonic() - started < 5
    assert len(app.calls[0]["body"]) < 100


@pytest.fixture(scope="module")
def age_identity(tmp_path_factory) -> tuple[Path, str]:
    return make_age_identity(tmp_path_factory.mktemp("age"))


def test_a_head_sent_a_byte_at_a_time_is_cut_off(serve, monkeypatch):
    """A slowloris: every byte comes before any socket timeout, but the head never ends."""
    from tangguh.core import receiver as module

    monkeypatch.setattr(module, "HEAD_DEADLINE_S", 1.0)
    app = Recorder()
    port = serve(app)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(f"PUT {UPLOAD} HTTP/1.1\r\n".encode())
        answer = b""
        for byte in b"X-Slow: " + b"a" * 100:
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
            sock.settimeout(0.3)
            try:
                answer = sock.recv(65536)
            except TimeoutError:
                continue
            break
        assert time.monotonic() - started < 5
    status, body = status_and_json(answer)
    assert (status, body["code"]) == (408, "http.head_timeout")
    assert app.calls == []


# --- a real node ---------------------------------------------------------------------------------


def _wait_listening(port: int, process: subprocess.Popen) -> None:
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            assert process.poll() is None, "the node exited"
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


@pytest.mark.argon2
def test_a_node_takes_uploads_through_its_receiver(tmp_path: Path, age_identity):
    env = _server_env(tmp_path)
    port, upload_port = _free_port(), _free_port()
    env.update(TANGGUH_UPLOAD_ADDR=f"127.0.0.1:{upload_port}", TANGGUH_UPLOAD_WORKERS="2")
    server = _start_server(env, port)
    try:
        _wait_listening(upload_port, server)
        seeded = subprocess.run(
            [sys.executable, "-c", SEED], env=env, capture_output=True, text=True, check=False
        )
        assert seeded.returncode == 0, seeded.stderr
        info = json.loads(seeded.stdout.strip().splitlines()[-1])
        path = f"/api/v1/tenders/{info['code']}/bids/mine/offer"
        auth = {"Authorization": f"Bearer {info['token']}"}
        sealed = seal(os.urandom(5 * 1024 * 1024), age_identity[1])

        connection = http.client.HTTPConnection("127.0.0.1", upload_port, timeout=60)
        connection.request(
            "PUT", path, body=sealed, headers=auth | {"Content-Digest": digest_header(sealed)}
        )
        response = connection.getresponse()
        receipt = json.loads(response.read())
        assert response.status == 201, receipt
        assert receipt["sha256"] == hashlib.sha256(sealed).hexdigest()
        node = json.loads(_get(port, "/api/v1/node"))
        payload = jws.deserialize_compact(
            receipt["receipt"], KeySet.import_key_set(node["jwks"]), algorithms=["EdDSA"]
        ).payload
        assert json.loads(payload)["size"] == len(sealed)
        stored = Path(env["TANGGUH_DATA_DIR"]) / "files" / "sha256"
        assert (
            stored / receipt["sha256"][:2] / receipt["sha256"][2:4] / receipt["sha256"]
        ).stat().st_size == len(sealed)

        # the same upload again, on the same connection: the same receipt (200)
        connection.request(
            "PUT", path, body=sealed, headers=auth | {"Content-Digest": digest_header(sealed)}
        )
        again = connection.getresponse()
        assert again.status == 200 and json.loads(again.read())["receipt"] == receipt["receipt"]

        # the node's own refusals come through unchanged, and nothing is stored
        before = {p.name for p in stored.rglob("*") if p.is_file()}
        other = seal(os.urandom(1024 * 1024), age_identity[1])
        connection.request(
            "PUT", path, body=other, headers=auth | {"Content-Digest": digest_header(sealed)}
        )
        wrong = connection.getresponse()
        assert (wrong.status, json.loads(wrong.read())["code"]) == (400, "bid.digest_mismatch")
        assert {p.name for p in stored.rglob("*") if p.is_file()} == before
        chunked = (
            f"PUT {path} HTTP/1.1\r\nAuthorization: Bearer {info['token']}\r\n"
            f"Content-Digest: {digest_header(other)}\r\nTransfer-Encoding: chunked\r\n\r\n"
            "5\r\nhello\r\n0\r\n\r\n"
        )
        status, body = status_and_json(exchange(upload_port, chunked.encode()))
        assert (status, body["code"]) == (411, "bid.length_required")
        # tus (the browser's path) through the receiver: a new envelope in 3 parts, the
        # upload URL it follows is the receiver's own, and the last part brings the receipt
        from tusclient.client import TusClient

        envelope = tmp_path / "resumed.age"
        envelope.write_bytes(seal(os.urandom(3 * 1024 * 1024), age_identity[1]))
        sha = hashlib.sha256(envelope.read_bytes()).hexdigest()
        uploader = TusClient(f"http://127.0.0.1:{upload_port}{path}", headers=auth).uploader(
            file_path=str(envelope), chunk_size=1024 * 1024 + 7, metadata={"sha256": sha}
        )
        uploader.upload_chunk()  # the first part, then the client "goes away"
        assert uploader.url.startswith(f"http://127.0.0.1:{upload_port}/"), uploader.url
        assert 0 < uploader.offset < envelope.stat().st_size
        uploader.upload()  # resumes at the server's offset
        tus_receipt = uploader.request.response_headers["tangguh-receipt"]
        claims = jws.deserialize_compact(
            tus_receipt, KeySet.import_key_set(node["jwks"]), algorithms=["EdDSA"]
        ).payload
        assert json.loads(claims)["sha256"] == sha

        # pages are granian's, not the receiver's
        status, body = status_and_json(exchange(upload_port, b"GET /api/v1/node HTTP/1.1\r\n\r\n"))
        assert (status, body["code"]) == (404, "receiver.not_an_upload_path")
    finally:
        server.terminate()
        server.wait(timeout=20)
    # the receivers stopped with the node
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", upload_port), timeout=0.2).close()
        except OSError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("a receiver outlived its node")


def _get(port: int, path: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    return connection.getresponse().read().decode()
