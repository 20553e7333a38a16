"""The qualification profile pages: the vendor keeps the profile, the verifier checks it; every
refusal is shown naming its field and stores nothing."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.test import Client

from tangguh.accounts.middleware import SESSION_FLAG
from tangguh.audit.models import AuditEvent
from tangguh.domain.roles import Role
from tangguh.qualification.models import BusinessLicence, Equipment, Experience, Verification
from tangguh.testing import factories

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PAGE = "/penyedia/kualifikasi/"
QUEUE = "/verifikasi/kualifikasi/"
REASON = "Skala usaha pada NIB tertulis menengah, bukan kecil."


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_FLAG] = True
    session.save()
    return client


def _english(client: Client) -> None:
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})


def _add_licence(client: Client, company_id: int, **values):
    body = {"kbli_codes": "41011, 42101", "business_size": "small", **values}
    return client.post(f"{PAGE}{company_id}/licence/tambah/", body, follow=True)


def _upload(client: Client, company_id: int, kind: str, item_id: int, content: bytes, name: str):
    handle = io.BytesIO(content)
    handle.name = name
    return client.post(
        f"{PAGE}{company_id}/{kind}/{item_id}/unggah/", {"file": handle}, follow=True
    )


def test_vendor_adds_a_small_business_licence_and_sees_it_pending(org, clock):
    vendor = _client(org.users[Role.VENDOR])
    empty = vendor.get(PAGE).content.decode()
    for heading in ("Izin usaha (NIB dan KBLI)", "Sertifikat Badan Usaha (SBU)", "Peralatan"):
        assert heading in empty
    assert 'for="licence-new-business_size"' in empty and 'name="kbli_codes"' in empty

    page = _add_licence(vendor, org.company.pk)
    html = page.content.decode()
    licence = BusinessLicence.objects.get(profile__company=org.company)
    assert licence.kbli_codes == ["41011", "42101"]
    assert licence.business_size == "small"
    assert licence.verification == Verification.PENDING
    assert "Menunggu pemeriksaan" in html and "ditambahkan" in html
    assert "Usaha kecil" in html
    assert "<code>41011</code>" in html
    assert "licence-new-kbli_codes" not in html  # one licence: changed, not added again

    shown = _upload(vendor, org.company.pk, "licence", licence.pk, PDF, "nib.pdf")
    assert "nib.pdf" in shown.content.decode()
    licence.refresh_from_db()
    assert licence.document_filename == "nib.pdf" and licence.document_sha256
    download = vendor.get(f"{PAGE}{org.company.pk}/licence/{licence.pk}/dokumen/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF


def test_each_kind_only_asks_for_its_own_fields(org, clock):
    html = _client(org.users[Role.VENDOR]).get(PAGE).content.decode()
    assert 'id="equipment-new-ownership"' in html and 'id="equipment-new-capacity"' in html
    assert 'id="equipment-new-valid_until"' not in html
    assert 'id="experience-new-completed_on"' in html and 'type="date"' in html
    assert 'id="staff-new-experience_years"' in html and 'id="staff-new-amount"' not in html


def test_bad_input_shows_the_field_error_and_stores_nothing(org, clock):
    vendor = _client(org.users[Role.VENDOR])
    page = _add_licence(vendor, org.company.pk, kbli_codes="4101x")
    html = page.content.decode()
    assert page.status_code == 422
    assert "Kode KBLI: setiap kode KBLI terdiri dari 5 digit (4101x)." in html
    assert 'id="licence-new-kbli_codes-error"' in html
    assert 'value="4101x"' in html  # what was typed stays in the form
    assert not BusinessLicence.objects.exists()

    page = vendor.post(
        f"{PAGE}{org.company.pk}/experience/tambah/",
        {
            "contract_name": "Peningkatan Jalan SP 2 – SP 3",
            "client": "Dinas PUPR Kabupaten Mimika",
            "contract_value": "1.500.000.000",
            "year": "2022",
        },
    )
    assert page.status_code == 422
    assert "Nilai kontrak: harus angka." in page.content.decode()
    assert not Experience.objects.exists()

    _english(vendor)
    page = vendor.post(
        f"{PAGE}{org.company.pk}/equipment/tambah/",
        {"name": "Excavator", "quantity": "0", "capacity": "", "ownership": "owned"},
    )
    html = page.content.decode()
    assert page.status_code == 422
    assert "Quantity: must be between 1 and 1000000." in html
    assert not Equipment.objects.exists()


def test_a_non_pdf_upload_is_refused(org, clock):
    vendor = _client(org.users[Role.VENDOR])
    _add_licence(vendor, org.company.pk)
    licence = BusinessLicence.objects.get()
    page = _upload(
        vendor, org.company.pk, "licence", licence.pk, b"MZ\x90\x00 not a pdf", "nib.pdf"
    )
    assert page.status_code == 422
    assert "Dokumen pendukung harus berkas PDF." in page.content.decode()
    licence.refresh_from_db()
    assert licence.document_sha256 == ""
    missing = vendor.post(f"{PAGE}{org.company.pk}/licence/{licence.pk}/unggah/", {})
    assert missing.status_code == 422 and "pilih berkas PDF" in missing.content.decode()


def test_a_change_sends_a_verified_item_back_to_the_verifier(org, clock):
    vendor = _client(org.users[Role.VENDOR])
    _add_licence(vendor, org.company.pk)
    licence = BusinessLicence.objects.get()
    verifier = _client(org.users[Role.VERIFIER])
    verifier.post(f"{QUEUE}licence/{licence.pk}/", {"decision": "verify"})
    licence.refresh_from_db()
    assert licence.verification == Verification.VERIFIED

    page = vendor.post(
        f"{PAGE}{org.company.pk}/licence/{licence.pk}/ubah/",
        {"kbli_codes": "41011", "business_size": "non_small"},
        follow=True,
    )
    assert "kembali menunggu" in page.content.decode()
    licence.refresh_from_db()
    assert licence.business_size == "non_small" and licence.kbli_codes == ["41011"]
    assert licence.verification == Verification.PENDING

    vendor.post(f"{PAGE}{org.company.pk}/licence/{licence.pk}/hapus/")
    assert not BusinessLicence.objects.exists()


def test_another_company_vendor_can_neither_see_nor_edit(org, clock):
    owner = _client(org.users[Role.VENDOR])
    _add_licence(owner, org.company.pk)
    licence = BusinessLicence.objects.get()
    _upload(owner, org.company.pk, "licence", licence.pk, PDF, "nib.pdf")
    _, other_user = factories.make_vendor()
    other = _client(other_user)

    seen = other.get(f"{PAGE}?company={org.company.pk}")
    assert seen.status_code == 403 and org.company.name not in seen.content.decode()
    base = f"{PAGE}{org.company.pk}/licence/{licence.pk}"
    assert other.get(f"{base}/dokumen/").status_code == 403
    assert (
        other.post(f"{base}/ubah/", {"kbli_codes": "99999", "business_size": "non_small"})
    ).status_code == 403
    assert other.post(f"{base}/hapus/").status_code == 403
    assert _upload(other, org.company.pk, "licence", licence.pk, PDF, "x.pdf").status_code == 403
    assert other.post(f"{PAGE}{org.company.pk}/sbu/tambah/", {}).status_code == 403
    licence.refresh_from_db()
    assert licence.kbli_codes == ["41011", "42101"] and licence.document_filename == "nib.pdf"
    # Their own page shows their own (empty) profile, not the other company's.
    assert org.company.name not in other.get(PAGE).content.decode()


def test_verifier_verifies_and_rejects_with_a_reason_the_vendor_then_sees(org, clock):
    vendor = _client(org.users[Role.VENDOR])
    _add_licence(vendor, org.company.pk)
    licence = BusinessLicence.objects.get()
    _upload(vendor, org.company.pk, "licence", licence.pk, PDF, "nib.pdf")
    clock.move(timedelta(minutes=5))
    vendor.post(
        f"{PAGE}{org.company.pk}/equipment/tambah/",
        {
            "name": "Asphalt Finisher",
            "quantity": "1",
            "capacity": "10 ton/jam",
            "ownership": "owned",
        },
    )
    equipment = Equipment.objects.get()

    verifier = _client(org.users[Role.VERIFIER])
    queue = verifier.get(QUEUE)
    html = queue.content.decode()
    assert queue.status_code == 200
    assert org.company.name in html and "Asphalt Finisher" in html and "Usaha kecil" in html
    assert html.index(f"pending-licence-{licence.pk}") < html.index(
        f"pending-equipment-{equipment.pk}"
    )  # oldest change first
    document = f"{PAGE}{org.company.pk}/licence/{licence.pk}/dokumen/"
    assert document in html
    download = verifier.get(document)
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    read = AuditEvent.objects.filter(action="read.sensitive").last()
    assert read.object_type == "qualification_licence" and read.object_id == str(licence.pk)
    assert read.payload["purpose"] == "qualification.document_read"

    done = verifier.post(f"{QUEUE}licence/{licence.pk}/", {"decision": "verify"}, follow=True)
    assert "terverifikasi" in done.content.decode()
    licence.refresh_from_db()
    assert licence.verification == Verification.VERIFIED
    assert f"pending-licence-{licence.pk}" not in done.content.decode()

    refused = verifier.post(
        f"{QUEUE}equipment/{equipment.pk}/", {"decision": "reject", "reason": "kurang"}
    )
    assert refused.status_code == 422
    assert "Alasan penolakan wajib diisi" in refused.content.decode()
    equipment.refresh_from_db()
    assert equipment.verification == Verification.PENDING

    verifier.post(f"{QUEUE}equipment/{equipment.pk}/", {"decision": "reject", "reason": REASON})
    equipment.refresh_from_db()
    assert equipment.verification == Verification.REJECTED

    page = vendor.get(PAGE).content.decode()
    assert "Ditolak" in page and "Alasan verifikator" in page and REASON in page
    assert "Terverifikasi" in page
    _english(vendor)
    english = vendor.get(PAGE).content.decode()
    assert "Rejected" in english and REASON in english, english


def test_a_non_verifier_gets_403_on_the_queue(org, clock):
    for role in (Role.VENDOR, Role.COMMITMENT_OFFICER, Role.COMMITTEE_MEMBER):
        client = _client(org.users[role])
        assert client.get(QUEUE).status_code == 403, role
    vendor = _client(org.users[Role.VENDOR])
    _add_licence(vendor, org.company.pk)
    licence = BusinessLicence.objects.get()
    assert vendor.post(f"{QUEUE}licence/{licence.pk}/", {"decision": "verify"}).status_code == 403
    licence.refresh_from_db()
    assert licence.verification == Verification.PENDING
    assert Client().get(QUEUE).status_code == 302  # to the login page


def test_the_dashboards_link_to_the_new_pages(org, clock):
    assert PAGE in _client(org.users[Role.VENDOR]).get("/dasbor/").content.decode()
    assert QUEUE in _client(org.users[Role.VERIFIER]).get("/dasbor/").content.decode()
