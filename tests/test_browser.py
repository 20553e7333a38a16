"""A real Chromium against a live server: the public home in two languages, a vendor's login,
and a committee member's login through the second factor.

The live server runs on the real system clock, so TOTP codes are computed at the real time
(the frozen ``clock`` fixture is not used here). Data is created inside each test: the live
server needs a transactional database.
"""

from __future__ import annotations

import os

import pyotp
import pytest

from tangguh.accounts.selectors import users_with_role
from tangguh.domain.roles import Role
from tangguh.organizations.services import node_ensure
from tangguh.testing import factories

pytestmark = [
    pytest.mark.browser,
    # Restores the rows the migrations create (the audit head) after an earlier
    # transactional test emptied every table.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NODE = "LPSE Kabupaten Uji Peramban"
SCREENSHOT = "/tmp/tangguh-dashboard.png"  # noqa: S108 - a fixed path a human opens


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/masuk/")
    page.fill("#id_username", username)
    page.fill("#id_password", factories.PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def test_vendor_reads_home_in_both_languages_and_logs_in(page, live_server):
    from playwright.sync_api import expect

    node_ensure(actor="test", name=NODE)
    company, vendor = factories.make_vendor()
    base = live_server.url

    page.goto(f"{base}/")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.locator("h1")).to_have_text(NODE)
    assert "LPSE" in page.locator("header .brand").inner_text()
    expect(page.locator("main")).to_contain_text("Layanan Pengadaan Secara Elektronik")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("main")).to_contain_text("Electronic procurement service")
    expect(page.locator("main")).not_to_contain_text("Layanan Pengadaan Secara Elektronik")

    log_in(page, base, vendor.username)
    assert page.url == f"{base}/dasbor/"
    vendor_role = page.locator('li[data-role="vendor"]')
    expect(vendor_role).to_contain_text("Vendor")
    expect(page.locator("#panel-vendor")).to_contain_text(company.name)

    page.get_by_role("button", name="Bahasa Indonesia").click()
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(vendor_role).to_contain_text("Penyedia")
    expect(page.locator("h1")).to_contain_text("Selamat datang")
    page.screenshot(path=SCREENSHOT, full_page=True)
    assert os.path.getsize(SCREENSHOT) > 1000

    page.get_by_role("button", name="Keluar").click()
    expect(page.locator("header nav")).to_contain_text("Masuk")
    page.goto(f"{base}/dasbor/")
    assert page.url.startswith(f"{base}/masuk/")


def test_committee_member_must_pass_totp_before_the_dashboard(page, live_server):
    from playwright.sync_api import expect

    node_ensure(actor="test", name=NODE)
    committee = factories.make_committee()
    member = users_with_role(Role.COMMITTEE_MEMBER, f"committee:{committee.pk}")[0]
    assert member.has_totp
    base = live_server.url

    log_in(page, base, member.username)
    assert page.url == f"{base}/masuk/otp/"
    expect(page.locator("h1")).to_have_text("Autentikasi dua faktor")
    page.goto(f"{base}/dasbor/")
    assert page.url == f"{base}/masuk/otp/", "the dashboard was reachable without the code"

    page.fill("#id_otp", "000000" if pyotp.TOTP(member.totp_secret).now() != "000000" else "111111")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("salah atau sudah dipakai")
    assert page.url == f"{base}/masuk/otp/"

    page.fill("#id_otp", pyotp.TOTP(member.totp_secret).now())
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/dasbor/")
    expect(page.locator('li[data-role="committee_member"]')).to_contain_text("Pokja Pemilihan")
    expect(page.locator("#panel-committee")).to_be_visible()
