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
from tangguh.testing import factories

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
    pokja.post(f"{base}/keys_deal/")
    factories.sealing_keys_check_all(Tender.objects.get())
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
    assert "Upload Dokumen Penawaran: berakhir" in public  # stage names, not codes


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


def _announced_through_pages(org, clock) -> Tender:
    ppk = _client(org.users[Role.COMMITMENT_OFFICER])
    ppk.post(
        "/ppk/paket/",
        {
            "work_unit_id": org.work_unit.pk,
            "title": "Pengadaan Alat Kesehatan Ruang ICU RSUD Mimika",
            "category": "goods",
            "budget": "4200000000",
            "owner_estimate": "4050000000",
            "location": "RSUD Mimika, Timika",
            "fiscal_year": "2024",
        },
    )
    package = Package.objects.get()
    ppk.post(f"/ppk/paket/{package.pk}/delegasi/", {"procurement_unit_id": org.procurement_unit.pk})
    _client(org.users[Role.PROCUREMENT_UNIT_HEAD]).post(
        f"/ukpbj/paket/{package.pk}/tugaskan/", {"committee_id": org.committee.pk}
    )
    pokja = _client(org.users[Role.COMMITTEE_MEMBER])
    base = f"/pokja/paket/{package.pk}"
    pokja.post(
        f"{base}/setup/",
        {
            "method": "tender_one_file",
            "envelopes": "1",
            "evaluation_method": "lowest_price",
            "requirements": "NIB",
        },
    )
    pokja.post(f"{base}/propose/")
    upload = io.BytesIO(PDF)
    upload.name = "dokumen-pemilihan.pdf"
    pokja.post(f"{base}/document/", {"title": "Dokumen Pemilihan", "file": upload})
    pokja.post(f"{base}/keys_deal/")
    factories.sealing_keys_check_all(Tender.objects.get())
    pokja.post(f"{base}/announce/")
    return Tender.objects.get()


def test_vendor_finds_registers_downloads_asks_and_sees_the_addendum(org, clock):
    from tangguh.qualification.services.items import qualification_item_add
    from tangguh.vendors.services import vendor_approve

    vendor_approve(actor=org.users[Role.VERIFIER], company_id=org.company.pk)
    qualification_item_add(
        actor=org.users[Role.VENDOR],
        company_id=org.company.pk,
        kind="licence",
        values={"kbli_codes": ["46691"], "business_size": "small"},
    )
    tender = _announced_through_pages(org, clock)
    vendor = _client(org.users[Role.VENDOR])

    found = vendor.get("/cari/", {"q": "alat kesehatan icu", "status": "announced"})
    assert tender.code in found.content.decode()
    elsewhere = factories.make_agency("Pemerintah Kabupaten Lain")
    assert (
        tender.code
        not in vendor.get(
            "/cari/", {"q": "alat kesehatan", "agency": elsewhere.pk}
        ).content.decode()
    )
    assert (
        tender.code
        in vendor.get("/cari/", {"q": "alat kesehatan", "agency": org.agency.pk}).content.decode()
    )

    page = vendor.get(f"/tender/{tender.code}/").content.decode()
    assert "Pakta Integritas" in page
    import re

    pact = re.search(r'name="pact_sha256" value="([0-9a-f]{64})"', page).group(1)
    refused = vendor.post(
        f"/tender/{tender.code}/daftar/", {"pact_sha256": pact}, follow=True
    ).content.decode()
    assert "Daftar sebagai peserta" in refused  # not registered without accepting
    registered = vendor.post(
        f"/tender/{tender.code}/daftar/", {"pact_sha256": pact, "accept": "yes"}, follow=True
    ).content.decode()
    assert "Anda terdaftar" in registered, re.findall(r"<li class=\"error\">(.*?)</li>", registered)
    page = vendor.get(f"/tender/{tender.code}/").content.decode()
    assert "terdaftar sebagai peserta" in page

    document = tender.documents.get()
    download = vendor.get(f"/tender/{tender.code}/dokumen/{document.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Security-Policy"] == "sandbox"

    clarification = tender.stages.get(kind="clarification")
    clock.set(clarification.start + timedelta(hours=1))
    question = "Apakah ventilator boleh merek lokal dengan TKDN di atas 40%?"
    vendor.post(f"/tender/{tender.code}/tanya/", {"text": question})
    public = Client().get(f"/tender/{tender.code}/").content.decode()
    assert question in public
    assert org.users[Role.VENDOR].username not in public  # askers are not named

    pokja = _client(org.users[Role.COMMITTEE_MEMBER])
    base = f"/pokja/paket/{tender.package_id}"
    from tangguh.clarification.models import Question

    answer = "Boleh, sepanjang memenuhi spesifikasi teknis pada Bab V."
    pokja.post(f"{base}/answer/", {"question_id": Question.objects.get().pk, "answer": answer})
    assert answer in Client().get(f"/tender/{tender.code}/").content.decode()

    bid = tender.stages.get(kind="bid_submission")
    from zoneinfo import ZoneInfo

    new_end = (bid.end + timedelta(days=7)).astimezone(ZoneInfo("Asia/Jayapura"))
    reason = "Adendum spesifikasi ventilator; waktu penyusunan penawaran ditambah 7 hari."
    addendum = io.BytesIO(PDF)
    addendum.name = "adendum-1.pdf"
    done = pokja.post(
        f"{base}/addendum/",
        {
            "title": "Adendum Dokumen Pemilihan",
            "description": "Spesifikasi ventilator diubah.",
            "file": addendum,
            "new_bid_end": new_end.strftime("%Y-%m-%dT%H:%M"),
            "reason": reason,
        },
        follow=True,
    ).content.decode()
    assert "Adendum diterbitkan" in done, done
    public = Client().get(f"/tender/{tender.code}/").content.decode()
    assert reason in public and "Adendum Dokumen Pemilihan" in public
    inbox = vendor.get("/kotak-masuk/").content.decode()
    assert tender.code in inbox


def test_ppk_imports_rup_csv_and_sees_each_refused_row(org, clock):
    from tangguh.planning.models import PlanItem

    ppk = _client(org.users[Role.COMMITMENT_OFFICER])
    upload = io.BytesIO(
        b"rup_code,fiscal_year,title,category,budget\n"
        b"RUP-1,2024,Pengadaan Laptop Dinas,goods,350000000\n"
        b"RUP-2,2024,Belanja Kertas,stationery,5000000\n"
    )
    upload.name = "rup.csv"
    page = ppk.post("/ppk/rup/impor/", {"work_unit_id": org.work_unit.pk, "file": upload})
    text = page.content.decode()
    assert "Tidak ada yang diimpor" in text and "stationery" not in text
    assert "Kategori harus salah satu dari" in text
    assert not PlanItem.objects.exists()
