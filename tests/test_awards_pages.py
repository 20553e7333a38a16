"""The evaluation and award pages, with the real session (password + second factor): the Pokja
imports the bill of quantities as CSV, records checks and the price clarification, proposes
the minutes and confirms each with a TOTP code, adopts them, records the qualification and
awards; the public sees the winner and reserves with their prices; a losing vendor objects
with a document; the Pokja answers; the PPK issues the SPPBJ and records the contract."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.test import Client

from tangguh import clock as clock_module
from tangguh.accounts.middleware import SESSION_FLAG
from tangguh.awards.models import Award, Contract, Minute, Objection
from tangguh.domain.roles import Role
from tangguh.testing import factories
from tests.test_awards import ITEMS, _nib, _pdf_text, open_three_bids

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:EdDSA is deprecated"),
]


@pytest.fixture(autouse=True)
def _own_blob_store(settings, tmp_path):
    settings.TANGGUH_DATA_DIR = tmp_path / "data"


@pytest.fixture
def opened(api, org, tmp_path):
    return open_three_bids(api, org, tmp_path)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_FLAG] = True
    session.save()
    return client


def _post(client, url, data, expect="", files=None):
    response = client.post(url, {**data, **(files or {})}, follow=True)
    assert response.status_code == 200, response.content[:500]
    text = response.content.decode()
    if expect:
        assert expect in text, re.findall(r'class="(?:error|success)[^"]*"[^>]*>([^<]*)', text)
    return text


def _vote_all(opened, url, minute):
    for member in opened.members[:2]:
        clock_module.get_clock().move(timedelta(seconds=31))
        _post(
            _client(member),
            url,
            {
                "action": "vote",
                "minute": minute.pk,
                "approve": "1",
                "otp": factories.current_code(member),
                "content_sha256": minute.content_sha256,
            },
            expect="Persetujuan Anda dicatat",
        )


def test_pokja_evaluates_and_awards_a_vendor_objects_the_ppk_contracts(opened, org):
    code = opened.tender.code
    url = f"/pokja/tender/{code}/evaluasi/"
    pokja = _client(opened.members[0])
    # Not a member: refused.
    assert _client(org.users[Role.VENDOR]).get(url).status_code == 403
    page = pokja.get(url).content.decode()
    assert "Peringkat dan alasannya" in page and "Di bawah 80% HPS" in page

    csv = "item,unit,volume\n" + "".join(f"{i},{u},{v}\n" for i, u, v in ITEMS)
    bill = io.BytesIO(csv.encode())
    bill.name = "boq.csv"
    text = _post(pokja, url, {"action": "bill"}, "Daftar kuantitas disimpan", {"file": bill})
    assert "Rp2.456.320.000" in text  # B's corrected total
    for name in ("A", "B", "C"):
        for stage in ("administrative", "technical"):
            _post(
                pokja,
                url,
                {
                    "action": "check",
                    "company_nib": _nib(opened, name),
                    "stage": stage,
                    "item": "Lengkap",
                    "passed": "1",
                },
                "Hasil pemeriksaan dicatat",
            )
    # Without a reason a failed item is refused, with the reason's code shown.
    text = _post(
        pokja,
        url,
        {
            "action": "check",
            "company_nib": _nib(opened, "B"),
            "stage": "administrative",
            "item": "Surat",
            "passed": "0",
        },
    )
    assert "evaluation.reason_required" in text
    _post(
        pokja,
        url,
        {
            "action": "clarification",
            "company_nib": _nib(opened, "C"),
            "reasonable": "1",
            "note": "Analisa harga satuan wajar.",
        },
        "Klarifikasi harga dicatat",
    )
    _post(pokja, url, {"action": "propose", "kind": "evaluation"}, "Berita acara diusulkan")
    minute = Minute.objects.get(kind="evaluation")
    # One confirmation is no majority.
    clock_module.get_clock().move(timedelta(seconds=31))
    member = opened.members[0]
    _post(
        pokja,
        url,
        {
            "action": "vote",
            "minute": minute.pk,
            "approve": "1",
            "otp": factories.current_code(member),
            "content_sha256": minute.content_sha256,
        },
        "Persetujuan Anda dicatat",
    )
    assert "minute.no_majority" in _post(pokja, url, {"action": "decide", "minute": minute.pk})
    second = opened.members[1]
    clock_module.get_clock().move(timedelta(seconds=31))
    _post(
        _client(second),
        url,
        {
            "action": "vote",
            "minute": minute.pk,
            "approve": "1",
            "otp": factories.current_code(second),
            "content_sha256": minute.content_sha256,
        },
        "Persetujuan Anda dicatat",
    )
    _post(pokja, url, {"action": "decide", "minute": minute.pk}, "Berita acara ditetapkan")
    _post(
        pokja,
        url,
        {
            "action": "check",
            "company_nib": _nib(opened, "C"),
            "stage": "qualification",
            "item": "Pembuktian SBU",
            "passed": "1",
        },
        "Hasil pemeriksaan dicatat",
    )
    _post(
        pokja,
        url,
        {"action": "propose", "kind": "award", "company_nib": _nib(opened, "C")},
        "Berita acara diusulkan",
    )
    award_minute = Minute.objects.get(kind="award")
    _vote_all(opened, url, award_minute)
    _post(pokja, url, {"action": "decide", "minute": award_minute.pk}, "Berita acara ditetapkan")
    award = Award.objects.get()
    winner, loser = opened.companies["C"][0], opened.companies["B"]
    text = _pdf_text(Minute.objects.get(pk=award_minute.pk).document_id)
    assert winner.name in text and "Rp1.875.162.000" in text

    public = Client().get(f"/tender/{code}/pemenang/").content.decode()
    assert winner.name in public and "Rp1.875.162.000" in public
    assert opened.companies["A"][0].name in public and "Rp2.389.547.250" in public

    vendor = _client(loser[1])
    results = vendor.get("/penyedia/hasil/").content.decode()
    assert code in results and "peringkat 3" in results
    evidence = io.BytesIO(b"%PDF-1.4 bukti")
    evidence.name = "bukti.pdf"
    _post(
        vendor,
        f"/tender/{code}/sanggah/",
        {"action": "objection", "text": "Koreksi aritmatik atas penawaran kami keliru."},
        "Sanggah disampaikan",
        {"file": evidence},
    )
    objection = Objection.objects.get()
    assert objection.document_sha256 and objection.company == loser[0]
    _post(
        pokja,
        url,
        {
            "action": "answer",
            "objection": objection.pk,
            "upheld": "0",
            "answer": "Koreksi mengikuti volume dokumen pemilihan.",
        },
        "Jawaban sanggah dicatat",
    )

    ppk = _client(org.users[Role.COMMITMENT_OFFICER])
    officials = f"/pejabat/tender/{code}/"
    assert "sppbj.too_early" in _post(ppk, officials, {"action": "sppbj", "number": "027/SPPBJ"})
    clock_module.get_clock().move(timedelta(days=12))
    ppk = _client(org.users[Role.COMMITMENT_OFFICER])
    _post(ppk, officials, {"action": "sppbj", "number": "027/SPPBJ/2024"}, "SPPBJ diterbitkan")
    _post(
        ppk,
        officials,
        {
            "action": "contract",
            "number": "600/001/KONTRAK/2024",
            "value": "1875162000",
            "signed_on": "2024-07-25",
            "start_on": "2024-07-26",
            "end_on": "2024-12-20",
            "ppk_signatory": "Yohanes Kambu",
            "vendor_signatory": "Direktur C",
        },
        "Kontrak dicatat",
    )
    contract = Contract.objects.get()
    assert contract.sppbj.award == award
    public = Client().get(f"/tender/{code}/pemenang/").content.decode()
    assert "600/001/KONTRAK/2024" in public and "Koreksi mengikuti volume" in public


def test_the_pokja_records_an_objection_delivered_during_an_outage(opened, org):
    from tests.test_awards import _adopt, _evaluated_and_qualified

    _evaluated_and_qualified(opened)
    _adopt(opened, "award", _nib(opened, "C"))
    award = Award.objects.get()
    clock_module.get_clock().move(timedelta(days=1))  # an outage is declared once it is over
    admin = opened.api.token_for(org.users[Role.ADMIN])
    declared = opened.api.call(
        "POST",
        "/outages",
        token=admin,
        json={
            "start": (award.announced_at + timedelta(hours=2)).isoformat(),
            "end": (award.announced_at + timedelta(hours=9)).isoformat(),
            "reason": "Jaringan ke pusat data terputus.",
            "scope": "node",
        },
    )
    assert declared.status_code == 201, declared.content
    url = f"/pokja/tender/{opened.tender.code}/evaluasi/"
    pokja = _client(opened.members[0])
    assert "Sanggah di luar sistem" in pokja.get(url).content.decode()
    _post(
        pokja,
        url,
        {
            "action": "outside",
            "company_nib": _nib(opened, "A"),
            "outage": declared.json()["outage"]["id"],
            "received_at": "2024-07-02T15:00",
            "text": "Sanggah kami sampaikan dengan surat karena sistem tidak dapat diakses.",
        },
        "Sanggah di luar sistem dicatat",
    )
    objection = Objection.objects.get()
    assert objection.received_outside and objection.company == opened.companies["A"][0]
