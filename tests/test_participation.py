"""Registering for a tender (integrity pact, blacklist copy, small-business reservation, the
tender's state), downloading its documents, and a vendor's own tenders."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from tangguh import clock as clock_module
from tangguh.audit.models import AuditEvent
from tangguh.core.blobs import node_blobs
from tangguh.domain.methods import StageKind
from tangguh.domain.roles import Role
from tangguh.participation.models import (
    BlacklistEntry,
    BlacklistSync,
    DocumentDownload,
    Participation,
)
from tangguh.planning.models import Category, Package
from tangguh.qualification.services.items import qualification_item_add
from tangguh.tenders.models import DocumentKind, Tender, TenderDocument, TenderStage
from tangguh.testing import factories
from tangguh.vendors.services import vendor_approve

pytestmark = pytest.mark.django_db

DOCUMENT = b"%PDF-1.7\nDokumen Pemilihan: Peningkatan Jalan SP 2 - SP 5\n%%EOF\n"


def make_tender(
    org,
    *,
    announced: bool = True,
    cancelled: bool = False,
    reserved: bool = False,
    owner_estimate: str = "2500000000.00",
) -> Tender:
    """An announced tender in its bid window (clarification tomorrow, deadline in 7 days), with
    one document, built directly from rows: the tender services are tested elsewhere."""
    now = clock_module.now()
    package = Package.objects.create(
        work_unit=org.work_unit,
        fiscal_year=2024,
        title=factories.unique("Peningkatan Jalan SP "),
        category=Category.WORKS,
        budget=Decimal("3000000000.00"),
        owner_estimate=Decimal(owner_estimate),
        location="Distrik Kuala Kencana, Mimika",
        created_by=org.users[Role.COMMITMENT_OFFICER],
        created_at=now - timedelta(days=20),
        procurement_unit=org.procurement_unit,
        delegated_at=now - timedelta(days=15),
        committee=org.committee,
        assigned_at=now - timedelta(days=14),
    )
    tender = Tender.objects.create(
        package=package,
        committee=org.committee,
        code=factories.unique("T2024-"),
        title=package.title,
        method="tender_one_file",
        envelopes=1,
        evaluation_method="lowest_price",
        small_business_reserved=reserved,
        created_at=now - timedelta(days=10),
        announced_at=now - timedelta(days=2) if announced else None,
        cancelled_at=now - timedelta(hours=1) if cancelled else None,
        cancel_reason="Anggaran direvisi." if cancelled else "",
    )
    stages = [
        (StageKind.ANNOUNCEMENT, -2, 5),
        (StageKind.CLARIFICATION, 1, 2),
        (StageKind.BID_SUBMISSION, -1, 7),
        (StageKind.OPENING, 7, 8),
    ]
    for position, (kind, start, end) in enumerate(stages):
        TenderStage.objects.create(
            tender=tender,
            kind=kind,
            position=position,
            start=now + timedelta(days=start),
            end=now + timedelta(days=end),
        )
    blob = node_blobs().put([DOCUMENT], max_size=10_000_000)
    TenderDocument.objects.create(
        tender=tender,
        kind=DocumentKind.TENDER_DOCUMENT,
        title="Dokumen Pemilihan",
        filename="dokumen-pemilihan.pdf",
        content_type="application/pdf",
        sha256=blob.sha256,
        size=blob.size,
        uploaded_by=org.users[Role.COMMITTEE_MEMBER],
        uploaded_at=now - timedelta(days=3),
    )
    return tender


def approve(org, company=None):
    vendor_approve(actor=org.users[Role.VERIFIER], company_id=(company or org.company).pk)


def declare_size(user, company, size: str) -> None:
    qualification_item_add(
        actor=user,
        company_id=company.pk,
        kind="licence",
        values={"kbli_codes": ["42101"], "business_size": size},
    )


def register(api, token, tender, *, accept=True, sha256=None, company_id=None):
    if sha256 is None:
        query = f"?company_id={company_id}" if company_id else ""
        pact = api.call("GET", f"/tenders/{tender.code}/integrity-pact{query}", token=token)
        assert pact.status_code == 200, pact.content
        sha256 = pact.json()["sha256"]
    body = {"accept_integrity_pact": accept, "pact_sha256": sha256}
    if company_id:
        body["company_id"] = company_id
    return api.call("POST", f"/tenders/{tender.code}/participation", json=body, token=token)


def sync_blacklist(rows: list[dict]) -> None:
    from tangguh.participation.services.blacklist import blacklist_sync_unchecked

    blacklist_sync_unchecked(actor="test", data=json.dumps(rows).encode(), filename="dh.json")


def test_an_approved_vendor_registers_after_accepting_the_pact(api, org):
    approve(org)
    tender = make_tender(org)
    token = api.token_for(org.users[Role.VENDOR])
    pact = api.call("GET", f"/tenders/{tender.code}/integrity-pact", token=token).json()
    assert "PAKTA INTEGRITAS" in pact["text"]
    assert org.company.name in pact["text"] and tender.code in pact["text"]
    assert pact["sha256"] == hashlib.sha256(pact["text"].encode()).hexdigest()

    response = register(api, token, tender, sha256=pact["sha256"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["pact_sha256"] == pact["sha256"]
    participation = Participation.objects.get(tender=tender, company=org.company)
    assert participation.pact_accepted_at == clock_module.now()
    event = AuditEvent.objects.get(action="participation.registered")
    assert event.payload["pact_sha256"] == pact["sha256"]
    assert event.payload["tender"] == tender.code


def test_registering_twice_returns_the_existing_participation(api, org):
    approve(org)
    tender = make_tender(org)
    token = api.token_for(org.users[Role.VENDOR])
    first = register(api, token, tender)
    colleague = factories.make_user(grants=[(Role.VENDOR, f"company:{org.company.pk}")])
    again = register(api, api.token_for(colleague), tender)
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Participation.objects.filter(tender=tender).count() == 1
    assert AuditEvent.objects.filter(action="participation.registered").count() == 1


def test_a_company_not_yet_approved_is_refused(api, org):
    tender = make_tender(org)
    response = register(api, api.token_for(org.users[Role.VENDOR]), tender)
    assert response.status_code == 403
    assert response.json()["code"] == "participation.vendor_not_approved"
    assert not Participation.objects.exists()
    refusal = AuditEvent.objects.get(action="participation.refused")
    assert refusal.payload["code"] == "participation.vendor_not_approved"


@pytest.mark.parametrize("listed_npwp", ["same", "sixteen_digit_form", "none_by_nib"])
def test_a_blacklisted_company_is_refused_citing_ps_78(api, org, listed_npwp):
    approve(org)
    tender = make_tender(org)
    npwp = {
        "same": org.company.npwp,
        "sixteen_digit_form": "0" + org.company.npwp,
        "none_by_nib": "",
    }[listed_npwp]
    sync_blacklist(
        [
            {
                "npwp": npwp,
                "nib": org.company.nib if listed_npwp == "none_by_nib" else "",
                "name": org.company.name,
                "starts_on": "2024-01-10",
                "ends_on": "2025-01-09",
                "decree_reference": "SK Kepala Dinas PUPR No. 027/112/2024",
                "source": "inaproc.id/daftar-hitam",
            }
        ]
    )
    response = register(api, api.token_for(org.users[Role.VENDOR]), tender)
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "participation.blacklisted"
    assert "Perpres 16/2018 Ps 78" in body["message"]
    assert "027/112/2024" in body["message"]
    assert not Participation.objects.exists()


def test_a_sanction_not_in_force_today_does_not_block(api, org):
    approve(org)
    tender = make_tender(org)
    sync_blacklist(
        [
            {
                "npwp": org.company.npwp,
                "name": org.company.name,
                "starts_on": "2022-01-01",
                "ends_on": "2023-12-31",
                "decree_reference": "SK lama",
            },
            {
                "nib": org.company.nib,
                "name": org.company.name,
                "starts_on": "2024-07-01",
                "decree_reference": "SK yang akan berlaku",
            },
        ]
    )
    response = register(api, api.token_for(org.users[Role.VENDOR]), tender)
    assert response.status_code == 201, response.content
    assert Participation.objects.get().blacklist_synced_at == clock_module.now()


def test_a_reserved_tender_refuses_a_non_small_business_citing_ps_65(api, org):
    approve(org)
    tender = make_tender(org, reserved=True)
    token = api.token_for(org.users[Role.VENDOR])
    undeclared = register(api, token, tender)
    assert undeclared.status_code == 403
    assert undeclared.json()["code"] == "participation.small_business_reserved"
    assert "Perpres 12/2021 Ps 65(4)" in undeclared.json()["message"]

    declare_size(org.users[Role.VENDOR], org.company, "non_small")
    non_small = register(api, token, tender)
    assert non_small.json()["code"] == "participation.small_business_reserved"
    assert "bukan usaha kecil" in non_small.json()["message"]
    assert not Participation.objects.exists()

    small_company, small_vendor = factories.make_vendor()
    approve(org, small_company)
    declare_size(small_vendor, small_company, "small")
    ok = register(api, api.token_for(small_vendor), tender)
    assert ok.status_code == 201, ok.content
    assert ok.json()["business_size"] == "small"


def test_an_unreserved_tender_is_open_to_any_size(api, org):
    approve(org)
    declare_size(org.users[Role.VENDOR], org.company, "non_small")
    tender = make_tender(org, owner_estimate="2900000000.00")
    assert register(api, api.token_for(org.users[Role.VENDOR]), tender).status_code == 201


def test_registration_after_the_bid_deadline_is_refused(api, org, clock):
    approve(org)
    tender = make_tender(org)
    token = api.token_for(org.users[Role.VENDOR])
    pact = api.call("GET", f"/tenders/{tender.code}/integrity-pact", token=token).json()
    clock.move(timedelta(days=7))  # exactly the deadline: closed
    token = api.token_for(org.users[Role.VENDOR])  # tokens last hours, not days
    response = register(api, token, tender, sha256=pact["sha256"])
    assert response.status_code == 409
    assert response.json()["code"] == "participation.deadline_passed"
    assert not Participation.objects.exists()


def test_a_draft_tender_cannot_be_registered_for(api, org):
    approve(org)
    tender = make_tender(org, announced=False)
    token = api.token_for(org.users[Role.VENDOR])
    response = register(api, token, tender, sha256="0" * 64)
    assert response.status_code == 404
    assert response.json()["code"] == "tender.not_found"
    assert not Participation.objects.exists()


def test_a_cancelled_tender_is_refused(api, org):
    approve(org)
    tender = make_tender(org, cancelled=True)
    response = register(api, api.token_for(org.users[Role.VENDOR]), tender)
    assert response.status_code == 409
    assert response.json()["code"] == "participation.tender_cancelled"
    assert "Anggaran direvisi" in response.json()["message"]


def test_the_pact_must_be_accepted_as_shown(api, org):
    approve(org)
    tender = make_tender(org)
    token = api.token_for(org.users[Role.VENDOR])
    declined = register(api, token, tender, accept=False)
    assert declined.status_code == 422
    assert declined.json()["code"] == "participation.pact_not_accepted"
    assert declined.json()["field"] == "accept_integrity_pact"
    other_text = register(api, token, tender, sha256=hashlib.sha256(b"lain").hexdigest())
    assert other_text.status_code == 409
    assert other_text.json()["code"] == "participation.pact_mismatch"
    missing = api.call(
        "POST",
        f"/tenders/{tender.code}/participation",
        json={"pact_sha256": "0" * 64},
        token=token,
    )
    assert missing.status_code == 422
    assert not Participation.objects.exists()


def test_only_a_vendor_of_the_company_registers_it(api, org):
    approve(org)
    tender = make_tender(org)
    for role in (Role.COMMITTEE_MEMBER, Role.COMMITMENT_OFFICER, Role.VERIFIER, Role.ADMIN):
        response = register(
            api, api.token_for(org.users[role]), tender, sha256="0" * 64, company_id=org.company.pk
        )
        assert response.status_code == 403, role
        assert response.json()["code"] == "permission.denied"
    _, stranger = factories.make_vendor()
    foreign = register(
        api, api.token_for(stranger), tender, sha256="0" * 64, company_id=org.company.pk
    )
    assert foreign.status_code == 403
    anonymous = api.call(
        "POST",
        f"/tenders/{tender.code}/participation",
        json={"accept_integrity_pact": True, "pact_sha256": "0" * 64},
    )
    assert anonymous.status_code == 401
    assert not Participation.objects.exists()


def test_a_user_of_two_companies_names_the_company(api, org):
    approve(org)
    tender = make_tender(org)
    second, _ = factories.make_vendor()
    approve(org, second)
    vendor = org.users[Role.VENDOR]
    factories.grant(vendor, Role.VENDOR, f"company:{second.pk}")
    token = api.token_for(vendor)
    unnamed = api.call("GET", f"/tenders/{tender.code}/integrity-pact", token=token)
    assert unnamed.json()["code"] == "participation.company_required"
    named = register(api, token, tender, company_id=second.pk)
    assert named.status_code == 201
    assert named.json()["company_id"] == second.pk


def _download(api, user, tender, document_id=None):
    document_id = document_id or tender.documents.get().pk
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api.token_for(user)}"} if user else {}
    return api.client.get(f"/api/v1/tenders/{tender.code}/documents/{document_id}", **headers)


def test_a_participant_downloads_a_document_byte_exact_and_the_download_is_recorded(api, org):
    approve(org)
    tender = make_tender(org)
    vendor = org.users[Role.VENDOR]
    register(api, api.token_for(vendor), tender)
    response = _download(api, vendor, tender)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == DOCUMENT
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'attachment; filename="dokumen-pemilihan.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == str(len(DOCUMENT))
    document = tender.documents.get()
    download = DocumentDownload.objects.get()
    assert (download.user, download.document, download.sha256, download.at) == (
        vendor,
        document,
        hashlib.sha256(DOCUMENT).hexdigest(),
        clock_module.now(),
    )
    assert download.participation.company == org.company
    event = AuditEvent.objects.get(action="tender.document_downloaded")
    assert event.payload["sha256"] == document.sha256
    assert event.payload["download_id"] == download.pk


def test_the_tenders_committee_downloads_without_registering(api, org):
    tender = make_tender(org, announced=False)
    response = _download(api, org.users[Role.COMMITTEE_MEMBER], tender)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == DOCUMENT
    assert DocumentDownload.objects.get().participation is None


def test_anyone_else_is_refused_a_document_with_a_clear_code(api, org):
    approve(org)
    tender = make_tender(org)
    _, unregistered = factories.make_vendor()
    other_committee = factories.make_committee(org.procurement_unit)
    from tests.conftest import committee_member

    for user in (
        unregistered,
        org.users[Role.COMMITMENT_OFFICER],
        org.users[Role.PROCUREMENT_UNIT_HEAD],
        org.users[Role.VERIFIER],
        committee_member(other_committee),
    ):
        response = _download(api, user, tender)
        assert response.status_code == 403, user.username
        assert response.json()["code"] == "participation.not_registered"
    assert _download(api, None, tender).status_code == 401
    assert not DocumentDownload.objects.exists()
    assert (
        AuditEvent.objects.filter(
            action="permission.denied", payload__attempted="tender.document_download"
        ).count()
        == 5
    )


def test_a_document_of_another_tender_or_a_draft_is_not_found(api, org):
    approve(org)
    tender = make_tender(org)
    other = make_tender(org)
    vendor = org.users[Role.VENDOR]
    register(api, api.token_for(vendor), tender)
    response = _download(api, vendor, tender, document_id=other.documents.get().pk)
    assert response.status_code == 404
    assert response.json()["code"] == "tender.document_not_found"
    draft = make_tender(org, announced=False)
    assert _download(api, vendor, draft).json()["code"] == "tender.not_found"


def test_my_tenders_show_phase_next_step_and_when(api, org, clock):
    approve(org)
    tender = make_tender(org)
    cancelled = make_tender(org)
    vendor = org.users[Role.VENDOR]
    token = api.token_for(vendor)
    register(api, token, tender)
    register(api, token, cancelled)
    Tender.objects.filter(pk=cancelled.pk).update(
        cancelled_at=clock_module.now(), cancel_reason="Revisi anggaran."
    )
    rows = api.call("GET", "/me/tenders", token=token).json()
    assert [row["code"] for row in rows] == [tender.code, cancelled.code]
    first = rows[0]
    assert first["phase"] == "bidding"
    assert first["next_step"]["code"] == "attend_clarification"
    clarification = tender.stages.get(kind=StageKind.CLARIFICATION)
    assert first["next_step"]["due"].startswith(clarification.end.strftime("%Y-%m-%dT%H:%M"))
    assert rows[1]["phase"] == "cancelled"
    assert rows[1]["next_step"]["code"] == "none"

    clock.move(timedelta(days=3))
    token = api.token_for(vendor)
    later = api.call("GET", "/me/tenders", token=token, HTTP_ACCEPT_LANGUAGE="en").json()[0]
    assert later["next_step"]["code"] == "submit_bid"
    assert later["next_step"]["text"] == "Prepare, seal and upload your bid"
    bid = tender.stages.get(kind=StageKind.BID_SUBMISSION)
    assert later["next_step"]["due"].startswith(bid.end.strftime("%Y-%m-%dT%H:%M"))

    clock.move(timedelta(days=5))
    token = api.token_for(vendor)
    closed = api.call("GET", "/me/tenders", token=token).json()[0]
    assert closed["phase"] == "awaiting_opening"
    assert closed["next_step"]["code"] == "wait"


def test_my_tenders_is_for_vendors(api, org):
    response = api.call("GET", "/me/tenders", token=api.token_for(org.users[Role.COMMITTEE_MEMBER]))
    assert response.status_code == 403
    assert api.call("GET", "/me/tenders").status_code == 401
    assert api.call("GET", "/me/tenders", token=api.token_for(org.users[Role.VENDOR])).json() == []


def test_the_committee_lists_participants_and_vendors_cannot(api, org):
    approve(org)
    tender = make_tender(org)
    register(api, api.token_for(org.users[Role.VENDOR]), tender)
    listed = api.call(
        "GET",
        f"/tenders/{tender.code}/participants",
        token=api.token_for(org.users[Role.COMMITTEE_MEMBER]),
    )
    assert [p["company_id"] for p in listed.json()] == [org.company.pk]
    refused = api.call(
        "GET",
        f"/tenders/{tender.code}/participants",
        token=api.token_for(org.users[Role.VENDOR]),
    )
    assert refused.status_code == 403


BLACKLIST_CSV = (
    "npwp,nib,name,starts_on,ends_on,decree_reference,source\n"
    "01.234.567.8-953.000,,CV Contoh Nakal,2024-02-01,2026-01-31,SK 12/2024,inaproc\n"
    ",9120001234561,PT Contoh Lain,2023-05-01,,SK 7/2023,inaproc\n"
)


def test_an_admin_replaces_the_blacklist_copy_from_csv_or_json(api, org):
    sync_blacklist(
        [
            {
                "npwp": "012345678953001",
                "name": "Lama",
                "starts_on": "2020-01-01",
                "decree_reference": "SK lama",
            }
        ]
    )
    token = api.token_for(org.users[Role.ADMIN])
    response = api.client.post(
        "/api/v1/blacklist/sync",
        data={"file": SimpleUploadedFile("daftar-hitam.csv", BLACKLIST_CSV.encode())},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 201, response.content
    assert response.json()["entries"] == 2
    assert response.json()["sha256"] == hashlib.sha256(BLACKLIST_CSV.encode()).hexdigest()
    assert sorted(BlacklistEntry.objects.values_list("name", flat=True)) == [
        "CV Contoh Nakal",
        "PT Contoh Lain",
    ]
    assert BlacklistEntry.objects.get(name="CV Contoh Nakal").npwp == "012345678953000"
    event = AuditEvent.objects.filter(action="blacklist.synced").last()
    assert event.payload["entries"] == 2 and event.payload["replaced"] == 1
    listed = api.call("GET", "/blacklist?q=Nakal", token=api.token_for(org.users[Role.VERIFIER]))
    assert [e["name"] for e in listed.json()["entries"]] == ["CV Contoh Nakal"]
    assert listed.json()["last_sync"]["entries"] == 2


def test_a_blacklist_export_with_a_bad_row_changes_nothing(api, org):
    sync_blacklist(
        [
            {
                "nib": "9120001234561",
                "name": "Tetap",
                "starts_on": "2024-01-01",
                "decree_reference": "SK 1",
            }
        ]
    )
    bad = BLACKLIST_CSV + "123,,Tanpa tanggal,,,SK 9/2024,inaproc\n"
    token = api.token_for(org.users[Role.ADMIN])
    response = api.client.post(
        "/api/v1/blacklist/sync",
        data={"file": SimpleUploadedFile("dh.csv", bad.encode())},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "blacklist.rows_invalid"
    assert "3: npwp" in response.json()["message_en"]
    assert list(BlacklistEntry.objects.values_list("name", flat=True)) == ["Tetap"]
    assert BlacklistSync.objects.count() == 1
    empty = api.client.post(
        "/api/v1/blacklist/sync",
        data={"file": SimpleUploadedFile("dh.json", b"[]")},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert empty.json()["code"] == "blacklist.empty"


def test_only_an_admin_syncs_the_blacklist(api, org):
    for role in (Role.VERIFIER, Role.VENDOR, Role.COMMITTEE_MEMBER):
        response = api.client.post(
            "/api/v1/blacklist/sync",
            data={"file": SimpleUploadedFile("dh.csv", BLACKLIST_CSV.encode())},
            HTTP_AUTHORIZATION=f"Bearer {api.token_for(org.users[role])}",
        )
        assert response.status_code == 403, role
    assert not BlacklistEntry.objects.exists()
    assert (
        api.call("GET", "/blacklist", token=api.token_for(org.users[Role.VENDOR])).status_code
        == 403
    )


def test_the_blacklist_sync_command(org, tmp_path, capsys):
    path = tmp_path / "daftar-hitam.json"
    path.write_text(
        json.dumps(
            {
                "entries": [
                    {
                        "npwp": org.company.npwp,
                        "name": org.company.name,
                        "starts_on": "2024-06-01",
                        "decree_reference": "SK 3/2024",
                    }
                ]
            }
        )
    )
    call_command("blacklist", "sync", str(path))
    assert "OK: 1 entries" in capsys.readouterr().out
    assert BlacklistEntry.objects.get().npwp == org.company.npwp
    assert AuditEvent.objects.filter(action="blacklist.synced", actor="cli").exists()
    call_command("blacklist", "status")
    assert "1 entries from daftar-hitam.json" in capsys.readouterr().out
