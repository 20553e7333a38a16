"""Issue #6's walk in a real Chromium: the Pokja evaluates three opened bids (bill of
quantities imported as CSV, the clarification of the bid at 75% of the HPS), each member
confirms the minutes with a TOTP code, the committee awards; a losing vendor objects with a
document; the Pokja answers; the PPK issues the SPPBJ and records the contract. The minutes'
PDFs are downloaded from the pages and their text is checked for the names and amounts.

The three bids are sealed with ``age`` and opened by the quorum through the API first
(``tests/test_awards.open_three_bids``); the live server runs in this process with the same
frozen clock."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from tangguh import clock as clock_module
from tangguh.awards.models import Contract, Objection
from tangguh.domain.roles import Role
from tangguh.testing import factories
from tests.test_awards import ITEMS, _nib, _pass_all, open_three_bids
from tests.test_browser_walkthrough import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.filterwarnings("ignore:EdDSA is deprecated"),
]


@pytest.fixture(autouse=True)
def _own_blob_store(settings, tmp_path):
    settings.TANGGUH_DATA_DIR = tmp_path / "data"


def _pdf_text(page, href: str) -> str:
    response = page.request.get(href)
    assert response.status == 200 and response.body()[:5] == b"%PDF-"
    reader = PdfReader(io.BytesIO(response.body()))
    return "\n".join(p.extract_text() for p in reader.pages)


def _member_login(page, base, member):
    clock_module.get_clock().move(timedelta(seconds=31))  # a TOTP code is accepted once
    log_in(page, base, member, totp=True)


def _confirm_and_adopt(page, base, url, members, minute_kind_label):
    from playwright.sync_api import expect

    for member in members:
        _member_login(page, base, member)
        clock_module.get_clock().move(timedelta(seconds=31))  # the login used this code
        page.goto(url)
        block = page.locator(".minute", has_text=minute_kind_label).last
        block.locator("input[name=otp]").fill(factories.current_code(member))
        block.get_by_role("button", name="Konfirmasi").click()
        expect(page.locator("main")).to_contain_text("Persetujuan Anda dicatat")
    page.locator(".minute", has_text=minute_kind_label).last.get_by_role(
        "button", name="Tetapkan (mayoritas)"
    ).click()
    expect(page.locator("main")).to_contain_text("Berita acara ditetapkan")


def test_pokja_awards_a_vendor_objects_the_ppk_signs(page, live_server, api, org, tmp_path):
    from playwright.sync_api import expect

    opened = open_three_bids(api, org, tmp_path)
    _pass_all(opened)
    base = live_server.url
    code = opened.tender.code
    url = f"{base}/pokja/tender/{code}/evaluasi/"
    first, second, _ = opened.members

    # The Pokja imports the bill of quantities: B's understated line is corrected.
    _member_login(page, base, first)
    page.goto(url)
    csv = tmp_path / "boq.csv"
    csv.write_text("item,unit,volume\n" + "".join(f"{i},{u},{v}\n" for i, u, v in ITEMS))
    page.set_input_files("#bill-file", str(csv))
    page.get_by_role("button", name="Impor daftar kuantitas").click()
    expect(page.locator("main")).to_contain_text("Daftar kuantitas disimpan")
    expect(page.locator("#ranking")).to_contain_text("Rp2.456.320.000")
    expect(page.locator("#ranking")).to_contain_text("klarifikasi kewajaran harga wajib")

    # C bid 75% of the HPS: the clarification, then the evaluation minute.
    page.select_option("#cl-bid", _nib(opened, "C"))
    page.fill("#cl-note", "Analisa harga satuan wajar; agregat dari quarry milik sendiri.")
    page.get_by_role("button", name="Catat klarifikasi").click()
    expect(page.locator("main")).to_contain_text("Klarifikasi harga dicatat")
    page.get_by_role("button", name="Usulkan Berita Acara Evaluasi").click()
    expect(page.locator("main")).to_contain_text("Berita acara diusulkan")
    _confirm_and_adopt(page, base, url, [first, second], "Berita Acara Evaluasi")

    # Qualification and proof of the top-ranked, then the award.
    page.select_option("#check-bid", _nib(opened, "C"))
    page.select_option("#check-stage", "qualification")
    page.fill("#check-item", "Pembuktian SBU dan pengalaman")
    page.get_by_role("button", name="Catat", exact=True).click()
    expect(page.locator("main")).to_contain_text("Hasil pemeriksaan dicatat")
    page.get_by_role("button", name="Usulkan penetapan pemenang").click()
    expect(page.locator("main")).to_contain_text("Berita acara diusulkan")
    _confirm_and_adopt(page, base, url, [second, first], "Hasil Pemilihan")
    evaluation_href = (
        page.locator(".minute", has_text="Berita Acara Evaluasi")
        .last.get_by_role("link", name="Unduh PDF")
        .get_attribute("href")
    )
    award_href = (
        page.locator(".minute", has_text="Hasil Pemilihan")
        .last.get_by_role("link", name="Unduh PDF")
        .get_attribute("href")
    )
    text = _pdf_text(page, base + evaluation_href)
    for name in ("A", "B", "C"):
        assert opened.companies[name][0].name in text
    assert "Rp2.456.320.000" in text and "Rp2.389.547.250" in text
    text = _pdf_text(page, base + award_href)
    winner = opened.companies["C"][0]
    assert winner.name in text and "Rp1.875.162.000" in text
    assert opened.companies["A"][0].name in text  # reserve 1

    # The public announcement.
    page.context.clear_cookies()
    page.goto(f"{base}/tender/{code}/pemenang/")
    expect(page.locator("#award")).to_contain_text(winner.name)
    expect(page.locator("#award")).to_contain_text("Rp1.875.162.000")
    expect(page.locator("#award")).to_contain_text("Rp2.389.547.250")
    expect(page.locator("#evaluation")).to_contain_text("Rp2.456.320.000")  # B, corrected

    # A losing vendor objects with a document.
    loser_company, loser = opened.companies["B"]
    log_in(page, base, loser)
    page.goto(f"{base}/penyedia/hasil/")
    expect(page.locator("main")).to_contain_text(code)
    page.get_by_role("link", name="Sanggah", exact=True).click()
    page.fill("#objection-text", "Koreksi aritmatik atas penawaran kami tidak sesuai.")
    evidence = tmp_path / "bukti.pdf"
    evidence.write_bytes(b"%PDF-1.4 bukti sanggah")
    page.set_input_files("#objection-file", str(evidence))
    page.get_by_role("button", name="Kirim sanggah").click()
    expect(page.locator("main")).to_contain_text("Sanggah disampaikan")
    objection = Objection.objects.get()
    assert objection.company == loser_company and objection.document_filename == "bukti.pdf"

    # The Pokja answers.
    _member_login(page, base, first)
    page.goto(url)
    page.fill(f"#answer-{objection.pk}", "Koreksi mengikuti volume dalam dokumen pemilihan.")
    page.get_by_role("button", name="Kirim jawaban").click()
    expect(page.locator("main")).to_contain_text("Jawaban sanggah dicatat")

    # After the period, the PPK issues the SPPBJ and records the contract.
    clock_module.get_clock().move(timedelta(days=12))
    log_in(page, base, org.users[Role.COMMITMENT_OFFICER])
    page.goto(f"{base}/pejabat/tender/{code}/")
    page.fill("#sppbj-number", "027/SPPBJ/POKJA/2024")
    page.get_by_role("button", name="Terbitkan SPPBJ").click()
    expect(page.locator("main")).to_contain_text("SPPBJ diterbitkan")
    page.fill("#c-number", "600/001/KONTRAK/2024")
    page.fill("#c-signed", "2024-07-25")
    page.fill("#c-start", "2024-07-26")
    page.fill("#c-end", "2024-12-20")
    page.fill("#c-ppk", "Yohanes Kambu, S.T.")
    page.fill("#c-vendor", "Direktur " + winner.name)
    page.get_by_role("button", name="Catat kontrak").click()
    expect(page.locator("main")).to_contain_text("Kontrak dicatat")
    assert Contract.objects.get().value == 1875162000
    page.goto(f"{base}/tender/{code}/pemenang/")
    expect(page.locator("#contract")).to_contain_text("600/001/KONTRAK/2024")
    expect(page.locator("main")).to_contain_text("Koreksi mengikuti volume")
