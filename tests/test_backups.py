"""Backups: ``tangguh backup create|verify|restore`` on the database the suite runs on (SQLite,
or PostgreSQL through pg_dump when DATABASE_URL says so), with the reference ``age`` CLI to open
what was written, restores into a fresh node run as its own process, and the faults the issue
names: a flipped byte, a missing object, a wrong recovery key, a manifest from another node, a
full disk, a restore older than a checkpoint kept outside."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import resource
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from joserfc import jws
from joserfc.jwk import KeySet

from tangguh import clock as clock_module
from tangguh.audit.models import AuditEvent
from tangguh.audit.selectors import audit_head
from tangguh.audit.services import audit_append
from tangguh.audit.services.checkpoints import checkpoint_make
from tangguh.audit.triggers import install_statements, remove_statements
from tangguh.backups.services.create import backup_create
from tangguh.backups.services.restore import backup_restore, backup_verify_restore
from tangguh.backups.services.verify import backup_verify, node_jwks
from tangguh.core.blobs import node_blobs
from tangguh.core.errors import ServiceError
from tangguh.core.keys import Keyring, node_keyring
from tangguh.core.signing import sign_payload
from tangguh.domain.backup_manifest import parse_manifest
from tests.test_bids_upload import (  # noqa: F401 - fixtures
    _free_port,
    _kill,
    _start_server,
    age_identity,
    bidder,
    make_age_identity,
    put,
    seal,
    urlopen_text,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:EdDSA is deprecated"),  # joserfc: RFC 9864 names it
]

AGE = "/usr/bin/age"
TANGGUH = [sys.executable, "-m", "tangguh"]
POSTGRES = connection.vendor == "postgresql"


# --- the node under test, its recovery key, a fresh node to restore into ---------------------


@pytest.fixture(autouse=True)
def node(settings, tmp_path) -> Path:
    """This test's own data and key directories (the database is the suite's)."""
    data = tmp_path / "data"
    settings.TANGGUH_DATA_DIR = data
    settings.TANGGUH_SIGNING_KEY_DIR = data / "keys"
    return data


@pytest.fixture(scope="session")
def recovery(tmp_path_factory) -> tuple[Path, str]:
    """The offline recovery identity (age-keygen) and its recipient."""
    return make_age_identity(tmp_path_factory.mktemp("recovery"))


@pytest.fixture
def bid(api, bidder):  # noqa: F811 - the imported fixture
    """One sealed envelope received before the backup: its bytes and its response."""
    sealed = seal(b"penawaran sebelum cadangan " * 500, bidder.recipient)
    response = put(api, bidder.token, bidder.tender, "offer", sealed)
    assert response.status_code == 201, response.content
    return type("Bid", (), {"sealed": sealed, "body": response.json(), "bidder": bidder})


def _database_url(settings_dict: dict) -> str:
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    auth = quote(settings_dict["USER"] or "")
    if settings_dict.get("PASSWORD"):
        auth += ":" + quote(settings_dict["PASSWORD"])
    host = settings_dict.get("HOST") or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{settings_dict['NAME']}"


def _env(data_dir: Path, database_url: str | None, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "TANGGUH_DATA_DIR", "TANGGUH_SIGNING_KEY_DIR", "TANGGUH_CLOCK"}
    }
    env.update(TANGGUH_ENV="sandbox", TANGGUH_DATA_DIR=str(data_dir), TANGGUH_THREADS="2")
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(extra)
    return env


@pytest.fixture
def fresh(tmp_path):
    """An empty node to restore into, run as its own process: a new data directory and a new
    database (SQLite in that directory, or a scratch PostgreSQL database, dropped afterwards)."""
    data = tmp_path / "restored"
    url, name = None, None
    if POSTGRES:
        name = f"{connection.settings_dict['NAME']}_r{secrets.token_hex(4)}"
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        url = _database_url({**connection.settings_dict, "NAME": name})

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*TANGGUH, *args],
            env=_env(data, url, **extra),
            capture_output=True,
            text=True,
            timeout=300,
        )

    yield type("Fresh", (), {"data": data, "url": url, "run": staticmethod(run)})
    if name:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _objects(dest: Path) -> dict[str, int]:
    return {str(p): p.stat().st_size for p in (dest / "objects").rglob("*") if p.is_file()}


def _manifest(dest: Path, report) -> dict:
    token = report.manifest_path.read_text().strip()
    return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))


def _age_open(path: Path, identity: Path) -> bytes:
    return subprocess.run(
        [AGE, "-d", "-i", str(identity), str(path)], check=True, capture_output=True
    ).stdout


# --- create and verify -------------------------------------------------------------------------


def test_a_backup_is_signed_encrypted_for_the_age_cli_and_verifies(bid, tmp_path, recovery, node):
    identity, recipient = recovery
    dest = tmp_path / "dest"
    (node / "secret_key").write_text("k" * 50)
    (node / "mail").mkdir()
    (node / "mail" / "20240624-1.eml").write_text("Subject: Tanda terima\n")
    (node / "static").mkdir()
    (node / "static" / "app.css").write_text("body{}")  # rebuilt from the code, not copied
    report = backup_create(dest=dest, recipients=[recipient])
    seq, head = audit_head()
    assert (report.audit_size, report.audit_head) == (seq, head)

    # The manifest is a JWS any JOSE library verifies against the node's published JWKS.
    token = report.manifest_path.read_text().strip()
    verified = jws.deserialize_compact(
        token, KeySet.import_key_set(node_keyring().jwks()), algorithms=["EdDSA"]
    )
    manifest = parse_manifest(json.loads(verified.payload))
    assert manifest.audit_size == seq and manifest.audit_head == head
    assert manifest.recipients == (recipient,)
    roles = {item.role for item in manifest.items}
    assert roles == {"database", "blob", "key", "file"}
    for item in manifest.items:
        path = dest / item.object
        assert path.stat().st_size == item.cipher_size
        assert hashlib.sha256(path.read_bytes()).hexdigest() == item.cipher_sha256

    # The reference age CLI opens every kind of item with the recovery identity.
    envelope = next(i for i in manifest.items if i.name == bid.body["sha256"])
    assert _age_open(dest / envelope.object, identity) == bid.sealed
    database = manifest.database
    plain = _age_open(dest / database.object, identity)
    assert hashlib.sha256(plain).hexdigest() == database.sha256
    if POSTGRES:
        assert database.name == "database.pgdump" and plain.startswith(b"PGDMP")
    else:
        copy = tmp_path / "copy.sqlite3"
        copy.write_bytes(plain)
        row = sqlite3.connect(copy).execute("SELECT seq, hash FROM audit_audithead").fetchone()
        assert tuple(row) == (seq, head)
    active = node_keyring().active().kid
    key = next(i for i in manifest.items if i.name == f"{active}.pem")
    assert key.mode == 0o600 and b"PRIVATE KEY" in _age_open(dest / key.object, identity)
    files = {i.name: i for i in manifest.of_role("file")}
    assert set(files) == {"secret_key", "mail/20240624-1.eml"}
    assert _age_open(dest / files["secret_key"].object, identity) == b"k" * 50

    checks = backup_verify(dest=dest)
    assert [c.ok for c in checks] == [True] and checks[0].kid == active
    out = _call("verify", str(dest))
    assert "OK: 1 backup(s) verified" in out and "FAILED" not in out
    # After a key rotation the backup still verifies: retired keys count.
    node_keyring().rotate()
    [check] = backup_verify(dest=dest)
    assert check.ok and check.kid == active and check.key_retired


def _call(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("backup", *args, stdout=out)
    return out.getvalue()


def test_a_flipped_byte_and_a_missing_object_are_named(bid, tmp_path, recovery):
    dest = tmp_path / "dest"
    report = backup_create(dest=dest, recipients=[recovery[1]])
    manifest = parse_manifest(_manifest(dest, report))
    envelope = next(i for i in manifest.items if i.name == bid.body["sha256"])
    flipped = bytearray((dest / envelope.object).read_bytes())
    flipped[len(flipped) // 2] ^= 0x01
    (dest / envelope.object).write_bytes(bytes(flipped))
    # With the recovery key the flipped byte is caught as well.
    proof = backup_verify_restore(dest=dest, identity_paths=[recovery[0]])
    assert [p.code for p in proof.problems] == ["backup.object_digest"]
    assert bid.body["sha256"] in proof.problems[0].detail
    key = manifest.of_role("key")[0]
    (dest / key.object).unlink()

    [check] = backup_verify(dest=dest)
    codes = {p.code: p.detail for p in check.problems}
    assert set(codes) == {"backup.object_digest", "backup.object_missing"}
    assert f"blob {bid.body['sha256']}" in str(check.problems)
    assert key.object in codes["backup.object_missing"]
    with pytest.raises(CommandError, match=r"backup\.object_"):
        _call("verify", str(dest))
    with pytest.raises(ServiceError) as refused:
        backup_restore(dest=dest, identity_paths=[recovery[0]], no_checkpoint=True, force=True)
    assert refused.value.code == "backup.invalid"


def test_a_restore_with_a_missing_file_changes_nothing(bid, tmp_path, recovery, node):
    dest = tmp_path / "dest"
    report = backup_create(dest=dest, recipients=[recovery[1]])
    manifest = parse_manifest(_manifest(dest, report))
    envelope = next(i for i in manifest.items if i.name == bid.body["sha256"])
    (dest / envelope.object).unlink()
    before = sorted(str(p) for p in node.rglob("*"))
    with pytest.raises(ServiceError) as refused:
        backup_restore(dest=dest, identity_paths=[recovery[0]], no_checkpoint=True, force=True)
    assert refused.value.code == "backup.invalid"
    assert f"blob {bid.body['sha256']}" in str(refused.value)
    assert sorted(str(p) for p in node.rglob("*")) == before
    assert audit_head() == (report.audit_size, report.audit_head)


def test_a_manifest_signed_by_another_node_or_altered_is_refused(bid, tmp_path, recovery):
    dest = tmp_path / "dest"
    report = backup_create(dest=dest, recipients=[recovery[1]])
    original = report.manifest_path.read_text()
    payload = _manifest(dest, report)

    other = Keyring(tmp_path / "other-node-keys")
    report.manifest_path.write_text(sign_payload(payload, keyring=other))
    [check] = backup_verify(dest=dest)
    assert [p.code for p in check.problems] == ["backup.unknown_key"]
    assert "another node" in check.problems[0].detail
    with pytest.raises(ServiceError) as refused:
        backup_restore(dest=dest, identity_paths=[recovery[0]], no_checkpoint=True, force=True)
    assert refused.value.code == "backup.invalid" and "backup.unknown_key" in str(refused.value)

    header, _, signature = original.strip().split(".")
    altered = dict(payload, audit_head={"size": 1, "hash": "0" * 64})
    forged_body = base64.urlsafe_b64encode(json.dumps(altered).encode()).rstrip(b"=").decode()
    report.manifest_path.write_text(f"{header}.{forged_body}.{signature}")
    [check] = backup_verify(dest=dest)
    assert [p.code for p in check.problems] == ["backup.bad_signature"]


def test_a_wrong_recovery_key_is_named_and_restore_refuses(bid, tmp_path, recovery):
    dest = tmp_path / "dest"
    backup_create(dest=dest, recipients=[recovery[1]])
    wrong, _ = make_age_identity(tmp_path)
    check = backup_verify_restore(dest=dest, identity_paths=[wrong])
    assert [p.code for p in check.problems] == ["backup.wrong_key"]
    with pytest.raises(ServiceError) as refused:
        backup_restore(dest=dest, identity_paths=[wrong], no_checkpoint=True, force=True)
    assert "backup.wrong_key" in str(refused.value)


def test_a_second_backup_copies_no_unchanged_file(api, bid, tmp_path, recovery):
    dest = tmp_path / "dest"
    first = backup_create(dest=dest, recipients=[recovery[1]])
    before = _objects(dest)
    assert first.reused == 0 and first.written == len(before)

    # One more sealed envelope (a new file) and its audit event (a new database).
    replacement = seal(b"penawaran pengganti", bid.bidder.recipient)
    assert put(api, bid.bidder.token, bid.bidder.tender, "offer", replacement).status_code == 201
    second = backup_create(dest=dest, recipients=[recovery[1]])
    after = _objects(dest)
    new = {name: size for name, size in after.items() if name not in before}
    assert len(new) == 2 == second.written  # the database and the new envelope, nothing else
    assert second.written_bytes == sum(new.values())
    assert second.reused == first.items - 1 and second.items == first.items + 1
    assert {n: s for n, s in after.items() if n in before} == before  # untouched
    assert all(c.ok for c in backup_verify(dest=dest))

    # A backup to another recipient set shares nothing with the first (an old key never
    # opens a new backup).
    _, other = make_age_identity(tmp_path)
    third = backup_create(dest=dest, recipients=[other])
    assert third.reused == 0 and third.written == second.items


def test_verify_restore_proves_the_chain_and_names_a_broken_event(bid, tmp_path, recovery):
    dest = tmp_path / "dest"
    backup_create(dest=dest, recipients=[recovery[1]])
    check = backup_verify_restore(dest=dest, identity_paths=[recovery[0]])
    assert check.ok, check.problems
    assert (check.restored_events, check.restored_head) == audit_head()
    assert check.plain_checked == len(check.manifest.items)
    out = _call("verify", "--restore", str(dest), "--identity", str(recovery[0]))
    assert "restored into a scratch database" in out and "OK" in out

    # An event altered on the node (behind the triggers' back) is caught in the backup.
    with connection.cursor() as cursor:
        for sql in remove_statements(connection.vendor):
            cursor.execute(sql)
        cursor.execute("UPDATE audit_auditevent SET actor = 'someone else' WHERE seq = 2")
        for sql in install_statements(connection.vendor):
            cursor.execute(sql)
    backup_create(dest=dest, recipients=[recovery[1]])
    broken = backup_verify_restore(dest=dest, identity_paths=[recovery[0]])
    assert [p.code for p in broken.problems] == ["backup.audit_chain"]
    assert "event #2" in broken.problems[0].detail


def test_a_full_disk_leaves_no_backup_looking_complete(bid, tmp_path, recovery, node):
    dest = tmp_path / "dest"
    big = os.urandom(3_000_000)  # a file larger than the limit below
    node_blobs().put([big], max_size=10_000_000)

    def limited():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2_000_000, 2_000_000))

    env = _env(
        node,
        _database_url(connection.settings_dict),
        TANGGUH_SIGNING_KEY_DIR=str(node / "keys"),
    )
    result = subprocess.run(
        [*TANGGUH, "backup", "create", str(dest), "--recipient", recovery[1]],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limited,
    )
    assert result.returncode == 1, result.stderr
    assert "[backup.no_space]" in result.stderr and "no manifest" in result.stderr
    assert list((dest / "manifests").iterdir()) == []
    assert list((dest / "tmp").iterdir()) == []
    with pytest.raises(ServiceError) as nothing:
        backup_verify(dest=dest)
    assert nothing.value.code == "backup.not_found"
    # What the failed run left (whole objects only) does not spoil the next backup.
    backup_create(dest=dest, recipients=[recovery[1]])
    assert [c.ok for c in backup_verify(dest=dest)] == [True]


# --- restore -------------------------------------------------------------------------------


def test_restore_refuses_a_node_that_is_not_empty(bid, tmp_path, recovery):
    dest = tmp_path / "dest"
    backup_create(dest=dest, recipients=[recovery[1]])
    with pytest.raises(ServiceError) as refused:
        backup_restore(dest=dest, identity_paths=[recovery[0]], no_checkpoint=True)
    assert refused.value.code == "backup.target_not_empty"
    with pytest.raises(ServiceError) as unsure:
        backup_restore(dest=dest, identity_paths=[recovery[0]])
    assert unsure.value.code == "backup.checkpoint_required"


def test_restore_drill_the_node_comes_back_and_serves(bid, tmp_path, recovery, node, fresh):
    """create → destroy the data directory → restore → same audit head, same files, same
    keys, and the node serves."""
    dest = tmp_path / "dest"
    checkpoint = tmp_path / "checkpoint.jws"
    checkpoint.write_text(checkpoint_make().token)  # kept outside; the backup extends it
    report = backup_create(dest=dest, recipients=[recovery[1]])
    files = {p.name: p.read_bytes() for p in (node / "files" / "sha256").rglob("*") if p.is_file()}
    kid = node_keyring().active().kid
    shutil.rmtree(node)

    restored = fresh.run(
        "backup", "restore", str(dest), "--identity", str(recovery[0]),
        "--checkpoint", str(checkpoint),
    )  # fmt: skip
    assert restored.returncode == 0, restored.stderr
    assert "extended" in restored.stdout
    verify = fresh.run("audit", "verify")
    assert verify.returncode == 0, verify.stderr
    assert f"OK: {report.audit_size} events, head {report.audit_head}" in verify.stdout
    back = {
        p.name: p.read_bytes() for p in (fresh.data / "files" / "sha256").rglob("*") if p.is_file()
    }
    assert back == files
    receipt = tmp_path / "receipt.jws"
    receipt.write_text(bid.body["receipt"])
    genuine = fresh.run("receipt", "verify", str(receipt))
    assert genuine.returncode == 0 and "Recorded on this node: yes" in genuine.stdout

    port = _free_port()
    server = _start_server(
        _env(fresh.data, fresh.url, DJANGO_SETTINGS_MODULE="tangguh.settings"), port
    )
    try:
        base = f"http://127.0.0.1:{port}"
        assert json.loads(urlopen_text(f"{base}/healthz"))["status"] == "ok"
        assert json.loads(urlopen_text(f"{base}/api/v1/node"))["jwks"]["keys"][0]["kid"] == kid
        code = bid.bidder.tender.code
        assert json.loads(urlopen_text(f"{base}/api/v1/tenders/{code}"))["code"] == code
    finally:
        _kill(server)


def test_a_restore_older_than_the_checkpoint_is_refused_and_forcing_it_is_recorded(
    bid, tmp_path, recovery, fresh
):
    dest = tmp_path / "dest"
    report = backup_create(dest=dest, recipients=[recovery[1]])
    clock_module.get_clock().move(timedelta(hours=1))
    audit_append(actor="test", action="test.after_backup", object_type="t", object_id=1)
    checkpoint = tmp_path / "checkpoint.json"
    made = checkpoint_make()
    checkpoint.write_text(json.dumps({"checkpoint": made.token}))  # as the API returns it

    args = ("backup", "restore", str(dest), "--identity", str(recovery[0]), "--checkpoint")
    refused = fresh.run(*args, str(checkpoint))
    assert refused.returncode == 1
    assert "[backup.older_than_checkpoint]" in refused.stderr
    assert "checkpoint.log_shorter" in refused.stderr
    # Nothing was installed: no keys, no files, no database.
    assert not (fresh.data / "keys").exists() and not (fresh.data / "files").exists()
    assert not (fresh.data / "tangguh.sqlite3").exists()

    forced = fresh.run(*args, str(checkpoint), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "FORCED" in forced.stdout
    verify = fresh.run("audit", "verify")
    assert verify.returncode == 0, verify.stderr
    assert verify.stdout.startswith(f"OK: {report.audit_size + 1} events")
    last = fresh.run(
        "shell",
        "-c",
        "from tangguh.audit.models import AuditEvent as E; import json; "
        "e = E.objects.order_by('-seq').first(); print(json.dumps([e.action, e.payload]))",
    )
    action, payload = json.loads(last.stdout.strip().splitlines()[-1])
    assert action == "backup.restore_forced"
    assert payload["checkpoint"]["size"] == made.size == report.audit_size + 1
    assert payload["restored_head"] == {"size": report.audit_size, "hash": report.audit_head}
    assert payload["reason"] == "checkpoint.log_shorter"


def test_a_checkpoint_of_another_node_is_refused(bid, tmp_path, recovery):
    dest = tmp_path / "dest"
    backup_create(dest=dest, recipients=[recovery[1]])
    other = Keyring(tmp_path / "other-node-keys")
    seq, head = audit_head()
    foreign = sign_payload(
        {"typ": "tangguh.checkpoint/1", "node": "x", "size": seq, "head_hash": head, "time": "t"},
        keyring=other,
    )
    with pytest.raises(ServiceError) as refused:
        backup_restore(dest=dest, identity_paths=[recovery[0]], checkpoint=foreign, force=True)
    assert refused.value.code == "checkpoint.other_node"
    assert node_jwks()["keys"]  # this node's own keys were never touched
    assert AuditEvent.objects.filter(action="backup.restore_forced").count() == 0
