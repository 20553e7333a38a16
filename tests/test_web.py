"""The pages: public home and language switch, login with two factors, vendor registration,
the verifier's queue, CSRF and logout."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from django.test import Client

from tangguh.accounts.models import RoleAssignment, User
from tangguh.accounts.selectors import users_with_role
from tangguh.domain.roles import Role
from tangguh.organizations.services import node_ensure
from tangguh.testing import factories
from tangguh.vendors.models import VendorCompany, VendorStatus

NODE = "LPSE Kabupaten Uji Halaman"
OTP_WRONG = "Kode autentikasi dua faktor salah atau sudah dipakai."


@pytest.fixture
def node(db, clock):
    return node_ensure(actor="test", name=NODE)


@pytest.fixture
def client(node):
    return Client()


def text(response) -> str:
    return response.content.decode()


def password_login(client: Client, user: User):
    return client.post("/masuk/", {"username": user.username, "password": factories.PASSWORD})


def committee_member(totp: bool = True) -> User:
    """A Pokja member; with ``totp=False`` one who has never enrolled a second factor."""
    committee = factories.make_committee()
    if totp:
        return users_with_role(Role.COMMITTEE_MEMBER, f"committee:{committee.pk}")[0]
    fresh = factories.make_user()
    factories.grant(fresh, Role.COMMITTEE_MEMBER, f"committee:{committee.pk}")
    return fresh


def admin() -> User:
    return factories.make_user(grants=[(Role.ADMIN, "node")], totp=True)


# --- Public home and language ---------------------------------------------------------


def test_public_home_is_in_indonesian_and_names_the_node(client):
    response = client.get("/")
    assert response.status_code == 200
    page = text(response)
    assert NODE in page
    assert '<html lang="id">' in page
    assert "Layanan Pengadaan Secara Elektronik" in page
    assert "Daftar Penyedia" in page
    assert "Electronic procurement service" not in page
    assert 'value="en"' in page  # the English switch


def test_language_switch_shows_english_and_back(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    page = text(client.get("/"))
    assert '<html lang="en">' in page
    assert "Electronic procurement service" in page
    assert "Vendor registration" in page
    assert "Layanan Pengadaan Secara Elektronik" not in page
    assert NODE in page

    client.post("/i18n/setlang/", {"language": "id", "next": "/"})
    assert "Layanan Pengadaan Secara Elektronik" in text(client.get("/"))


def test_login_page_has_the_form(client):
    response = client.get("/masuk/")
    page = text(response)
    assert response.status_code == 200
    assert 'name="username"' in page and 'type="password"' in page
    assert "csrfmiddlewaretoken" in page
    assert "<h1>Masuk</h1>" in page


# --- Login -----------------------------------------------------------------------------


def test_vendor_login_goes_to_dashboard_showing_role_and_company(client):
    company, vendor = factories.make_vendor()
    response = password_login(client, vendor)
    assert response.status_code == 302 and response["Location"] == "/dasbor/"
    page = text(client.get("/dasbor/"))
    assert 'data-role="vendor"' in page
    assert "<strong>Penyedia</strong>" in page
    assert company.name in page and "Menunggu verifikasi" in page

    client.post("/i18n/setlang/", {"language": "en", "next": "/dasbor/"})
    assert "<strong>Vendor</strong>" in text(client.get("/dasbor/"))


def test_wrong_password_stays_on_login_page_with_a_message(client):
    _, vendor = factories.make_vendor()
    response = client.post("/masuk/", {"username": vendor.username, "password": "salah-sekali-1"})
    assert response.status_code == 401
    assert "Nama pengguna atau kata sandi salah." in text(response)
    assert client.get("/dasbor/").status_code == 302


def test_dashboard_needs_login(client):
    response = client.get("/dasbor/")
    assert response.status_code == 302
    assert response["Location"].startswith("/masuk/")


@pytest.mark.parametrize("make", [committee_member, admin], ids=["committee", "admin"])
def test_two_factor_user_must_pass_otp_before_dashboard(client, clock, make):
    user = make()
    clock.move(timedelta(seconds=30))
    response = password_login(client, user)
    assert response.status_code == 302 and response["Location"] == "/masuk/otp/"
    blocked = client.get("/dasbor/")
    assert blocked.status_code == 302 and blocked["Location"] == "/masuk/otp/"
    page = text(client.get("/masuk/otp/"))
    assert "Masukkan kode 6 digit" in page
    assert 'class="secret"' not in page  # already enrolled: no secret shown again

    response = client.post("/masuk/otp/", {"otp": factories.current_code(user)})
    assert response.status_code == 302 and response["Location"] == "/dasbor/"
    dashboard = client.get("/dasbor/")
    assert dashboard.status_code == 200
    expected = "Pokja Pemilihan" if make is committee_member else "Admin PPE"
    assert f"<strong>{expected}</strong>" in text(dashboard)


def test_wrong_otp_code_shows_error_and_keeps_user_out(client, clock):
    user = committee_member()
    clock.move(timedelta(seconds=30))
    password_login(client, user)
    good = factories.current_code(user)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    response = client.post("/masuk/otp/", {"otp": wrong})
    assert response.status_code == 422
    assert OTP_WRONG in text(response)
    assert client.get("/dasbor/")["Location"] == "/masuk/otp/"
    assert client.post("/masuk/otp/", {"otp": good})["Location"] == "/dasbor/"


def test_an_otp_code_is_accepted_only_once(node, clock):
    user = committee_member()
    clock.move(timedelta(seconds=30))
    code = factories.current_code(user)
    first = Client()
    password_login(first, user)
    assert first.post("/masuk/otp/", {"otp": code})["Location"] == "/dasbor/"

    replay = Client()
    password_login(replay, user)
    response = replay.post("/masuk/otp/", {"otp": code})
    assert response.status_code == 422 and OTP_WRONG in text(response)
    assert replay.get("/dasbor/")["Location"] == "/masuk/otp/"

    clock.move(timedelta(seconds=30))
    fresh = replay.post("/masuk/otp/", {"otp": factories.current_code(user)})
    assert fresh["Location"] == "/dasbor/"
    assert replay.get("/dasbor/").status_code == 200


def test_first_login_of_committee_member_enrols_totp(client, clock):
    user = committee_member(totp=False)
    assert not user.has_totp
    assert password_login(client, user)["Location"] == "/masuk/otp/"
    page = text(client.get("/masuk/otp/"))
    user.refresh_from_db()
    assert user.totp_secret and not user.has_totp
    assert "<svg" in page and "Pindai kode QR" in page
    shown = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page)
    assert shown and shown.group(1) == user.totp_secret
    assert client.get("/dasbor/")["Location"] == "/masuk/otp/"

    bad = client.post("/masuk/otp/", {"otp": "000000"})
    assert bad.status_code == 422 and OTP_WRONG in text(bad)
    user.refresh_from_db()
    assert not user.has_totp

    code = pyotp.TOTP(shown.group(1)).at(clock.now())
    response = client.post("/masuk/otp/", {"otp": code})
    assert response.status_code == 302 and response["Location"] == "/dasbor/"
    user.refresh_from_db()
    assert user.has_totp
    assert "<strong>Pokja Pemilihan</strong>" in text(client.get("/dasbor/"))


# --- Vendor registration --------------------------------------------------------------


def registration(**overrides) -> dict:
    form = {
        "company_name": "CV Maju Bersama Timika",
        "nib": "9120001234567",
        "npwp": "01.234.567.8-953.000",
        "address": "Jl. Cenderawasih 12",
        "city": "Timika",
        "email": "admin@majubersama.co.id",
        "display_name": "Yohanes Beanal",
        "username": "yohanes.mb",
        "password": factories.PASSWORD,
    }
    return {**form, **overrides}


def test_registration_with_bad_nib_shows_indonesian_error_and_creates_nothing(client):
    before = (VendorCompany.objects.count(), User.objects.count())
    response = client.post("/penyedia/daftar/", registration(nib="12345"))
    assert response.status_code == 422
    page = text(response)
    assert 'id="id_nib-error"' in page
    assert "NIB harus 13 digit angka." in page
    assert (VendorCompany.objects.count(), User.objects.count()) == before


def test_valid_registration_creates_pending_company_and_its_user(client):
    response = client.post("/penyedia/daftar/", registration())
    assert response.status_code == 201
    assert "Pendaftaran diterima" in text(response)
    company = VendorCompany.objects.get(nib="9120001234567")
    assert company.status == VendorStatus.PENDING
    assert company.npwp == "012345678953000"
    user = User.objects.get(username="yohanes.mb")
    assert RoleAssignment.objects.filter(
        user=user, role=Role.VENDOR.value, scope=f"company:{company.pk}"
    ).exists()
    assert password_login(client, user)["Location"] == "/dasbor/"


# --- Verifier queue -------------------------------------------------------------------


@pytest.fixture
def verifier_client(node):
    verifier = factories.make_user(grants=[(Role.VERIFIER, "node")])
    client = Client()
    assert password_login(client, verifier)["Location"] == "/dasbor/"
    client.verifier = verifier
    return client


def test_verifier_queue_lists_pending_and_approves(verifier_client):
    company, _ = factories.make_vendor()
    page = text(verifier_client.get("/verifikasi/"))
    assert company.name in page and company.nib in page

    response = verifier_client.post(
        f"/verifikasi/{company.pk}/", {"decision": "approve"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/verifikasi/"
    assert "terverifikasi" in text(response)
    company.refresh_from_db()
    assert company.status == VendorStatus.APPROVED
    assert company.verified_by_id == verifier_client.verifier.pk
    assert company.name not in text(verifier_client.get("/verifikasi/"))


def test_opening_the_queue_records_who_read_the_tax_numbers(verifier_client):
    from tangguh.audit.models import AuditEvent

    company, _ = factories.make_vendor()
    verifier_client.get("/verifikasi/")
    event = AuditEvent.objects.filter(action="read.sensitive").latest("seq")
    assert event.actor == f"user:{verifier_client.verifier.username}"
    assert str(company.pk) in event.payload["ids"]
    assert event.payload["purpose"] == "vendor verification"


def test_reject_without_reason_is_refused_and_company_stays_pending(verifier_client):
    company, _ = factories.make_vendor()
    response = verifier_client.post(
        f"/verifikasi/{company.pk}/", {"decision": "reject", "reason": "  "}, follow=True
    )
    assert "Alasan penolakan wajib diisi" in text(response)
    company.refresh_from_db()
    assert company.status == VendorStatus.PENDING and company.rejection_reason == ""


def test_reject_with_reason_marks_company_rejected(verifier_client):
    company, vendor = factories.make_vendor()
    reason = "Akta pendirian tidak sesuai dengan NIB."
    verifier_client.post(f"/verifikasi/{company.pk}/", {"decision": "reject", "reason": reason})
    company.refresh_from_db()
    assert company.status == VendorStatus.REJECTED
    assert company.rejection_reason == reason
    vendor_client = Client()
    password_login(vendor_client, vendor)
    page = text(vendor_client.get("/dasbor/"))
    assert "Ditolak" in page and reason in page


def test_non_verifier_gets_403_on_queue_and_cannot_decide(client):
    company, vendor = factories.make_vendor()
    password_login(client, vendor)
    response = client.get("/verifikasi/")
    assert response.status_code == 403
    assert "Tidak diizinkan" in text(response)
    response = client.post(f"/verifikasi/{company.pk}/", {"decision": "approve"})
    assert response.status_code == 403
    company.refresh_from_db()
    assert company.status == VendorStatus.PENDING


# --- CSRF and logout ------------------------------------------------------------------


def test_login_post_without_csrf_token_is_forbidden(node):
    _, vendor = factories.make_vendor()
    strict = Client(enforce_csrf_checks=True)
    response = password_login(strict, vendor)
    assert response.status_code == 403
    assert strict.get("/dasbor/").status_code == 302

    page = text(strict.get("/masuk/"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = strict.post(
        "/masuk/",
        {"username": vendor.username, "password": factories.PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302 and response["Location"] == "/dasbor/"


def test_logout_requires_post(client):
    _, vendor = factories.make_vendor()
    password_login(client, vendor)
    assert client.get("/keluar/").status_code == 405
    assert client.get("/dasbor/").status_code == 200
    response = client.post("/keluar/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/dasbor/").status_code == 302


@pytest.mark.django_db
def test_pages_stay_indonesian_for_an_english_browser_until_english_is_chosen():
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    page = client.get("/").content.decode()
    assert 'lang="id"' in page and "Beranda" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get("/").content.decode()
    assert 'lang="en"' in english and "Home" in english and "Beranda" not in english
