"""Re-depositing sealed envelopes with their receipts after a restore:
``POST /api/v1/tenders/{code}/bids/redeposit`` (vendors) and ``tangguh backup redeposit``
(the administrator). A bid acknowledged after the last backup comes back with its original
receive time; a file that is not the one on the receipt, a forged receipt, a receipt of another
tender or company, and a re-deposit after the closing statement are refused, storing nothing."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tangguh import clock as clock_module
from tangguh.audit.models import AuditEvent
from tangguh.audit.selectors import audit_verify
from tangguh.backups.services.create import backup_create
from tangguh.bids.models import Envelope
from tangguh.bids.services.closing import closing_statement_sign
from tangguh.core.blobs import node_blobs
from tangguh.domain.roles import Role
from tangguh.testing import factories
from tests.test_backups import fresh, node, recovery  # noqa: F401 - fixtures
from tests.test_bids_upload import age_identity, bidder, put, seal  # noqa: F401 - fixtures
from tests.test_participation import approve, register

pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")


def redeposit(api, token, code, data: bytes, receipt: str | None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if receipt is not None:
        headers["HTTP_TANGGUH_RECEIPT"] = receipt
    return api.client.post(
        f"/api/v1/tenders/{code}/bids/redeposit",
        data=data,
        content_type="application/octet-stream",
        **headers,
    )


def _lose(envelope_sha: str) -> None:
    """What a restore from an older backup does to a bid acknowledged after it: the row and
    the sealed bytes are gone (the receipt, kept by the vendor, is not)."""
    Envelope.objects.filter(sha256=envelope_sha).delete()
    node_blobs().path(envelope_sha).unlink()


@pytest.fixture
def uploaded(api, bidder):  # noqa: F811 - the imported fixture
    sealed = seal(b"penawaran yang diterima setelah cadangan " * 300, bidder.recipient)
    response = put(api, bidder.token, bidder.tender, "offer", sealed)
    assert response.status_code == 201, response.content
    body = response.json()
    return type("Uploaded", (), {"sealed": sealed, "body": body, "bidder": bidder})


def _refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["code"] == code, response.json()


# --- the API, on a node that lost a bid ----------------------------------------------------


@pytest.mark.django_db
def test_a_lost_envelope_comes_back_with_its_original_receive_time(api, uploaded):
    vendor, body = uploaded.bidder, uploaded.body
    received = Envelope.objects.get(sha256=body["sha256"]).received_at
    _lose(body["sha256"])
    clock_module.get_clock().move(timedelta(hours=3))  # service came back later

    response = redeposit(api, vendor.token, vendor.tender.code, uploaded.sealed, body["receipt"])
    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["status"] == "current" and answer["recorded"] and answer["file_restored"]
    assert answer["received_at"] == body["received_at"]
    envelope = Envelope.objects.get(sha256=body["sha256"])
    assert envelope.received_at == received  # not the time of the re-deposit
    assert envelope.receipt == body["receipt"]
    with node_blobs().open(body["sha256"]) as handle:
        assert handle.read() == uploaded.sealed
    event = AuditEvent.objects.get(action="bid.redeposited")
    assert event.seq == envelope.audit_seq
    assert event.payload["sha256"] == body["sha256"]
    assert event.payload["receipt_audit_index"] is not None
    assert audit_verify().ok
    # The public receipt check finds the re-deposited envelope although its audit index is new.
    page = api.client.post("/verifikasi-tanda-terima/", {"receipt": body["receipt"]})
    assert page.status_code == 200
    assert 'data-recorded="yes"' in page.content.decode()

    again = redeposit(api, vendor.token, vendor.tender.code, uploaded.sealed, body["receipt"])
    assert again.status_code == 200 and not again.json()["recorded"]
    assert Envelope.objects.filter(sha256=body["sha256"]).count() == 1


@pytest.mark.django_db
def test_a_file_that_is_not_the_one_on_the_receipt_is_refused_and_not_kept(api, uploaded):
    vendor, body = uploaded.bidder, uploaded.body
    _lose(body["sha256"])
    other = bytearray(uploaded.sealed)
    other[-1] ^= 0x01  # same size, one bit different
    before = {p for p in node_blobs().root.rglob("*") if p.is_file()}
    response = redeposit(api, vendor.token, vendor.tender.code, bytes(other), body["receipt"])
    _refused(response, 422, "bid.redeposit_digest_mismatch")
    assert hashlib.sha256(bytes(other)).hexdigest() in response.json()["message"]
    assert {p for p in node_blobs().root.rglob("*") if p.is_file()} == before
    assert not Envelope.objects.filter(sha256=body["sha256"]).exists()
    short = redeposit(api, vendor.token, vendor.tender.code, uploaded.sealed[:-1], body["receipt"])
    _refused(short, 400, "bid.length_mismatch")


@pytest.mark.django_db
def test_receipts_that_do_not_prove_the_bid_are_refused(api, org, uploaded):
    vendor, body = uploaded.bidder, uploaded.body
    code = vendor.tender.code
    _lose(body["sha256"])
    header, payload, signature = body["receipt"].split(".")
    forged = f"{header}.{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    _refused(
        redeposit(api, vendor.token, code, uploaded.sealed, forged), 422, "receipt.bad_signature"
    )
    _refused(
        redeposit(api, vendor.token, code, uploaded.sealed, None),
        422,
        "bid.redeposit_receipt_required",
    )
    _refused(
        redeposit(api, vendor.token, "T2024-LAIN", uploaded.sealed, body["receipt"]),
        422,
        "bid.redeposit_wrong_tender",
    )
    # Another company's user cannot bring back this company's bid.
    company, other_vendor = factories.make_vendor("vendor.lain")
    approve(org, company)
    token = api.token_for(other_vendor)
    assert register(api, token, vendor.tender).status_code == 201
    _refused(
        redeposit(api, token, code, uploaded.sealed, body["receipt"]),
        403,
        "bid.redeposit_not_yours",
    )
    assert not Envelope.objects.filter(sha256=body["sha256"]).exists()


@pytest.mark.django_db
def test_an_older_receipt_comes_back_superseded_by_a_later_upload(api, uploaded):
    vendor, body = uploaded.bidder, uploaded.body
    _lose(body["sha256"])
    clock_module.get_clock().move(timedelta(minutes=30))
    later = seal(b"penawaran terbaru", vendor.recipient)
    assert put(api, vendor.token, vendor.tender, "offer", later).status_code == 201
    response = redeposit(api, vendor.token, vendor.tender.code, uploaded.sealed, body["receipt"])
    assert response.status_code == 201 and response.json()["status"] == "superseded"
    current = Envelope.objects.get(tender=vendor.tender, superseded_at__isnull=True)
    assert current.sha256 == hashlib.sha256(later).hexdigest()


@pytest.mark.django_db
def test_no_redeposit_once_the_closing_statement_is_signed_without_it(api, org, uploaded):
    vendor, body = uploaded.bidder, uploaded.body
    _lose(body["sha256"])
    clock_module.get_clock().move(timedelta(days=8))
    closing_statement_sign(vendor.tender)
    token = api.token_for(org.users[Role.VENDOR])
    response = redeposit(api, token, vendor.tender.code, uploaded.sealed, body["receipt"])
    _refused(response, 409, "bid.redeposit_after_closing")
    assert not node_blobs().exists(body["sha256"])  # refused before a byte was read
    assert not Envelope.objects.filter(sha256=body["sha256"]).exists()


@pytest.mark.django_db
def test_a_missing_file_of_a_recorded_envelope_is_put_back(api, uploaded):
    vendor, body = uploaded.bidder, uploaded.body
    node_blobs().path(body["sha256"]).unlink()  # the row survived (PITR), the bytes did not
    response = redeposit(api, vendor.token, vendor.tender.code, uploaded.sealed, body["receipt"])
    assert response.status_code == 200, response.content
    assert response.json()["file_restored"] and not response.json()["recorded"]
    assert node_blobs().exists(body["sha256"])
    assert AuditEvent.objects.filter(action="bid.file_redeposited").count() == 1


@pytest.mark.django_db
def test_only_an_administrator_re_deposits_from_the_command_line(org, uploaded, tmp_path):
    body = uploaded.body
    _lose(body["sha256"])
    (tmp_path / "receipt.jws").write_text(body["receipt"])
    (tmp_path / "offer.age").write_bytes(uploaded.sealed)
    args = ["backup", "redeposit", str(tmp_path / "offer.age")]
    args += ["--receipt", str(tmp_path / "receipt.jws"), "--by"]
    with pytest.raises(CommandError, match=r"bid\.redeposit_not_admin"):
        call_command(*args, org.users[Role.VENDOR].username)
    out = StringIO()
    call_command(*args, org.users[Role.ADMIN].username, stdout=out)
    assert "Recorded" in out.getvalue() and "(current)" in out.getvalue()
    assert Envelope.objects.get(sha256=body["sha256"]).uploaded_by == org.users[Role.ADMIN]


# --- the whole story: backup, a later bid, disaster, restore, re-deposit ----------------------


@pytest.mark.django_db(transaction=True)
def test_a_bid_acknowledged_after_the_backup_is_re_deposited_after_restore(
    api,
    org,
    uploaded,
    tmp_path,
    recovery,  # noqa: F811 - an imported fixture
    fresh,  # noqa: F811 - an imported fixture
):
    vendor = uploaded.bidder
    dest = tmp_path / "dest"
    backup_create(dest=dest, recipients=[recovery[1]])
    clock_module.get_clock().move(timedelta(hours=2))
    after = seal(b"penawaran pengganti, diterima setelah cadangan", vendor.recipient)
    response = put(api, vendor.token, vendor.tender, "offer", after)
    assert response.status_code == 201
    late = response.json()
    (tmp_path / "receipt.jws").write_text(late["receipt"])
    (tmp_path / "offer.age").write_bytes(after)
    (tmp_path / "wrong.age").write_bytes(after[:-1] + bytes([after[-1] ^ 1]))

    restored = fresh.run(
        "backup", "restore", str(dest), "--identity", str(recovery[0]), "--no-checkpoint"
    )
    assert restored.returncode == 0, restored.stderr
    envelopes = (
        "from tangguh.bids.models import Envelope as E; import json; print(json.dumps("
        "[[e.sha256, e.superseded_at is None, e.received_at.isoformat()] "
        "for e in E.objects.order_by('received_at')]))"
    )
    before = json.loads(fresh.run("shell", "-c", envelopes).stdout.strip().splitlines()[-1])
    assert [row[0] for row in before] == [uploaded.body["sha256"]]  # the late bid is lost

    admin = org.users[Role.ADMIN].username
    args = ("backup", "redeposit", "--receipt", str(tmp_path / "receipt.jws"), "--by", admin)
    wrong = fresh.run(*args, str(tmp_path / "wrong.age"))
    assert wrong.returncode == 1 and "[bid.redeposit_digest_mismatch]" in wrong.stderr
    back = fresh.run(*args, str(tmp_path / "offer.age"))
    assert back.returncode == 0, back.stderr
    assert "Recorded" in back.stdout and "(current)" in back.stdout

    rows = json.loads(fresh.run("shell", "-c", envelopes).stdout.strip().splitlines()[-1])
    assert [(sha, current) for sha, current, _ in rows] == [
        (uploaded.body["sha256"], False),
        (late["sha256"], True),
    ]
    original = Envelope.objects.get(sha256=late["sha256"]).received_at
    assert rows[1][2] == original.isoformat()
    verify = fresh.run("audit", "verify")
    assert verify.returncode == 0, verify.stderr
