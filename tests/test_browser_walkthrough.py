"""Issue #4's walk, in a real Chromium: the PPK delegates → the UKPBJ head assigns → the Pokja
prepares and announces → a vendor finds the tender by search, registers, downloads, asks →
the Pokja answers and issues an addendum with a schedule change → the public page shows the
change and its reason. Screenshots of each page go to /tmp/tangguh-walk-*.png.

The live server runs in this process, so the one clock is frozen here and moved forward
into the clarification stage, as days would pass.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tangguh import clock as clock_module
from tangguh.accounts.selectors import users_with_role
from tangguh.clock import FrozenClock
from tangguh.domain.roles import Role
from tangguh.organizations.services import node_ensure
from tangguh.testing import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOTS = Path("/tmp")  # noqa: S108 - where a human looks at the screenshots
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"tangguh-walk-{name}.png"), full_page=True)


def log_in(page, base: str, user, *, totp: bool = False) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/masuk/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", factories.PASSWORD)
    page.locator("main form button[type=submit]").click()
    if totp:
        page.wait_for_url(f"{base}/masuk/otp/")
        user.refresh_from_db()
        page.fill("#id_otp", factories.current_code(user))
        page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/dasbor/")


def test_package_to_public_tender_with_questions_and_an_addendum(page, live_server, tmp_path):
    from playwright.sync_api import expect

    # Monday 3 June 2024, 09:00 WIT: a working day with no holiday in the next weeks.
    frozen = FrozenClock(datetime(2024, 6, 3, 0, 0, tzinfo=UTC))
    with clock_module.use_clock(frozen):
        node_ensure(actor="test", name="LPSE Kabupaten Mimika")
        agency = factories.make_agency("Pemerintah Kabupaten Mimika")
        work_unit = factories.make_work_unit(agency)
        unit = factories.make_procurement_unit(agency)
        committee = factories.make_committee(unit)
        member = users_with_role(Role.COMMITTEE_MEMBER, f"committee:{committee.pk}")[0]
        ppk = factories.make_user(grants=[(Role.COMMITMENT_OFFICER, f"work_unit:{work_unit.pk}")])
        head = factories.make_user(
            grants=[(Role.PROCUREMENT_UNIT_HEAD, f"procurement_unit:{unit.pk}")]
        )
        verifier = factories.make_user(grants=[(Role.VERIFIER, "node")])
        company, vendor = factories.make_vendor()
        from tangguh.qualification.services.items import qualification_item_add
        from tangguh.vendors.services import vendor_approve

        vendor_approve(actor=verifier, company_id=company.pk)
        qualification_item_add(
            actor=vendor,
            company_id=company.pk,
            kind="licence",
            values={"kbli_codes": ["41011"], "business_size": "small"},
        )
        base = live_server.url
        title = "Peningkatan Jalan SP 2 – SP 5 Timika"

        # The PPK creates the package and delegates it.
        log_in(page, base, ppk)
        page.goto(f"{base}/ppk/paket/")
        page.fill("#title", title)
        page.select_option("#category", "works")
        page.fill("#budget", "2500000000")
        page.fill("#owner_estimate", "2400000000")
        page.fill("#location", "Distrik Kuala Kencana, Mimika")
        page.fill("#fiscal_year", "2024")
        page.get_by_role("button", name="Buat paket").click()
        expect(page.locator("main")).to_contain_text(title)
        page.get_by_role("button", name="Delegasikan").click()
        expect(page.locator("main")).to_contain_text("Didelegasikan")
        shot(page, "1-ppk")

        # Two days later the UKPBJ head sees it waiting and assigns a Pokja.
        frozen.move(timedelta(days=2))
        log_in(page, base, head)
        page.goto(f"{base}/ukpbj/antrean/")
        expect(page.locator("main")).to_contain_text(title)
        expect(page.locator("main")).to_contain_text("2 hari")
        shot(page, "2-ukpbj-backlog")
        page.get_by_role("button", name="Tugaskan").click()
        expect(page.locator("main")).to_contain_text("ditugaskan")

        # The Pokja prepares and announces.
        frozen.move(timedelta(hours=1))
        log_in(page, base, member, totp=True)
        page.goto(f"{base}/pokja/paket/")
        page.get_by_role("link", name=title).click()
        page.select_option("#method", "tender_one_file")
        page.select_option("#evaluation_method", "lowest_price")
        page.fill("#requirements", "SBU BG004 kualifikasi kecil\nPengalaman 1 pekerjaan jalan")
        page.get_by_role("button", name="Simpan pengaturan").click()
        page.get_by_role("button", name="Usulkan jadwal tercepat yang sah").click()
        expect(page.locator("table.schedule")).to_contain_text("Pemberian Penjelasan")
        document = tmp_path / "dokumen-pemilihan.pdf"
        document.write_bytes(PDF)
        page.set_input_files("#doc-file", str(document))
        page.get_by_role("button", name="Unggah").click()
        expect(page.locator("main")).to_contain_text("Dokumen diunggah")
        shot(page, "3-pokja-prepare")
        page.get_by_role("button", name="Bagikan kunci sampul").click()
        expect(page.locator("#pokja-sealing-keys")).to_contain_text("belum diperiksa")
        from tangguh.tenders.models import Tender

        # Each member's key check (what their browser or CLI does), then the announcement.
        factories.sealing_keys_check_all(Tender.objects.get(title=title))
        page.reload()
        expect(page.locator("#pokja-sealing-keys")).not_to_contain_text("belum diperiksa")
        page.get_by_role("button", name="Umumkan tender").click()
        expect(page.locator("main")).to_contain_text("diumumkan")
        code = re.search(r"Tender (\d{9}) diumumkan", page.locator("main").inner_text()).group(1)

        # A vendor finds it by search, registers with the integrity pact, downloads.
        log_in(page, base, vendor)
        page.goto(f"{base}/")
        page.fill("#q", "jalan timika")
        page.get_by_role("button", name="Cari").click()
        expect(page.locator("ol.results")).to_contain_text(title)
        shot(page, "4-search")
        page.get_by_role("link", name=title).click()
        expect(page.locator("#register")).to_contain_text("Pakta Integritas")
        page.check("input[name=accept]")
        page.get_by_role("button", name="Daftar", exact=True).click()
        expect(page.locator("#participation")).to_contain_text("terdaftar sebagai peserta")
        with page.expect_download() as download:
            page.get_by_role("link", name="Dokumen Pemilihan").click()
        assert Path(download.value.path()).read_bytes() == PDF

        # During the clarification stage the vendor asks.
        tender = Tender.objects.get(code=code)
        frozen.set(tender.stages.get(kind="clarification").start + timedelta(hours=1))
        page.reload()
        question = "Apakah aspal boleh dari AMP di luar Kabupaten Mimika?"
        page.fill("#q-text", question)
        page.get_by_role("button", name="Kirim pertanyaan").click()
        expect(page.locator("#penjelasan ~ article.qa").first).to_contain_text(question)

        # The Pokja answers and issues an addendum that moves the bid deadline.
        log_in(page, base, member, totp=True)
        page.goto(f"{base}/pokja/paket/{tender.package_id}/")
        answer = "Boleh, jarak angkut dihitung dalam analisa harga satuan."
        page.fill("#pokja-questions textarea", answer)
        page.get_by_role("button", name="Terbitkan jawaban").click()
        expect(page.locator("main")).to_contain_text("Jawaban diterbitkan")
        bid = tender.stages.get(kind="bid_submission")
        from zoneinfo import ZoneInfo

        new_end = (bid.end + timedelta(days=7)).astimezone(ZoneInfo("Asia/Jayapura"))
        addendum = tmp_path / "adendum-1.pdf"
        addendum.write_bytes(PDF)
        reason = "Adendum 1: gambar potongan melintang diperbaiki; waktu penawaran ditambah."
        page.fill("#add-desc", "Gambar potongan melintang STA 0+000 – 2+500 diperbaiki.")
        page.set_input_files("#add-file", str(addendum))
        page.fill("#add-end", new_end.strftime("%Y-%m-%dT%H:%M"))
        page.fill("#add-reason", reason)
        shot(page, "5-pokja-addendum")
        page.get_by_role("button", name="Terbitkan adendum").click()
        expect(page.locator("main")).to_contain_text("Adendum diterbitkan")

        # The public sees the change, its reason, the answer — and no asker's name.
        page.context.clear_cookies()
        page.goto(f"{base}/tender/{code}/")
        main = page.locator("main")
        expect(main).to_contain_text("Riwayat perubahan jadwal")
        expect(main).to_contain_text(reason)
        expect(main).to_contain_text(answer)
        expect(main).to_contain_text("Adendum")
        expect(main).not_to_contain_text(vendor.username)
        expect(page.locator("tr.current", has_text="Pemberian Penjelasan")).to_have_count(1)
        shot(page, "6-public-tender")
