"""The vendor's sealing page in a real Chromium against a live server: a 5 MB package is
packed and sealed in the browser (typage), kept in OPFS, uploaded with tus-js-client and
acknowledged with a receipt; the stored envelope opens with the key the Pokja's shares rebuild
and holds the typed price. A package with a missing field is refused before sealing; an upload
cut by a reload resumes with the same sealed bytes; the JavaScript packer's tar is read by the
Python package reader, and the JavaScript penawaran.json rules agree with the Python ones.

The node runs in this process, on the frozen test clock (inside the bid window)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
import tarfile
from datetime import timedelta
from decimal import Decimal

import pyrage
import pytest

from tangguh.bids.models import Envelope, KeyShare
from tangguh.bids.services.keys import sealing_keys_deal
from tangguh.bids.services.receipts import verify_receipt
from tangguh.core.blobs import node_blobs
from tangguh.core.keys import node_keyring
from tangguh.domain.bid_package import BidGuarantee, BidPackageInvalid, parse_penawaran
from tangguh.domain.roles import Role
from tangguh.domain.sealing.shares import combine_shares, parse_share
from tangguh.organizations.services import node_ensure
from tangguh.sealing.package import read_penawaran
from tangguh.testing import factories
from tests.domain.test_bid_package import GUARANTEE, VALID, VALID_V1
from tests.test_browser import log_in
from tests.test_participation import approve, make_tender, register

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.filterwarnings("ignore:EdDSA is deprecated"),
]

MB = 1_000_000


@pytest.fixture(autouse=True)
def _own_blob_store(settings, tmp_path):
    settings.TANGGUH_DATA_DIR = tmp_path / "data"


@pytest.fixture
def bidding(api, org):
    """An announced one-file tender in its bid window with keys dealt on the node to the
    Pokja, and the org's vendor registered for it."""
    node_ensure(actor="test", name="LPSE Kabupaten Uji Segel")
    approve(org)
    tender = make_tender(org)
    tender.code = f"2024{int(factories.unique('')):05d}"  # penawaran.json wants 9 digits
    tender.save(update_fields=["code"])
    (key,) = sealing_keys_deal(actor="test", tender=tender)
    vendor = org.users[Role.VENDOR]
    assert register(api, api.token_for(vendor), tender).status_code == 201
    return type("Bidding", (), {"tender": tender, "key": key, "vendor": vendor, "org": org})


@pytest.mark.django_db
def test_the_page_is_for_registered_vendors_and_links_only_in_the_bid_window(
    client, api, org, clock
):
    node_ensure(actor="test", name="LPSE Kabupaten Uji Segel")
    approve(org)
    tender = make_tender(org)
    tender.code = f"2024{int(factories.unique('')):05d}"
    tender.envelopes = 2  # a two-file tender: a technical and a price envelope
    tender.save(update_fields=["code", "envelopes"])
    technical, price = sorted(
        sealing_keys_deal(actor="test", tender=tender), key=lambda k: k.envelope != "technical"
    )
    url = f"/tender/{tender.code}/penawaran/"
    assert client.get(url).status_code == 302  # login first

    outsider_company, outsider = factories.make_vendor()
    approve(org, outsider_company)
    client.force_login(outsider)
    refused = client.get(url)
    assert refused.status_code == 403 and "Hanya peserta terdaftar" in refused.text
    assert url not in client.get(f"/tender/{tender.code}/").text

    vendor = org.users[Role.VENDOR]
    assert register(api, api.token_for(vendor), tender).status_code == 201
    client.force_login(vendor)
    assert f'href="{url}" id="seal-link"' in client.get(f"/tender/{tender.code}/").text
    assert f'href="{url}" class="seal-link"' in client.get("/paket-saya/").text
    page = client.get(url).text
    for key in (technical, price):
        assert f'data-envelope="{key.envelope}" data-recipient="{key.recipient}"' in page
        assert key.fingerprint in page
    technical_form = page.split('id="envelope-technical"')[1].split('id="envelope-price"')[0]
    assert 'name="validity_days"' in technical_form and 'name="total_price"' not in technical_form
    assert 'id="price-total_price" name="total_price"' in page
    assert 'data-open="1"' in page and "vendor.js" in page

    clock.move(timedelta(days=8))  # past the deadline: no form, the envelopes stay listed
    closed = client.get(url).text
    assert 'data-open="0"' in closed and 'id="window-closed"' in closed
    assert '<form class="penawaran"' not in closed
    assert 'id="seal-link"' not in client.get(f"/tender/{tender.code}/").text


def _open_page(page, live_server, bidding):
    log_in(page, live_server.url, bidding.vendor.username)
    page.goto(f"{live_server.url}/tender/{bidding.tender.code}/penawaran/")
    page.wait_for_selector("#sealing[data-ready='1']")


def _fill(page, *, total="2.389.450.000", attachment: bytes | None = None, pact=True):
    form = page.locator("#envelope-offer form")
    form.locator("[name=total_price]").fill(total)
    row = form.locator("tbody.boq tr").first
    row.locator("[data-boq=item]").fill("Lapis pondasi agregat kelas A")
    row.locator("[data-boq=unit]").fill("m3")
    row.locator("[data-boq=volume]").fill("1.250,5")
    row.locator("[data-boq=unit_price]").fill("612.500")
    form.locator("[name=tkdn_percent]").fill("43,5")
    form.locator("[name=validity_days]").fill("60")
    form.locator("[name=bid_guarantee_reference]").fill("JP-2024/0017")
    form.locator("[name=bid_guarantee_issuer]").fill("PT Bank Pembangunan Daerah Papua")
    form.locator("[name=bid_guarantee_amount]").fill("25.000.000")
    form.locator("[name=bid_guarantee_valid_until]").fill("2024-09-30")
    if pact:
        form.locator("input[data-declaration=pakta_integritas]").check()
    if attachment is not None:
        form.locator("[name=attachments]").set_input_files(
            [
                {
                    "name": "metode-pelaksanaan.pdf",
                    "mimeType": "application/pdf",
                    "buffer": attachment,
                }
            ]
        )


def _opened_package(bidding, sha256: str) -> bytes:
    """The stored envelope opened with the identity rebuilt from two members' shares."""
    shares = []
    for share in KeyShare.objects.filter(sealing_key=bidding.key).order_by("index")[:2]:
        identity = pyrage.x25519.Identity.from_str(factories.MEMBER_IDENTITIES[share.holder_id])
        shares.append(parse_share(pyrage.decrypt(bytes(share.sealed_share), [identity])))
    commitments = {s.index: s.commitment for s in bidding.key.shares.all()}
    key = combine_shares(shares, commitments=commitments)
    assert key.recipient == bidding.key.recipient
    with node_blobs().open(sha256) as handle:
        sealed = handle.read()
    return pyrage.decrypt(sealed, [pyrage.x25519.Identity.from_str(key.identity)])


@pytest.mark.browser
def test_a_vendor_seals_5mb_in_the_browser_and_the_envelope_opens_with_the_pokja_key(
    page, live_server, bidding
):
    from playwright.sync_api import expect

    _open_page(page, live_server, bidding)
    section = page.locator("#envelope-offer")
    expect(section.locator("code.fingerprint")).to_have_text(bidding.key.fingerprint)
    expect(page.locator("main")).to_contain_text("Node tidak dapat membaca penawaran")
    section.locator("input.fp-compare").fill(bidding.key.fingerprint.replace(" ", "").upper())
    expect(section.locator(".fp-result")).to_have_text("✔ cocok")
    attachment = os.urandom(5 * MB)
    _fill(page, attachment=attachment)
    # the total of the line filled itself from volume times unit price
    expect(section.locator("[data-boq=total]")).to_have_value("765.931.250")
    requests = []
    page.on("request", lambda r: "/bids/mine" in r.url and requests.append(r.method))
    section.locator("form button[type=submit]").click()

    receipt = section.locator(".receipt")
    expect(receipt).to_be_visible(timeout=60_000)
    sealed_sha256 = section.locator("code.sealed-sha256").inner_text()
    expect(receipt).to_contain_text(sealed_sha256)
    expect(receipt).to_contain_text(bidding.key.fingerprint)
    expect(section.locator(".status")).to_contain_text("Penawaran diterima node")
    assert receipt.locator("a[download$='.jws']").count() == 1
    assert receipt.locator("a[href='/verifikasi-tanda-terima/']").count() == 1
    expect(page.locator(f"#my-envelopes tr[data-sha256='{sealed_sha256}']")).to_have_attribute(
        "data-status", "current"
    )
    assert {"OPTIONS", "POST", "PATCH"} <= set(requests) and "PUT" not in requests

    envelope = Envelope.objects.get(tender=bidding.tender)
    assert envelope.sha256 == sealed_sha256 and envelope.size > 5 * MB
    token = receipt.locator("textarea.receipt-jws").input_value()
    assert token == envelope.receipt
    payload = verify_receipt(token, node_keyring().jwks()).payload
    assert payload["sha256"] == sealed_sha256
    assert payload["recipient_fingerprint"] == bidding.key.fingerprint

    plain = _opened_package(bidding, envelope.sha256)
    package = read_penawaran(io.BytesIO(plain))
    assert package.total_price == Decimal("2389450000")
    assert package.tkdn_percent == Decimal("43.5") and package.validity_days == 60
    assert package.company_nib == bidding.org.company.nib
    assert package.tender == bidding.tender.code and package.envelope == "offer"
    assert package.version == 2 and package.bid_guarantee == BidGuarantee(
        reference="JP-2024/0017",
        issuer="PT Bank Pembangunan Daerah Papua",
        amount=Decimal(25_000_000),
        valid_until=dt.date(2024, 9, 30),
    )
    (line,) = package.boq
    assert (line.volume, line.unit_price, line.total) == (
        Decimal("1250.5"),
        Decimal("612500"),
        Decimal("765931250"),
    )
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        assert tar.getnames() == ["penawaran.json", "lampiran/metode-pelaksanaan.pdf"]
        assert tar.extractfile("lampiran/metode-pelaksanaan.pdf").read() == attachment


@pytest.mark.browser
def test_a_package_with_a_missing_field_names_it_and_nothing_is_sealed_or_sent(
    page, live_server, bidding
):
    from playwright.sync_api import expect

    _open_page(page, live_server, bidding)
    sent = []
    page.on("request", lambda r: "/bids/mine/" in r.url and sent.append(r.method))
    _fill(page, total="", pact=False, attachment=b"%PDF-1.4 surat penawaran")
    section = page.locator("#envelope-offer")
    section.locator("form button[type=submit]").click()

    summary = section.locator(".summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Harga penawaran total: wajib diisi")
    expect(summary).to_contain_text("Pakta integritas: pernyataan wajib disetujui")
    codes = summary.locator("li").evaluate_all("items => items.map(i => i.dataset.code)")
    assert codes == ["penawaran.amount_type", "penawaran.declaration"]
    price = section.locator("[name=total_price]")
    expect(price).to_have_attribute("aria-invalid", "true")
    expect(section.locator("[data-field=total_price].field-error")).to_have_text("wajib diisi")

    page.wait_for_timeout(300)
    assert sent == [] and not Envelope.objects.exists()
    assert page.evaluate("localStorage.getItem('tangguh.sealed.v1')") is None
    expect(section.locator(".pending")).to_be_hidden()


@pytest.mark.browser
def test_a_guarantee_filled_in_part_names_each_missing_field(page, live_server, bidding):
    from playwright.sync_api import expect

    _open_page(page, live_server, bidding)
    _fill(page, attachment=b"%PDF-1.4 surat penawaran")
    section = page.locator("#envelope-offer")
    section.locator("[name=bid_guarantee_issuer]").fill("")
    section.locator("[name=bid_guarantee_amount]").fill("")
    section.locator("[name=bid_guarantee_valid_until]").fill("")
    section.locator("form button[type=submit]").click()

    summary = section.locator(".summary")
    expect(summary).to_be_visible()
    codes = summary.locator("li").evaluate_all(
        "items => items.map(i => [i.dataset.code, i.dataset.field])"
    )
    assert codes == [
        ["penawaran.bid_guarantee_issuer", "bid_guarantee.issuer"],
        ["penawaran.amount_type", "bid_guarantee.amount"],
        ["penawaran.bid_guarantee_valid_until", "bid_guarantee.valid_until"],
    ]
    expect(summary).to_contain_text("Penerbit jaminan penawaran: penerbit jaminan")
    expect(summary).to_contain_text("Nilai jaminan penawaran: wajib diisi")
    for name in ("issuer", "amount", "valid_until"):
        expect(section.locator(f"[name=bid_guarantee_{name}]")).to_have_attribute(
            "aria-invalid", "true"
        )
    assert not Envelope.objects.exists()


@pytest.mark.browser
def test_an_upload_cut_by_a_reload_resumes_with_the_same_sealed_file(
    page, live_server, bidding, settings
):
    from playwright.sync_api import expect

    settings.TANGGUH_BID_PART_BYTES = 1024 * 1024
    _open_page(page, live_server, bidding)
    patches, held, stall = [], [], [True]

    def stall_after_first_part(route):
        if route.request.method == "PATCH":
            patches.append(route.request.headers["upload-offset"])
            if stall[0] and len(patches) > 1:
                held.append(route)  # the connection stalls: never answered
                return
        route.continue_()

    page.route("**/bids/mine/offer/uploads/**", stall_after_first_part)
    sent = []  # (method, Upload-Offset) of every tus request, before and after the reload
    page.on(
        "request",
        lambda r: (
            "/bids/mine/" in r.url and sent.append((r.method, r.headers.get("upload-offset")))
        ),
    )
    _fill(page, attachment=os.urandom(3 * MB))
    section = page.locator("#envelope-offer")
    section.locator("form button[type=submit]").click()
    for _ in range(300):  # route handlers run while Playwright waits
        if held:
            break
        page.wait_for_timeout(100)
    assert patches == ["0", "1048576"] and held, patches
    sealed_sha256 = section.locator("code.sealed-sha256").inner_text()
    assert not Envelope.objects.exists()

    stall[0] = False
    page.reload()  # the stalled request dies with the page
    section = page.locator("#envelope-offer")
    expect(section.locator(".receipt")).to_be_visible(timeout=30_000)
    expect(section.locator(".receipt")).to_contain_text(sealed_sha256)
    # one creation; after the reload a HEAD asks the offset and the parts go on from 1 MiB
    assert [m for m, _ in sent].count("POST") == 1, sent
    assert [o for m, o in sent if m == "PATCH"][:3] == ["0", "1048576", "1048576"], sent
    envelope = Envelope.objects.get(tender=bidding.tender)
    assert envelope.sha256 == sealed_sha256
    plain = _opened_package(bidding, envelope.sha256)
    assert read_penawaran(io.BytesIO(plain)).total_price == Decimal("2389450000")


# Documents both sides must judge alike: (code, field) lists in order.
EDGE_CASES = [
    VALID,
    {
        **VALID,
        "tender": "17",
        "total_price": 2389450000.5,
        "validity_days": 0,
        "declarations": {},
        "tkdn_percent": "140",
        "boq": [{"item": "", "volume": "1"}, {**VALID["boq"][0], "unit_price": "-5"}],
    },
    {**VALID, "envelope": "technical"},
    {**VALID, "envelope": "technical", "total_price": None, "boq": []},
    {**VALID, "envelope": "x", "total_price": "5"},
    {"schema": "x"},
    [],
    "{",
    {**VALID, "total_price": "1_000"},
    {**VALID, "total_price": "1e3"},
    {**VALID, "total_price": "1.5"},
    {**VALID, "total_price": "Infinity"},
    {**VALID, "total_price": "0"},
    {**VALID, "total_price": "\u00a05\u3000"},
    {**VALID, "total_price": "1,5"},
    {**VALID, "total_price": True},
    {**VALID, "total_price": "1e999999999"},
    {**VALID, "tkdn_percent": "Infinity"},
    {**VALID, "tkdn_percent": "100.0"},
    {**VALID, "tkdn_percent": "100.01"},
    {**VALID, "tkdn_percent": "1e-999999999"},
    {**VALID, "version": True},
    {**VALID, "lot": True},
    {**VALID, "lot": None},
    {**VALID, "company_nib": 9120001234561},
    {**VALID, "tender": None},
    {**VALID, "boq": {}},
    {**VALID, "boq": [None, 5, {"item": None}]},
    {**VALID, "validity_days": "60"},
    {**VALID, "bid_guarantee": "x" * 201},
    {**VALID, "declarations": {"pakta_integritas": 1}},
    # the bid guarantee (version 2): an object with every field, or null
    {**VALID, "bid_guarantee": GUARANTEE},
    {**VALID, "bid_guarantee": "JP-2024/0017"},
    {**VALID, "bid_guarantee": []},
    {**VALID, "bid_guarantee": {}},
    {**VALID, "bid_guarantee": {"reference": " ", "amount": "1.5", "valid_until": "2024-02-30"}},
    {**VALID, "bid_guarantee": {**GUARANTEE, "reference": "x" * 201, "issuer": "\u3000"}},
    {**VALID, "bid_guarantee": {**GUARANTEE, "reference": "😀" * 200}},
    {**VALID, "bid_guarantee": {**GUARANTEE, "amount": 250000000}},
    {**VALID, "bid_guarantee": {**GUARANTEE, "amount": "0"}},
    {**VALID, "bid_guarantee": {**GUARANTEE, "amount": "NaN"}},
    {**VALID, "bid_guarantee": {**GUARANTEE, "amount": 2.5}},
    {**VALID, "bid_guarantee": {**GUARANTEE, "valid_until": "2024-02-29"}},
    {**VALID, "bid_guarantee": {**GUARANTEE, "valid_until": "2023-02-29"}},
    {**VALID, "bid_guarantee": {**GUARANTEE, "valid_until": "1900-02-29"}},
    {**VALID, "bid_guarantee": {**GUARANTEE, "valid_until": "2000-02-29"}},
    {**VALID, "bid_guarantee": {**GUARANTEE, "valid_until": "0000-01-01"}},
    {**VALID, "bid_guarantee": {**GUARANTEE, "valid_until": "0001-01-01"}},
    {**VALID, "bid_guarantee": {**GUARANTEE, "valid_until": "20240930"}},
    {**VALID, "bid_guarantee": {**GUARANTEE, "valid_until": "2024-09-30T00:00"}},
    {**VALID, "bid_guarantee": {**GUARANTEE, "valid_until": "2024-13-01"}},
    {**VALID, "bid_guarantee": {**GUARANTEE, "valid_until": "\u0662024-09-30"}},
    {**VALID, "bid_guarantee": {**GUARANTEE, "valid_until": 20240930}},
    # a version 1 package opens on the node but is not sealed any more
    VALID_V1,
    {**VALID_V1, "bid_guarantee": None},
    {**VALID, "version": 3},
]


def _python_problems(document) -> list[list[str]]:
    try:
        parse_penawaran(document, sealing=True)  # the browser only seals
    except BidPackageInvalid as exc:
        return [[p.code, p.field] for p in exc.problems]
    return []


@pytest.mark.browser
def test_the_browser_packer_and_rules_agree_with_the_python_reader(page, live_server, bidding):
    _open_page(page, live_server, bidding)
    judged = page.evaluate(
        "docs => docs.map(d => tangguhSealing.checkPenawaran(d).map(p => [p.code, p.field]))",
        EDGE_CASES,
    )
    assert judged == [_python_problems(d) for d in EDGE_CASES]

    document = {**VALID, "tender": bidding.tender.code}
    long_name = "Daftar kuantitas – rincian harga satuan pekerjaan jalan " + "x" * 60 + ".xlsx"
    packed = page.evaluate(
        """async ([doc, longName]) => {
          const files = [
            new File([new Uint8Array(700).fill(65)], "surat-penawaran.pdf"),
            new File([], "kosong.txt"),
            new File([new TextEncoder().encode("baris,harga\\n")], longName),
          ];
          const entries = tangguhSealing.packageEntries(doc, files);
          const stream = tangguhSealing.tarStream(entries);
          const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
          if (bytes.length !== tangguhSealing.tarSize(entries)) throw new Error("size");
          let text = "";
          for (const b of bytes) text += String.fromCharCode(b);
          return btoa(text);
        }""",
        [document, long_name],
    )
    data = base64.b64decode(packed)
    assert read_penawaran(io.BytesIO(data)).total_price == Decimal("2389450000")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == [
            "penawaran.json",
            f"lampiran/{long_name}",
            "lampiran/kosong.txt",
            "lampiran/surat-penawaran.pdf",
        ]
        assert all(m.isfile() and m.mtime == 0 and m.mode == 0o644 and m.uid == 0 for m in members)
        assert tar.extractfile(f"lampiran/{long_name}").read() == b"baris,harga\n"
        assert tar.extractfile("lampiran/surat-penawaran.pdf").read() == b"A" * 700
        assert json.loads(tar.extractfile("penawaran.json").read()) == document
