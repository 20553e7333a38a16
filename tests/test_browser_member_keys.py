"""A committee member's key pages in a real Chromium (issue #5): enrolling a personal key made in
the browser (typage), checking a tender's key shares with a key kit, and releasing shares after
the deadline until the bids open.

The live server runs in this process with the frozen ``clock`` the ``org`` fixture sets, so TOTP
codes and the bid deadline follow it. Bids are uploaded through the API in setup, sealed with
the reference ``age`` CLI (``tests.test_opening``'s ``sealed`` fixture); key kits are made in the
browser (first test) or by the Python kit writer the CLI uses (``tangguh.sealing.members`` /
``tangguh.domain.sealing.kit``).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyrage
import pytest

from tangguh import clock as clock_module
from tangguh.accounts.selectors import users_with_role
from tangguh.bids.models import KeyShare, MemberKey, ShareRelease
from tangguh.bids.services.keys import member_key_enrol, sealing_keys_deal
from tangguh.domain.roles import Role
from tangguh.domain.sealing.fingerprint import recipient_fingerprint
from tangguh.domain.sealing.keys import recipient_from_identity
from tangguh.domain.sealing.kit import (
    armor,
    dearmor,
    identity_from_plaintext,
    scrypt_work_factor,
    seal_key_kit,
)
from tangguh.domain.sealing.passphrase import new_passphrase, word_list
from tangguh.sealing.members import kit_write
from tangguh.testing import factories
from tests.test_browser_walkthrough import log_in
from tests.test_opening import _past_deadline, sealed  # noqa: F401 - a fixture, used below
from tests.test_participation import make_tender

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.filterwarnings("ignore:EdDSA is deprecated"),
]

SHOTS = Path("/tmp")  # noqa: S108 - where a human looks at the screenshots


@pytest.fixture(autouse=True)
def _own_blob_store(settings, tmp_path):
    settings.TANGGUH_DATA_DIR = tmp_path / "data"


def _watch(page) -> dict:
    """Every request the page sends (URL and body) and every uncaught script error."""
    seen: dict = {"requests": [], "errors": []}
    page.on(
        "request",
        lambda r: seen["requests"].append((r.method, r.url, r.post_data_buffer or b"")),
    )
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    return seen


def _members(org):
    return users_with_role(Role.COMMITTEE_MEMBER, f"committee:{org.committee.pk}")


def _unlock(page, kit: Path, passphrase: str, button: str) -> None:
    page.set_input_files("#kit", str(kit))
    page.fill("#passphrase", passphrase)
    page.get_by_role("button", name=button).click()


def _wrong_passphrase(right: str) -> str:
    wrong = new_passphrase()
    return wrong if wrong != right else new_passphrase()


def test_a_member_enrols_a_key_made_in_the_browser_and_checks_a_share_with_its_kit(
    page, live_server, org, tmp_path
):
    from playwright.sync_api import expect

    member = _members(org)[0]
    old = MemberKey.objects.get(user=member, retired_at__isnull=True)
    base = live_server.url
    log_in(page, base, member, totp=True)
    seen = _watch(page)
    page.get_by_role("link", name="Kunci pribadi saya").click()
    expect(page.locator("h1")).to_have_text("Kunci pribadi saya")
    expect(page.locator("#current-key")).to_contain_text(recipient_fingerprint(old.recipient))

    # Keyboard only: the steps move the focus along, Space ticks, Enter presses.
    page.get_by_role("button", name="Buat kunci pribadi baru").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#step-passphrase h2")).to_be_focused()
    passphrase = page.locator("#passphrase-line").inner_text()
    words = passphrase.split("-")
    assert len(words) == 7 and set(words) <= set(word_list())
    expect(page.locator("#passphrase-words li")).to_have_count(7)
    page.screenshot(path=str(SHOTS / "tangguh-member-passphrase.png"), full_page=True)
    page.keyboard.press("Tab")
    expect(page.locator("#written")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(page.locator("#seal")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#step-download h2")).to_be_focused(timeout=30_000)
    page.keyboard.press("Tab")
    expect(page.locator("#download")).to_be_focused()
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename == f"kunci-{member.username}.age"
    kit_path = tmp_path / download.value.suggested_filename
    download.value.save_as(kit_path)
    expect(page.locator("#passphrase-box")).to_be_hidden()
    page.screenshot(path=str(SHOTS / "tangguh-member-key.png"), full_page=True)

    # Typed back from paper: spaces and capitals are fine; a wrong word is caught here.
    page.fill("#retype", " ".join([*words[:6], "zoo" if words[6] != "zoo" else "zone"]))
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_contain_text("tidak sama")
    assert MemberKey.objects.get(user=member, retired_at__isnull=True) == old
    page.fill("#retype", " ".join(words).upper())
    page.keyboard.press("Enter")
    expect(page.locator("#step-done")).to_be_visible(timeout=30_000)

    key = MemberKey.objects.get(user=member, retired_at__isnull=True)
    assert key != old and key.recipient.startswith("age1") and len(key.recipient) == 62
    expect(page.locator("#done-recipient")).to_have_text(key.recipient)
    expect(page.locator("#done-fingerprint")).to_have_text(recipient_fingerprint(key.recipient))

    # The kit: armored, scrypt at 2^18 alone, opened by pyrage with the shown passphrase.
    kit = kit_path.read_text(encoding="ascii")
    assert kit.startswith("-----BEGIN AGE ENCRYPTED FILE-----")
    binary = dearmor(kit)
    assert scrypt_work_factor(binary) == 18
    assert binary.split(b"\n")[3].startswith(b"--- ")  # one stanza (a line of body): scrypt
    plain = pyrage.passphrase.decrypt(kit.encode("ascii"), passphrase)
    identity = identity_from_plaintext(plain)
    assert recipient_from_identity(identity) == key.recipient
    assert f"# public key: {key.recipient}".encode() in plain
    with pytest.raises(pyrage.DecryptError):
        pyrage.passphrase.decrypt(kit.encode("ascii"), _wrong_passphrase(passphrase))

    # Neither the identity nor the passphrase (nor any word run of it) left the browser.
    secrets = [identity.encode(), passphrase.encode(), " ".join(words).encode(), b"SECRET-KEY"]
    posts = [(method, url, body) for method, url, body in seen["requests"] if body]
    assert [url for _, url, _ in posts] == [f"{base}/api/v1/me/member-key"]
    for _, url, body in seen["requests"]:
        for secret in secrets:
            assert secret not in body and secret.decode().lower() not in url.lower()
    assert seen["errors"] == []

    # The kit made here opens this member's share of a tender dealt afterwards.
    tender = make_tender(org, announced=False)
    sealing_keys_deal(actor="test", tender=tender)
    share = KeyShare.objects.get(holder=member, sealing_key__tender=tender)
    assert share.holder_recipient == key.recipient
    page.goto(f"{base}/pokja/tender/{tender.code}/periksa-kunci/")
    _unlock(page, kit_path, passphrase, "Periksa kunci")
    expect(page.locator("#status")).to_contain_text("berhasil", timeout=30_000)
    expect(page.locator("#results")).to_contain_text("cocok dengan komitmennya")
    share.refresh_from_db()
    assert share.checked_at == clock_module.now()
    assert seen["errors"] == []


def test_key_check_with_cli_kits_names_each_problem_and_records_only_a_good_check(
    page, live_server, org, tmp_path
):
    from playwright.sync_api import expect

    first, second, third = _members(org)
    created = clock_module.now().isoformat()
    kits = {
        m.pk: kit_write(tmp_path / f"kunci-{m.username}.age", created=created)
        for m in (first, second, third)
    }
    for member in (first, second, third):
        member_key_enrol(actor=member, recipient=kits[member.pk].recipient)
    tender = make_tender(org, announced=False)
    sealing_keys_deal(actor="test", tender=tender)
    mine = KeyShare.objects.get(holder=first, sealing_key__tender=tender)
    base = live_server.url
    log_in(page, base, first, totp=True)
    seen = _watch(page)
    page.goto(f"{base}/pokja/tender/{tender.code}/periksa-kunci/")
    expect(page.locator("#shares")).to_contain_text(kits[first.pk].fingerprint)
    kit, passphrase = kits[first.pk].path, kits[first.pk].passphrase

    _unlock(page, kit, _wrong_passphrase(passphrase), "Periksa kunci")
    expect(page.locator("#status")).to_contain_text("Frasa sandi salah", timeout=30_000)
    expect(page.locator("#passphrase")).to_have_value("")

    _unlock(page, kits[second.pk].path, kits[second.pk].passphrase, "Periksa kunci")
    expect(page.locator("#status")).to_contain_text("Berkas kunci salah", timeout=30_000)
    expect(page.locator("#status")).to_contain_text(kits[second.pk].fingerprint)
    expect(page.locator("#status")).to_contain_text(kits[first.pk].fingerprint)

    not_a_kit = tmp_path / "share-1.json.age"  # a sealed share picked by mistake
    not_a_kit.write_bytes(bytes(mine.sealed_share))
    _unlock(page, not_a_kit, passphrase, "Periksa kunci")
    expect(page.locator("#status")).to_contain_text("bukan berkas kunci", timeout=30_000)

    KeyShare.objects.filter(pk=mine.pk).update(commitment="0" * 64)
    _unlock(page, kit, passphrase, "Periksa kunci")
    expect(page.locator("#status")).to_contain_text("tidak sama dengan komitmen", timeout=30_000)
    KeyShare.objects.filter(pk=mine.pk).update(commitment=mine.commitment)
    mine.refresh_from_db()
    assert mine.checked_at is None

    # Typed from paper with spaces and each word cut to four letters: still opens.
    short = " ".join(word[:4] for word in passphrase.split("-"))
    _unlock(page, kit, short, "Periksa kunci")
    expect(page.locator("#status")).to_contain_text("berhasil", timeout=30_000)
    mine.refresh_from_db()
    assert mine.checked_at == clock_module.now()
    page.screenshot(path=str(SHOTS / "tangguh-key-check.png"), full_page=True)
    posts = [url for method, url, body in seen["requests"] if method == "POST"]
    assert posts == [f"{base}/api/v1/tenders/{tender.code}/sealing-key/checks"]
    assert seen["errors"] == []


def test_two_of_three_members_release_their_shares_in_the_browser_and_the_bids_open(
    page, live_server, api, org, request, tmp_path
):
    from playwright.sync_api import expect

    bids = request.getfixturevalue("sealed")  # tests.test_opening's: bids sealed with `age`

    first, second = bids.members[:2]
    kits = {}
    for member in (first, second):
        passphrase = new_passphrase()
        path = tmp_path / f"kunci-{member.username}.age"
        path.write_text(armor(seal_key_kit(factories.MEMBER_IDENTITIES[member.pk], passphrase)))
        kits[member.pk] = (path, passphrase)
    statement = _past_deadline(api, bids)
    code = bids.tender.code
    base = live_server.url
    release = "Buka dan lepaskan bagian kunci saya"

    log_in(page, base, first, totp=True)
    seen = _watch(page)
    page.goto(f"{base}/pokja/tender/{code}/buka-penawaran/")
    expect(page.locator("#statement-sha256")).to_have_text(statement)
    expect(page.locator("#statement-count")).to_have_text("2")
    path, passphrase = kits[first.pk]
    _unlock(page, path, _wrong_passphrase(passphrase), release)
    expect(page.locator("#status")).to_contain_text("Frasa sandi salah", timeout=30_000)
    assert not ShareRelease.objects.exists()
    assert not [url for method, url, _ in seen["requests"] if method == "POST"]

    _unlock(page, path, passphrase, release)
    expect(page.locator("#results")).to_contain_text("1 dari 2", timeout=30_000)
    assert ShareRelease.objects.filter(released_by=first).count() == 1
    page.goto(f"{base}/pokja/tender/{code}/buka-penawaran/")
    expect(page.locator("#progress")).to_contain_text("1 dari 2 bagian kunci dilepas")

    clock_module.get_clock().move(timedelta(minutes=1))  # a fresh TOTP period
    log_in(page, base, second, totp=True)
    seen = _watch(page)
    page.goto(f"{base}/pokja/tender/{code}/buka-penawaran/")
    path, passphrase = kits[second.pk]
    _unlock(page, path, passphrase, release)
    expect(page.locator("#results")).to_contain_text("penawaran sudah dibuka", timeout=60_000)
    page.get_by_role("link", name="Lihat daftar pembukaan dan BA Pembukaan").click()

    table = page.locator("table.opening")
    good = table.locator("tr", has_text=org.company.name)
    expect(good).to_contain_text("Rp2.389.450.000")
    expect(good).to_contain_text("terbuka, sah")
    expect(table.locator("tr", has_text=bids.other_company.name)).to_contain_text(
        "opening.invalid_package"
    )
    expect(page.locator("#progress")).to_contain_text("dibuka")
    page.screenshot(path=str(SHOTS / "tangguh-opening.png"), full_page=True)
    with page.expect_download() as minutes:
        page.get_by_role("link", name="Unduh BA Pembukaan (PDF)").click()
    assert Path(minutes.value.path()).read_bytes()[:5] == b"%PDF-"
    for _, _, body in seen["requests"]:
        assert b"SECRET-KEY" not in body and passphrase.encode() not in body
    assert seen["errors"] == []
