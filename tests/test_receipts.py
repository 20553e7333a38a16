"""Receipts and the closing statement: ``verify_receipt`` (genuine, forged, unknown key,
malformed), ``tangguh receipt verify`` exit codes, the public page Verifikasi Tanda Terima, and
the closing statement signed on the first request after the deadline."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from joserfc import jws
from joserfc.jwk import KeySet

from tangguh import clock as clock_module
from tangguh.audit.models import AuditEvent, Checkpoint
from tangguh.audit.selectors import audit_verify
from tangguh.audit.services.checkpoints import checkpoint_verify
from tangguh.bids.models import ClosingStatement
from tangguh.bids.services.closing import closing_statement_sign
from tangguh.bids.services.receipts import (
    ReceiptBadSignature,
    ReceiptMalformed,
    ReceiptUnknownKey,
    describe_receipt,
    verify_receipt,
)
from tangguh.core.keys import Keyring, node_keyring
from tangguh.core.signing import sign_payload
from tangguh.domain.roles import Role
from tangguh.testing import factories
from tests.test_bids_upload import make_age_identity, put, seal
from tests.test_participation import approve, make_tender, register

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:EdDSA is deprecated"),
]


@pytest.fixture(autouse=True)
def _own_blob_store(settings, tmp_path):
    """A blob store of this test's own, so "nothing stored" is exact even beside other tests."""
    settings.TANGGUH_DATA_DIR = tmp_path / "data"


@pytest.fixture(scope="module")
def age_identity(tmp_path_factory):
    return make_age_identity(tmp_path_factory.mktemp("age"))


@pytest.fixture
def receipt(api, org, age_identity):
    approve(org)
    tender = make_tender(org)
    token = api.token_for(org.users[Role.VENDOR])
    register(api, token, tender)
    response = put(api, token, tender, "offer", seal(b"penawaran", age_identity[1]))
    assert response.status_code == 201, response.content
    return response.json()["receipt"]


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["size"] += 1
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


# --- verify_receipt -------------------------------------------------------------------------------


def test_a_genuine_receipt_verifies_and_names_what_it_proves(receipt, org):
    verified = verify_receipt(receipt, node_keyring().jwks())
    assert verified.payload["vendor"]["nib"] == org.company.nib
    assert not verified.key_retired


def test_a_receipt_cites_a_checkpoint_the_log_still_extends(receipt):
    claims = verify_receipt(receipt, node_keyring().jwks()).payload
    cited = claims["checkpoint"]
    assert cited["size"] < claims["audit_index"]  # made before this bid was recorded
    assert cited["kid"] == node_keyring().active().kid
    kept = Checkpoint.objects.get(size=cited["size"], head_hash=cited["head_hash"])
    assert checkpoint_verify(kept.token).ok
    rows = dict((en, value) for _, en, value in describe_receipt(claims))
    assert rows["Latest log checkpoint"].startswith(f"#{cited['size']} {cited['head_hash']}")


def test_a_receipt_signed_before_a_key_rotation_still_verifies(receipt):
    node_keyring().rotate()
    verified = verify_receipt(receipt, node_keyring().jwks())
    assert verified.key_retired


def test_forged_unknown_and_malformed_receipts_are_refused(receipt, tmp_path):
    jwks = node_keyring().jwks()
    with pytest.raises(ReceiptBadSignature):
        verify_receipt(_tamper(receipt), jwks)
    other = sign_payload({"sha256": "0" * 64}, keyring=Keyring(tmp_path / "other"))
    with pytest.raises(ReceiptUnknownKey):
        verify_receipt(other, jwks)
    for bad in ["", "abc", "a.b", "!!.??.##", receipt + ".x"]:
        with pytest.raises(ReceiptMalformed):
            verify_receipt(bad, jwks)
    header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    with pytest.raises(ReceiptMalformed):
        verify_receipt(header + "." + receipt.split(".", 1)[1], jwks)


# --- the CLI ----------------------------------------------------------------------------------


def test_cli_verifies_against_this_node_and_says_it_is_recorded(receipt, tmp_path, capsys):
    path = tmp_path / "receipt.jws"
    path.write_text(receipt)
    call_command("receipt", "verify", str(path))
    out = capsys.readouterr().out
    assert "GENUINE" in out and "Recorded on this node: yes (current)" in out
    path.write_text(_tamper(receipt))
    with pytest.raises(CommandError, match=r"receipt\.bad_signature"):
        call_command("receipt", "verify", str(path))


def test_cli_exit_codes_with_a_jwks_file(receipt, tmp_path):
    good, forged, jwks = tmp_path / "good.jws", tmp_path / "forged.jws", tmp_path / "node.json"
    good.write_text(receipt + "\n")
    forged.write_text(_tamper(receipt))
    jwks.write_text(json.dumps({"name": "node", "jwks": node_keyring().jwks()}))
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "TANGGUH_DATA_DIR"}}
    env.update(TANGGUH_ENV="sandbox", TANGGUH_DATA_DIR=str(tmp_path / "elsewhere"))

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "tangguh", "receipt", "verify", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    ok = run(str(good), "--jwks", str(jwks))
    assert ok.returncode == 0, ok.stderr
    assert "GENUINE" in ok.stdout and "SHA-256" in ok.stdout
    bad = run(str(forged), "--jwks", str(jwks))
    assert bad.returncode == 1 and "receipt.bad_signature" in bad.stderr


# --- the public page ----------------------------------------------------------------------------


def test_the_public_page_says_genuine_or_not(receipt, client):
    page = client.get("/verifikasi-tanda-terima/")
    assert page.status_code == 200
    assert "Verifikasi Tanda Terima" in page.content.decode()

    genuine = client.post("/verifikasi-tanda-terima/", {"receipt": receipt}).content.decode()
    assert 'data-result="valid"' in genuine and "ASLI" in genuine
    assert 'data-recorded="yes"' in genuine and "berlaku" in genuine

    forged = client.post("/verifikasi-tanda-terima/", {"receipt": _tamper(receipt)})
    text = forged.content.decode()
    assert 'data-result="invalid"' in text and "TIDAK ASLI" in text
    assert "receipt.bad_signature" in text

    junk = client.post("/verifikasi-tanda-terima/", {"receipt": "bukan tanda terima"})
    assert "receipt.malformed" in junk.content.decode()


# --- the closing statement ------------------------------------------------------------------------


def test_the_closing_statement_lists_exactly_the_current_envelopes(api, org, age_identity):
    approve(org)
    tender = make_tender(org)
    recipient = age_identity[1]
    vendors = [(org.company, org.users[Role.VENDOR])]
    for _ in range(2):
        company, user = factories.make_vendor()
        approve(org, company)
        vendors.append((company, user))
    tokens = [api.token_for(user) for _, user in vendors]
    for token in tokens:
        assert register(api, token, tender).status_code == 201

    kept = []
    first = put(api, tokens[0], tender, "offer", seal(b"A1", recipient)).json()  # superseded
    kept.append(put(api, tokens[0], tender, "offer", seal(b"A2", recipient)).json())
    put(api, tokens[1], tender, "offer", seal(b"B1", recipient))
    api.call("DELETE", f"/tenders/{tender.code}/bids/mine/offer", token=tokens[1])  # withdrawn
    kept.append(put(api, tokens[2], tender, "offer", seal(b"C1", recipient)).json())

    path = f"/tenders/{tender.code}/closing-statement"
    early = api.call("GET", path)
    assert early.status_code == 409 and early.json()["code"] == "bid.deadline_not_passed"
    assert not ClosingStatement.objects.exists()

    clock_module.get_clock().move(timedelta(days=7))
    response = api.call("GET", path)
    assert response.status_code == 200, response.content
    body = response.json()
    document = body["document"]
    assert document["count"] == 2
    assert [e["sha256"] for e in document["envelopes"]] == [k["sha256"] for k in kept]
    assert first["sha256"] not in json.dumps(document)
    assert {e["company_nib"] for e in document["envelopes"]} == {
        vendors[0][0].nib,
        vendors[2][0].nib,
    }
    assert document["tender"] == tender.code
    assert (
        document["audit_head"]["seq"]
        == AuditEvent.objects.filter(action="bid.closing_signed").get().seq - 1
    )

    node = api.call("GET", "/node").json()
    signed = jws.deserialize_compact(
        body["signature"], KeySet.import_key_set(node["jwks"]), algorithms=["EdDSA"]
    )
    assert json.loads(signed.payload) == document

    # idempotent: later requests return the very same statement
    clock_module.get_clock().move(timedelta(hours=1))
    assert api.call("GET", path).json() == body
    assert closing_statement_sign(tender).signature == body["signature"]
    assert AuditEvent.objects.filter(action="bid.closing_signed").count() == 1
    assert audit_verify().ok


def test_no_bid_is_recorded_once_the_closing_statement_is_signed(api, org, age_identity):
    approve(org)
    tender = make_tender(org)
    token = api.token_for(org.users[Role.VENDOR])
    register(api, token, tender)
    clock_module.get_clock().move(timedelta(days=7))
    statement = closing_statement_sign(tender)
    assert statement.document["count"] == 0
    late = api.token_for(org.users[Role.VENDOR])
    response = put(api, late, tender, "offer", seal(b"late", age_identity[1]))
    assert response.status_code == 409 and response.json()["code"] == "bid.deadline_passed"


def test_a_bid_whose_transaction_comes_after_the_closing_statement_is_refused(
    api,
    org,
    age_identity,
    monkeypatch,
):
    """Its last byte was durable before the deadline, but the closing statement was signed
    before its transaction: refused (no receipt), so the statement lists every receipted bid."""
    from tangguh.bids.services import upload

    approve(org)
    tender = make_tender(org)
    token = api.token_for(org.users[Role.VENDOR])
    register(api, token, tender)
    clock_module.get_clock().move(timedelta(days=7) - timedelta(seconds=1))
    token = api.token_for(org.users[Role.VENDOR])
    original = upload._record

    def closing_first(**kwargs):
        clock_module.get_clock().move(timedelta(seconds=2))
        closing_statement_sign(kwargs["target"].tender)
        return original(**kwargs)

    monkeypatch.setattr(upload, "_record", closing_first)
    response = put(api, token, tender, "offer", seal(b"tepat waktu", age_identity[1]))
    assert response.status_code == 409 and response.json()["code"] == "bid.closed"
    assert ClosingStatement.objects.get(tender=tender).document["count"] == 0
