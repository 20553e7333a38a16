"""Quorum opening: members release their key shares after the deadline, bound to the closing
statement and checked against their commitments; at k shares the node opens every listed
envelope (sealed with the reference ``age`` CLI), records the opening list and publishes the BA
Pembukaan PDF."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pyrage
import pytest
import rfc8785

from tangguh import clock as clock_module
from tangguh.accounts.selectors import users_with_role
from tangguh.audit.models import AuditEvent
from tangguh.bids.models import KeyShare, OpenedEnvelope, Opening, SealingKey, ShareRelease
from tangguh.bids.services.keys import sealing_keys_deal
from tangguh.core.blobs import node_blobs
from tangguh.domain.roles import Role
from tangguh.outages.services.heartbeat import heartbeat_beat
from tangguh.sealing.package import build_package
from tangguh.tenders.models import DocumentKind, TenderDocument
from tangguh.testing import factories
from tests.domain.test_bid_package import VALID
from tests.test_bids_upload import put, seal
from tests.test_participation import approve, make_tender, register

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:EdDSA is deprecated"),
]


@pytest.fixture(autouse=True)
def _own_blob_store(settings, tmp_path):
    settings.TANGGUH_DATA_DIR = tmp_path / "data"


def _package(directory: Path, document: dict) -> bytes:
    directory.mkdir(parents=True)
    (directory / "penawaran.json").write_text(json.dumps(document))
    (directory / "metode.pdf").write_bytes(b"%PDF-1.4 metode pelaksanaan")
    out = io.BytesIO()
    build_package(directory, out)
    return out.getvalue()


def _invalid_package(document: dict) -> bytes:
    """A tar whose penawaran.json breaks the schema (build_package would refuse it)."""
    data = json.dumps(document).encode()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        info = tarfile.TarInfo("penawaran.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


@pytest.fixture
def sealed(api, org, tmp_path):
    """An announced tender with node-dealt keys; two registered vendors uploaded envelopes
    sealed with ``age -r``: one valid package, one whose penawaran.json is invalid."""
    approve(org)
    other_company, other_user = factories.make_vendor()
    approve(org, other_company)
    tender = make_tender(org)
    tender.code = f"2024{int(factories.unique('')):05d}"
    tender.save(update_fields=["code"])
    (key,) = sealing_keys_deal(actor="test", tender=tender)
    tokens = []
    for user in (org.users[Role.VENDOR], other_user):
        token = api.token_for(user)
        assert register(api, token, tender).status_code == 201
        tokens.append(token)
    base = {**VALID, "tender": tender.code}
    good = _package(tmp_path / "a", {**base, "company_nib": org.company.nib})
    bad = _invalid_package({**base, "company_nib": other_company.nib, "total_price": 12.5})
    for token, plain in zip(tokens, [good, bad], strict=True):
        response = put(api, token, tender, "offer", seal(plain, key.recipient))
        assert response.status_code == 201, response.content
    members = users_with_role(Role.COMMITTEE_MEMBER, f"committee:{org.committee.pk}")
    return type(
        "Sealed",
        (),
        {
            "tender": tender,
            "key": key,
            "members": members,
            "good": good,
            "other_company": other_company,
            "tokens": {},
        },
    )


def _plain_share(member) -> dict:
    share = KeyShare.objects.get(holder=member)
    identity = pyrage.x25519.Identity.from_str(factories.MEMBER_IDENTITIES[member.pk])
    return json.loads(pyrage.decrypt(bytes(share.sealed_share), [identity]))


def _token(api, sealed, member) -> str:
    """One token per member and clock period (a TOTP code is accepted once)."""
    if member.pk not in sealed.tokens:
        sealed.tokens[member.pk] = api.token_for(member)
    return sealed.tokens[member.pk]


def _past_deadline(api, sealed) -> str:
    clock_module.get_clock().move(timedelta(days=8))
    sealed.tokens.clear()  # tokens issued before have expired
    statement = api.call("GET", f"/tenders/{sealed.tender.code}/closing-statement")
    assert statement.status_code == 200, statement.content
    return hashlib.sha256(rfc8785.dumps(statement.json()["document"])).hexdigest()


def _release(api, sealed, member, share, statement):
    return api.call(
        "POST",
        f"/tenders/{sealed.tender.code}/opening/shares",
        json={"share": share, "closing_statement": statement},
        token=_token(api, sealed, member),
    )


def _refused(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["code"] == code, response.json()


def test_a_quorum_opens_the_bids_and_the_minutes_are_published(api, org, sealed):
    first, second = sealed.members[:2]
    early = _release(api, sealed, first, _plain_share(first), "0" * 64)
    _refused(early, 409, "opening.too_early")
    assert not ShareRelease.objects.exists()

    statement = _past_deadline(api, sealed)
    one = _release(api, sealed, first, _plain_share(first), statement)
    assert one.status_code == 201, one.content
    assert one.json() == {
        "tender": sealed.tender.code,
        "released": 1,
        "k": 2,
        "opened": False,
        "closing_statement": statement,
    }
    assert KeyShare.objects.get(holder=first).released_at == clock_module.now()
    assert ShareRelease.objects.get().share is not None  # kept until k are in
    public = api.call("GET", f"/tenders/{sealed.tender.code}/opening").json()
    assert public["openings"][0]["envelopes"] == [] and public["openings"][0]["released"] == 1

    # the same share again changes nothing
    again = _release(api, sealed, first, json.dumps(_plain_share(first)), statement)
    assert again.status_code == 200 and again.json()["released"] == 1

    two = _release(api, sealed, second, _plain_share(second), statement)
    assert two.status_code == 201, two.content
    assert two.json()["opened"] is True

    # the released shares are erased; the opening list has the prices and the reason
    assert not ShareRelease.objects.filter(share__isnull=False).exists()
    assert ShareRelease.objects.filter(erased_at__isnull=False).count() == 2
    listing = api.call("GET", f"/tenders/{sealed.tender.code}/opening").json()
    assert listing["closing_statement"]["sha256"] == statement
    assert listing["closing_statement"]["count"] == 2
    (opening,) = listing["openings"]
    rows = {row["company_nib"]: row for row in opening["envelopes"]}
    good = rows[org.company.nib]
    assert good["ok"] is True and Decimal(good["total_price"]) == Decimal("2389450000")
    assert Decimal(good["tkdn_percent"]) == Decimal("43.5") and good["reason"] is None
    assert good["company"] == org.company.name
    bad = rows[sealed.other_company.nib]
    assert bad["ok"] is False and bad["reason"] == "opening.invalid_package"
    assert "penawaran.amount_type" in bad["detail"]
    assert "id" not in good  # the public sees no package links

    # the minutes: a PDF stored as a tender document of kind "minutes"
    record = Opening.objects.get()
    document = TenderDocument.objects.get(pk=record.minutes_id)
    assert document.kind == DocumentKind.MINUTES and document.sha256 == record.minutes_sha256
    with node_blobs().open(document.sha256) as handle:
        assert handle.read(5) == b"%PDF-"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"opening.share_released", "opening.opened", "tender.document_added"} <= actions

    # the Pokja downloads the opened package: sandboxed attachment, the read audited
    token = _token(api, sealed, first)
    pokja = api.call("GET", f"/tenders/{sealed.tender.code}/opening", token=token).json()
    row = next(r for r in pokja["openings"][0]["envelopes"] if r["ok"])
    path = f"/api/v1/tenders/{sealed.tender.code}/opening/envelopes/{row['id']}/package"
    download = api.client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert download.status_code == 200
    assert download["Content-Security-Policy"] == "sandbox"
    assert "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == sealed.good
    read = AuditEvent.objects.filter(action="read.sensitive").last()
    assert read.object_type == "bid.opened_package" and read.object_id == str(row["id"])
    vendor = api.token_for(org.users[Role.VENDOR])
    assert api.client.get(path, HTTP_AUTHORIZATION=f"Bearer {vendor}").status_code == 403

    # once open, a further share is refused
    third = sealed.members[2]
    _refused(
        _release(api, sealed, third, _plain_share(third), statement),
        409,
        "opening.already_opened",
    )
    assert OpenedEnvelope.objects.count() == 2


def test_a_tampered_share_another_members_share_and_a_wrong_statement_are_refused(api, sealed):
    first, second = sealed.members[:2]
    statement = _past_deadline(api, sealed)
    share = _plain_share(first)
    tampered = {**share, "share": _plain_share(second)["share"]}
    _refused(_release(api, sealed, first, tampered, statement), 422, "opening.share_mismatch")
    _refused(
        _release(api, sealed, first, _plain_share(second), statement),
        422,
        "opening.share_mismatch",
    )
    _refused(_release(api, sealed, first, share, "f" * 64), 422, "opening.statement_mismatch")
    _refused(_release(api, sealed, first, {"share": "x"}, statement), 422, "opening.share_invalid")
    assert not ShareRelease.objects.exists()
    assert KeyShare.objects.filter(released_at__isnull=False).count() == 0


def test_a_non_member_cannot_release_a_share(api, org, sealed):
    statement = _past_deadline(api, sealed)
    share = _plain_share(sealed.members[0])
    for role in (Role.VENDOR, Role.AUDITOR):
        response = api.call(
            "POST",
            f"/tenders/{sealed.tender.code}/opening/shares",
            json={"share": share, "closing_statement": statement},
            token=api.token_for(org.users[role]),
        )
        _refused(response, 403, "permission.denied")
    assert not ShareRelease.objects.exists()
    assert not Opening.objects.filter(sealing_key=SealingKey.objects.get()).exists()


def test_after_a_restart_nothing_closes_or_opens_until_the_heartbeat_has_looked(api, sealed):
    """A node that was silent longer than the gap threshold may owe this tender an extension:
    the closing statement and share releases wait for the heartbeat (issue 7)."""
    heartbeat_beat(startup=True)  # the node ran and beat before the deadline ...
    clock_module.get_clock().move(timedelta(days=8))  # ... then was down past it
    sealed.tokens.clear()
    code = sealed.tender.code
    _refused(
        api.call("GET", f"/tenders/{code}/closing-statement"), 409, "bid.gap_detection_pending"
    )
    member = sealed.members[0]
    _refused(
        _release(api, sealed, member, _plain_share(member), "0" * 64),
        409,
        "opening.gap_detection_pending",
    )
    heartbeat_beat(startup=True)  # the restart's beat records the outage and applies it
    # The silence covered the deadline, so the outage gave the bidders their time back.
    after = api.call("GET", f"/tenders/{code}/closing-statement")
    _refused(after, 409, "bid.deadline_not_passed")


def test_envelopes_that_do_not_decrypt_are_listed_with_the_reason_and_store_nothing(
    api, org, sealed, tmp_path
):
    """Sealed to another key, or altered after sealing (a bad MAC): both pass the upload's
    structure check, fail at opening, are named in the list, and leave no plaintext behind."""
    stranger = pyrage.x25519.Identity.generate().to_public()
    good = _package(tmp_path / "c", {**VALID, "tender": sealed.tender.code})
    altered = bytearray(seal(good, sealed.key.recipient))
    altered[-40] ^= 0x01  # inside the last payload chunk: its MAC no longer matches
    nibs = []
    for plain in (seal(good, str(stranger)), bytes(altered)):
        company, user = factories.make_vendor()
        approve(org, company)
        token = api.token_for(user)
        assert register(api, token, sealed.tender).status_code == 201
        assert put(api, token, sealed.tender, "offer", plain).status_code == 201
        nibs.append(company.nib)
    stored_before = {p.name for p in node_blobs().root.rglob("*") if p.is_file()}

    statement = _past_deadline(api, sealed)
    for member in sealed.members[:2]:
        assert _release(api, sealed, member, _plain_share(member), statement).status_code == 201
    listing = api.call("GET", f"/tenders/{sealed.tender.code}/opening").json()
    rows = {row["company_nib"]: row for row in listing["openings"][0]["envelopes"]}
    for nib in nibs:
        assert rows[nib]["ok"] is False and rows[nib]["reason"] == "opening.decrypt_failed"
        assert rows[nib]["total_price"] is None
    assert OpenedEnvelope.objects.filter(ok=False, plain_sha256="").count() >= 2
    incoming = node_blobs().root / "incoming"
    assert not incoming.exists() or not any(incoming.iterdir())  # no half plaintext left
    # Only the good package's plaintext and the minutes were added to storage.
    added = {p.name for p in node_blobs().root.rglob("*") if p.is_file()} - stored_before
    assert len(added) <= 3
