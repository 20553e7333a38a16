"""The officials' pages: PPK creates and delegates, the UKPBJ head assigns, the Pokja prepares
and announces, the public page shows the tender, a schedule change and its reason."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.test import Client

from tangguh.accounts.middleware import SESSION_FLAG
from tangguh.domain.roles import Role
from tangguh.planning.models import Package
from tangguh.tenders.models import Tender

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n%%EOF\n"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_FLAG] = True
    session.save()
    return client


def test_officials_take_a_package_to_an_announced_public_tender(org, clock):
    ppk = _client(org.users[Role.COMMITMENT_OFFICER])
    page = ppk.get("/ppk/paket/")
    assert page.status_code == 200 and "Buat paket" in page.content.decode()
    created = ppk.post(
        "/ppk/paket/",
        {
            "work_unit_id": org.work_unit.pk,
            "title": "Rehabilitasi SD Inpres Kwamki",
            "category": "works",
            "budget": "Rp1.500.000.000",
            "owner_estimate": "1450000000",
            "location": "Kwamki Narama, Mimika",
            "fiscal_year": "2024",
        },
        follow=True,
    )
    assert "Rehabilitasi SD Inpres Kwamki" in created.content.decode()
    package = Package.objects.get()
    ppk.post(f"/ppk/paket/{package.pk}/delegasi/", {"procurement_unit_id": org.procurement_unit.pk})

    head = _client(org.users[Role.PROCUREMENT_UNIT_HEAD])
    backlog = head.get("/ukpbj/antrean/").content.decode()
    assert "Rehabilitasi SD Inpres Kwamki" in backlog and "Belum ditugaskan" in backlog
    head.post(f"/ukpbj/paket/{package.pk}/tugaskan/", {"committee_id": org.committee.pk})
    package.refresh_from_db()
    assert package.committee_id == org.committee.pk

    pokja = _client(org.users[Role.COMMITTEE_MEMBER])
    assert "Rehabilitasi SD Inpres Kwamki" in pokja.get("/pokja/paket/").content.decode()
    base = f"/pokja/paket/{package.pk}"
    pokja.post(
        f"{base}/setup/",
        {
            "method": "tender_one_file",
            "envelopes": "1",
            "evaluation_method": "lowest_price",
            "requirements": "SBU BG004\nPengalaman 1 pekerjaan sejenis",
        },
    )
    pokja.post(f"{base}/propose/")
    upload = io.BytesIO(PDF)
    upload.name = "dokumen-pemilihan.pdf"
    pokja.post(f"{base}/document/", {"title": "Dokumen Pemilihan", "file": upload})
    announced = pokja.post(f"{base}/announce/", follow=True).content.decode()
    tender = Tender.objects.get()
    assert tender.announced_at is not None, announced
    assert f"Tender {tender.code} diumumkan" in announced

    public = Client().get(f"/tender/{tender.code}/").content.decode()
    assert "Rehabilitasi SD Inpres Kwamki" in public
    assert "Rp1.450.000.000" in public and "WIT" in public
    assert "Pengalaman 1 pekerjaan sejenis" in public
    home = Client().get("/").content.decode()
    assert tender.code in home and "Pekerjaan Konstruksi" in home

    bid = tender.stages.get(kind="bid_submission")
    new_end = (bid.end + timedelta(days=7)).astimezone(
        __import__("zoneinfo").ZoneInfo("Asia/Jayapura")
    )
    reason = "Adendum gambar teknis; waktu penyusunan penawaran ditambah."
    pokja.post(
        f"{base}/reschedule/",
        {
            "stage": "bid_submission",
            "new_end": new_end.strftime("%Y-%m-%dT%H:%M"),
            "reason": reason,
        },
    )
    public = Client().get(f"/tender/{tender.code}/").content.decode()
    assert reason in public
    assert "Riwayat perubahan jadwal" in public


def test_a_refused_action_shows_the_reason_and_changes_nothing(org, clock):
    ppk = _client(org.users[Role.COMMITMENT_OFFICER])
    page = ppk.post(
        "/ppk/paket/",
        {
            "work_unit_id": org.work_unit.pk,
            "title": "Pengadaan Ambulans RSUD",
            "category": "goods",
            "budget": "900000000",
            "owner_estimate": "950000000",
            "location": "Timika",
            "fiscal_year": "2024",
        },
        follow=True,
    ).content.decode()
    assert "HPS (Rp950.000.000) tidak boleh melebihi pagu (Rp900.000.000)" in page
    assert not Package.objects.exists()


@pytest.mark.parametrize("path", ["/ppk/paket/", "/ukpbj/antrean/", "/pokja/paket/"])
def test_work_pages_are_refused_to_other_roles(org, clock, path):
    response = _client(org.users[Role.VENDOR]).get(path)
    assert response.status_code == 403


def test_unknown_or_draft_tender_pages_are_not_found(org, clock):
    assert Client().get("/tender/209900001/").status_code == 404
