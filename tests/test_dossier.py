"""The auditor dossier of a tender through opening (three bids sealed with the ``age`` CLI and
opened by the quorum, as in tests/test_awards.py): exported on the command line and streamed
over the API to an auditor, it verifies; a tampered file, a removed file, a manifest edited
after signing, one re-signed with another key, and an altered audit event are each named by
``tangguh audit verify --dossier``; sealed bid contents are not in it."""

from __future__ import annotations

import hashlib
import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tangguh.audit.models import AuditEvent
from tangguh.bids.models import Envelope, OpenedEnvelope
from tangguh.core.blobs import node_blobs
from tangguh.core.keys import Keyring, b64url
from tangguh.core.signing import b64url_decode, sign_payload
from tangguh.domain.roles import Role
from tests.test_awards import open_three_bids

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:EdDSA is deprecated"),
]


@pytest.fixture(autouse=True)
def _own_blob_store(settings, tmp_path):
    settings.TANGGUH_DATA_DIR = tmp_path / "data"


@pytest.fixture
def exported(api, org, tmp_path):
    state = open_three_bids(api, org, tmp_path)
    dest = tmp_path / "dossier"
    out = StringIO()
    call_command("audit", "dossier", state.tender.code, str(dest), stdout=out)
    assert f"dossier of {state.tender.code} written" in out.getvalue()
    state.dest = dest
    return state


def _verify(path: Path) -> str:
    out = StringIO()
    call_command("audit", "verify", "--dossier", str(path), stdout=out)
    return out.getvalue()


def _broken(path: Path) -> str:
    with pytest.raises(CommandError) as caught:
        _verify(path)
    return str(caught.value)


def _copy(exported, name: str) -> Path:
    target = exported.dest.parent / name
    shutil.copytree(exported.dest, target)
    return target


def _manifest(path: Path) -> dict:
    token = (path / "manifest.jws").read_text().strip()
    return json.loads(b64url_decode(token.split(".")[1]))


def test_the_exported_dossier_holds_the_tender_and_verifies(exported):
    dest = exported.dest
    names = {p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()}
    receipts = sorted(n for n in names if n.startswith("receipts/"))
    assert len(receipts) == 3
    assert any(n.startswith("documents/") and "ba-pembukaan" in n for n in names)
    assert any(n.startswith("documents/") and "dokumen-pemilihan" in n for n in names)
    documents = [n for n in names if n.startswith("documents/")]
    assert len(documents) == exported.tender.documents.count()  # every document and minute
    for name in ("closing-statement.jws", "checkpoint.jws", "jwks.json", "opening-list.json"):
        assert name in names
    opening = json.loads((dest / "opening-list.json").read_text())
    prices = {e["total_price"] for o in opening["openings"] for e in o["envelopes"]}
    assert prices == {"2389450000.00", "2300000000.00", "1875162000.00"}
    events = [json.loads(line) for line in (dest / "audit-events.jsonl").read_text().splitlines()]
    actions = [e["action"] for e in events]
    assert actions.count("bid.received") == 3
    assert "bid.closing_signed" in actions and "opening.opened" in actions
    assert actions[-1] == "read.sensitive"  # the export itself, inside the checkpoint
    checkpoint = _manifest(dest)["checkpoint"]
    assert events[-1]["seq"] <= checkpoint["size"]
    # manifest lists every file but itself, each with its real digest
    listed = {f["path"]: f["sha256"] for f in _manifest(dest)["files"]}
    assert set(listed) == names - {"manifest.jws", "manifest.json"}
    for name, digest in listed.items():
        assert hashlib.sha256((dest / name).read_bytes()).hexdigest() == digest
    # sealed bid contents are not in it, opened or not
    sealed = set(Envelope.objects.values_list("sha256", flat=True))
    opened = set(
        OpenedEnvelope.objects.exclude(plain_sha256="").values_list("plain_sha256", flat=True)
    )
    assert opened and not (set(listed.values()) & (sealed | opened))

    report = _verify(dest)
    assert report.startswith("OK")
    assert "3 receipts verify" in report
    assert "the closing statement verifies (3 envelopes)" in report
    assert "every included event is in this node's log" in report
    assert "extends the checkpoint" in report


def test_a_tampered_and_a_removed_file_are_named(exported):
    tampered = _copy(exported, "tampered")
    minutes = next((tampered / "documents").glob("*ba-pembukaan*"))
    minutes.write_bytes(minutes.read_bytes() + b"%")
    message = _broken(tampered)
    assert f"documents/{minutes.name}: file.altered" in message

    removed = _copy(exported, "removed")
    receipt = sorted((removed / "receipts").iterdir())[0]
    receipt.unlink()
    message = _broken(removed)
    assert f"receipts/{receipt.name}: file.missing" in message
    assert "closing-statement.jws: closing.receipt_missing" in message


def test_a_forged_manifest_is_named(exported, tmp_path):
    # 1. edited after signing: the signature no longer matches
    edited = _copy(exported, "edited")
    minutes = next((edited / "documents").glob("*ba-pembukaan*"))
    minutes.write_bytes(b"%PDF-1.4 forged minutes")
    header, _, signature = (edited / "manifest.jws").read_text().strip().split(".")
    manifest = _manifest(edited)
    for entry in manifest["files"]:
        if entry["path"] == f"documents/{minutes.name}":
            entry["sha256"] = hashlib.sha256(minutes.read_bytes()).hexdigest()
            entry["size"] = minutes.stat().st_size
    body = b64url(json.dumps(manifest, separators=(",", ":")).encode())
    (edited / "manifest.jws").write_text(f"{header}.{body}.{signature}\n")
    message = _broken(edited)
    assert "manifest.jws: signature.bad_signature" in message
    assert "manifest.jws: manifest.forged" in message

    # 2. re-signed with another key whose JWKS replaces the dossier's: it verifies against the
    # dossier's own jwks.json, but not against this node's keys
    resigned = _copy(exported, "resigned")
    other = Keyring(tmp_path / "other-keys")
    (resigned / "manifest.jws").write_text(sign_payload(_manifest(resigned), keyring=other))
    jwks = json.dumps(other.jwks()).encode()
    (resigned / "jwks.json").write_bytes(jwks)
    message = _broken(resigned)
    assert "manifest.jws: signature.not_this_node" in message


def test_an_altered_audit_event_is_named_even_under_a_fresh_signature(exported):
    altered = _copy(exported, "altered")
    path = altered / "audit-events.jsonl"
    lines = path.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if '"opening.opened"' in line)
    event = json.loads(lines[index])
    event["payload"]["shares_erased"] = 0
    lines[index] = json.dumps(event, ensure_ascii=False, sort_keys=True)
    path.write_text("\n".join(lines) + "\n")
    # the node's own key re-signs the manifest (a node lying about its own log)
    manifest = _manifest(altered)
    content = path.read_bytes()
    for entry in manifest["files"]:
        if entry["path"] == "audit-events.jsonl":
            entry["sha256"] = hashlib.sha256(content).hexdigest()
            entry["size"] = len(content)
    manifest.pop("env", None)
    (altered / "manifest.jws").write_text(sign_payload(manifest))
    (altered / "manifest.json").unlink()
    message = _broken(altered)
    assert f"audit-events.jsonl: event.altered: event #{event['seq']}" in message
    assert "audit-events.jsonl: event.not_in_log" in message


def test_an_auditor_streams_the_dossier_as_a_tar_and_it_verifies(api, org, tmp_path):
    state = open_three_bids(api, org, tmp_path)
    code = state.tender.code
    vendor = api.call(
        "GET", f"/tenders/{code}/dossier", token=api.token_for(org.users[Role.VENDOR])
    )
    assert vendor.status_code == 403
    response = api.call(
        "GET", f"/tenders/{code}/dossier", token=api.token_for(org.users[Role.AUDITOR])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-tar"
    assert f"dossier-{code}.tar" in response["Content-Disposition"]
    tar = tmp_path / "dossier.tar"
    tar.write_bytes(b"".join(response.streaming_content))
    report = _verify(tar)
    assert report.startswith("OK") and "3 receipts verify" in report

    # the command line writes the same tar
    written = tmp_path / "cli.tar"
    call_command("audit", "dossier", code, str(written), stdout=StringIO())
    assert _verify(written).startswith("OK")
    with pytest.raises(CommandError, match="exists"):
        call_command("audit", "dossier", code, str(written), stdout=StringIO())
    with pytest.raises(CommandError, match="no tender"):
        call_command("audit", "dossier", "NOPE", str(tmp_path / "x"), stdout=StringIO())

    # a document missing from storage: refused before anything is recorded or written
    document = state.tender.documents.first()
    node_blobs().path(document.sha256).unlink()
    events = AuditEvent.objects.count()
    with pytest.raises(CommandError, match=r"dossier\.document_missing"):
        call_command("audit", "dossier", code, str(tmp_path / "y"), stdout=StringIO())
    assert AuditEvent.objects.count() == events and not (tmp_path / "y").exists()
