"""Slow uploads do not starve the node. A vendor on a weak connection holds a server thread
for as long as its body takes to arrive (the WSGI view streams ``wsgi.input``); minutes before a
deadline many do at once. A real node (``tangguh serve``, granian, default settings) with more
stalled uploads than the old default of 8 threads must still answer at once, and then finish
every slow one with its receipt. With 8 threads the page waited for a free thread (timed out)."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import subprocess
import sys
import time

import pytest

from tests.test_bids_upload import (
    SEED,
    _free_port,
    _kill,
    _server_env,
    _start_server,
    age_identity,  # noqa: F401 - a fixture
    seal,
)

STALLED = 12  # more than the 8 threads a node used to serve with


def _headers(token: str, body: bytes) -> dict[str, str]:
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    return {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/octet-stream",
        "Content-Length": str(len(body)),
        "Content-Digest": f"sha-256=:{digest}:",
    }


def _stalled_upload(port: int, path: str, token: str, body: bytes) -> http.client.HTTPConnection:
    """A PUT whose headers and first bytes are sent, the rest held back."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.putrequest("PUT", path)
    for name, value in _headers(token, body).items():
        connection.putheader(name, value)
    connection.endheaders()
    connection.send(body[:4096])
    return connection


@pytest.mark.argon2
def test_stalled_uploads_leave_the_node_answering(tmp_path, age_identity):  # noqa: F811
    env = _server_env(tmp_path)
    env.pop("TANGGUH_THREADS")  # the default a node serves with
    port = _free_port()
    server = _start_server(env, port)
    stalled: list[tuple[http.client.HTTPConnection, bytes]] = []
    try:
        seeded = subprocess.run(
            [sys.executable, "-c", SEED], env=env, capture_output=True, text=True, check=False
        )
        assert seeded.returncode == 0, seeded.stderr
        info = json.loads(seeded.stdout.strip().splitlines()[-1])
        path = f"/api/v1/tenders/{info['code']}/bids/mine/offer"
        for _ in range(STALLED):
            body = seal(os.urandom(256 * 1024), age_identity[1])
            stalled.append((_stalled_upload(port, path, info["token"], body), body))
        time.sleep(1)  # every stalled upload is in the view, reading its body

        started = time.monotonic()
        page = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        page.request("GET", "/api/v1/node")
        answer = page.getresponse()
        assert answer.status == 200 and json.loads(answer.read())["jwks"]["keys"]
        assert time.monotonic() - started < 5

        # the slow vendors finish: each gets its receipt (the last one's envelope is current)
        receipts = []
        for connection, body in stalled:
            connection.send(body[4096:])
            response = connection.getresponse()
            payload = json.loads(response.read())
            assert response.status in (200, 201), payload
            assert payload["sha256"] == hashlib.sha256(body).hexdigest()
            receipts.append(payload["receipt"])
        assert len(set(receipts)) == STALLED
    finally:
        for connection, _ in stalled:
            connection.close()
        _kill(server)


@pytest.mark.django_db(transaction=True)
def test_an_upload_gives_back_a_postgresql_connection_while_its_body_streams():
    """Before the body streams the checks are done: PostgreSQL's connection goes back (the
    server's max_connections is shared by every thread); SQLite's file handle stays."""
    from django.db import connection

    from tangguh.bids.services.upload import release_database_connection

    connection.ensure_connection()
    release_database_connection()
    if connection.vendor == "sqlite":
        assert connection.connection is not None
    else:
        assert connection.connection is None
    with connection.cursor() as cursor:  # the next query connects again
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
