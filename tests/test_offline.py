"""The offline procedure (luring): a sealed file handed over on media during an outage enters
the node only through a media-receipt minute confirmed by the vendor and by at least k Pokja
members and published before any opening; it is imported (sealed with the real ``age`` CLI),
opens with the others by quorum, and is labelled luring everywhere. After the first released
share nothing offline gets in."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
from datetime import timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pyotp
import pyrage
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from tangguh import clock as clock_module
from tangguh.accounts.selectors import users_with_role
from tangguh.audit.models import AuditEvent
from tangguh.audit.selectors import audit_verify
from tangguh.bids.models import Envelope, OpenedEnvelope
from tangguh.bids.services.keys import sealing_keys_deal
from tangguh.bids.services.receipts import rfc3339
from tangguh.core.blobs import node_blobs
from tangguh.domain.roles import Role
from tangguh.offline.models import MediaMinute, OfflineEnvelope, OfflineOpening
from tangguh.offline.selectors import tender_used_offline_procedure
from tangguh.testing import factories
from tests.domain.test_bid_package import VALID
from tests.test_bids_upload import blob_files, put, seal
from tests.test_opening import _package, _past_deadline, _plain_share, _refused, _release
from tests.test_participation import approve, make_tender, register
from tests.test_tender_workflow import PDF
from tests.test_web_workflow import _client

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:EdDSA is deprecated"),
]

OFFLINE_PRICE = "2100000000"


@pytest.fixture(autouse=True)
def _own_blob_store(settings, tmp_path):
    settings.TANGGUH_DATA_DIR = tmp_path / "data"


@pytest.fixture
def outage(api, org, tmp_path):
    """An announced tender with node-dealt keys (k=2 of 3) and two registered vendors: one
    uploaded its envelope; the other, cut off by an outage, handed its sealed file (sealed with
    ``age -r`` to the tender's recipient) to the Pokja on a flash drive."""
    approve(org)
    other_company, other_user = factories.make_vendor()
    approve(org, other_company)
    tender = make_tender(org)
    tender.code = f"2024{int(factories.unique('')):05d}"
    tender.save(update_fields=["code"])
    (key,) = sealing_keys_deal(actor="test", tender=tender)
    tokens = {}
    for user in (org.users[Role.VENDOR], other_user):
        tokens[user.pk] = api.token_for(user)
        assert register(api, tokens[user.pk], tender).status_code == 201
    base = {**VALID, "tender": tender.code}
    online = _package(tmp_path / "online", {**base, "company_nib": org.company.nib})
    sent = put(api, tokens[org.users[Role.VENDOR].pk], tender, "offer", seal(online, key.recipient))
    assert sent.status_code == 201, sent.content
    media_plain = _package(
        tmp_path / "media",
        {
            **base,
            "company_nib": other_company.nib,
            "total_price": OFFLINE_PRICE,
            "boq": [
                {
                    "item": "Lapis pondasi agregat kelas A",
                    "unit": "m3",
                    "volume": "1000",
                    "unit_price": "2100000",
                    "total": OFFLINE_PRICE,
                }
            ],
        },
    )
    media = seal(media_plain, key.recipient)
    members = users_with_role(Role.COMMITTEE_MEMBER, f"committee:{org.committee.pk}")
    clock_module.get_clock().move(timedelta(days=1))  # the node comes back the next day
    return type(
        "Outage",
        (),
        {
            "tender": tender,
            "key": key,
            "members": members,
            "company": other_company,
            "vendor": other_user,
            "media": media,
            "tokens": {},
        },
    )


def _token(api, o, user) -> str:
    if user.pk not in o.tokens:
        o.tokens[user.pk] = api.token_for(user)
    return o.tokens[user.pk]


def _fresh_code(user) -> str:
    """A second-factor code not used yet: the login spent the current step's."""
    clock_module.get_clock().move(timedelta(seconds=31))
    return pyotp.TOTP(user.totp_secret).at(clock_module.now())


def _file_row(o, data: bytes, **extra) -> dict:
    return {
        "company_nib": o.company.nib,
        "envelope": "offer",
        "handed_over_by": "Yohanes Beanal (direktur)",
        "received_at": rfc3339(clock_module.now() - timedelta(hours=20)),
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        **extra,
    }


def _record(api, o, member, files, place="Kantor UKPBJ Mimika, Timika"):
    return api.call(
        "POST",
        f"/tenders/{o.tender.code}/offline/minutes",
        json={"place": place, "files": files},
        token=_token(api, o, member),
    )


def _vendor_confirm(api, o, minute_id, hashes, user=None):
    user = user or o.vendor
    return api.call(
        "POST",
        f"/tenders/{o.tender.code}/offline/minutes/{minute_id}/vendor-confirmation",
        json={"sha256": hashes},
        token=_token(api, o, user),
    )


def _member_confirm(api, o, minute_id, member, digest=None):
    token = _token(api, o, member)
    return api.call(
        "POST",
        f"/tenders/{o.tender.code}/offline/minutes/{minute_id}/member-confirmation",
        json={"otp": _fresh_code(member), "digest": digest},
        token=token,
    )


def _publish(api, o, minute_id, member):
    return api.call(
        "POST",
        f"/tenders/{o.tender.code}/offline/minutes/{minute_id}/publish",
        token=_token(api, o, member),
    )


def _import(api, o, member, data: bytes):
    return api.client.post(
        f"/api/v1/tenders/{o.tender.code}/offline/envelopes",
        data=data,
        content_type="application/octet-stream",
        HTTP_AUTHORIZATION=f"Bearer {_token(api, o, member)}",
    )


def _published_minute(api, o, data: bytes | None = None) -> dict:
    """A minute listing the media file, confirmed by the vendor and k members, published."""
    data = o.media if data is None else data
    first, second = o.members[:2]
    recorded = _record(api, o, first, [_file_row(o, data)])
    assert recorded.status_code == 201, recorded.content
    minute = recorded.json()
    assert _vendor_confirm(api, o, minute["id"], [minute["files"][0]["sha256"]]).status_code == 200
    for member in (first, second):
        confirmed = _member_confirm(api, o, minute["id"], member, minute["digest"])
        assert confirmed.status_code == 200, confirmed.content
    published = _publish(api, o, minute["id"], first)
    assert published.status_code == 200, published.content
    return published.json()


# --- the whole path ---------------------------------------------------------------------------


def test_a_file_from_media_is_confirmed_published_imported_and_opened_as_luring(api, org, outage):
    o = outage
    first, second = o.members[:2]
    code = o.tender.code
    sha = hashlib.sha256(o.media).hexdigest()

    recorded = _record(api, o, first, [_file_row(o, o.media)])
    assert recorded.status_code == 201, recorded.content
    minute = recorded.json()
    assert minute["luring"] is True and minute["published_at"] is None and minute["k"] == 2
    assert minute["files"][0]["sha256"] == sha and minute["files"][0]["size"] == len(o.media)
    # not public yet
    assert api.call("GET", f"/tenders/{code}/offline/minutes/{minute['id']}").status_code == 404
    assert api.call("GET", f"/tenders/{code}/offline").json()["minutes"] == []

    # publication waits for the vendor, then for k members
    _refused(_publish(api, o, minute["id"], first), 409, "offline.vendor_confirmation_missing")
    wrong = _vendor_confirm(api, o, minute["id"], ["0" * 64])
    _refused(wrong, 422, "offline.vendor_hash_mismatch")
    seen = api.call(
        "GET", f"/tenders/{code}/offline/minutes/{minute['id']}", token=_token(api, o, o.vendor)
    )
    assert seen.status_code == 200  # the listed vendor sees the draft it must confirm
    confirmed = _vendor_confirm(api, o, minute["id"], [sha])
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["method"] == "login"
    _refused(_publish(api, o, minute["id"], first), 409, "offline.quorum_missing")
    bad_code = api.call(
        "POST",
        f"/tenders/{code}/offline/minutes/{minute['id']}/member-confirmation",
        json={"otp": "000000"},
        token=_token(api, o, first),
    )
    _refused(bad_code, 422, "auth.otp_invalid")
    stale = _member_confirm(api, o, minute["id"], first, digest="f" * 64)
    _refused(stale, 422, "offline.digest_mismatch")
    assert _member_confirm(api, o, minute["id"], first, minute["digest"]).status_code == 200
    _refused(_publish(api, o, minute["id"], first), 409, "offline.quorum_missing")
    assert _member_confirm(api, o, minute["id"], second, minute["digest"]).status_code == 200
    published = _publish(api, o, minute["id"], second)
    assert published.status_code == 200, published.content
    assert published.json()["published_at"] is not None
    assert tender_used_offline_procedure(o.tender)

    # public, with the hashes
    public = api.call("GET", f"/tenders/{code}/offline").json()
    assert public["luring"] is True
    (shown,) = public["minutes"]
    assert shown["files"][0]["sha256"] == sha and shown["files"][0]["imported"] is False
    assert {c["method"] for c in shown["vendor_confirmations"]} == {"login"}
    assert len(shown["member_confirmations"]) == 2

    # a file one byte different is refused and not kept
    other = bytearray(o.media)
    other[-1] ^= 0x01
    before = blob_files()
    _refused(_import(api, o, first, bytes(other)), 422, "offline.not_listed")
    assert blob_files() == before

    imported = _import(api, o, first, o.media)
    assert imported.status_code == 201, imported.content
    body = imported.json()
    assert body["luring"] is True and body["status"] == "current" and body["sha256"] == sha
    envelope = Envelope.objects.get(sha256=sha)
    assert rfc3339(envelope.received_at) == shown["files"][0]["received_at"]
    assert OfflineEnvelope.objects.get(envelope=envelope).media_file.minute_id == minute["id"]
    with node_blobs().open(sha) as handle:
        assert handle.read() == o.media
    again = _import(api, o, first, o.media)
    assert again.status_code == 200 and Envelope.objects.filter(sha256=sha).count() == 1

    # the closing statement lists it like any other envelope; a quorum opens it
    statement = _past_deadline(api, o)
    closing = api.call("GET", f"/tenders/{code}/closing-statement").json()["document"]
    assert sha in [e["sha256"] for e in closing["envelopes"]] and closing["count"] == 2
    for member in (first, second):
        released = _release(api, o, member, _plain_share(member), statement)
        assert released.status_code == 201, released.content
    assert released.json()["opened"] is True
    listing = api.call("GET", f"/tenders/{code}/opening").json()
    prices = {row["sha256"]: row for row in listing["openings"][0]["envelopes"]}
    assert prices[sha]["ok"] is True
    assert [row["luring"] for row in prices.values()].count(True) == 1 and prices[sha]["luring"]
    assert Decimal(prices[sha]["total_price"]) == Decimal(OFFLINE_PRICE)
    assert OpenedEnvelope.objects.get(envelope=envelope).total_price == Decimal(OFFLINE_PRICE)

    # labelled luring on the pages that list it
    member_page = _client(first).get(f"/pokja/tender/{code}/buka-penawaran/")
    assert member_page.status_code == 200
    text = member_page.content.decode()
    assert 'data-luring="yes"' in text and "luring" in text
    tender_page = api.client.get(f"/tender/{code}/").content.decode()
    assert "luring" in tender_page and sha in tender_page
    offline_page = api.client.get(f"/tender/{code}/luring/").content.decode()
    assert sha in offline_page and "Berita acara penerimaan luring" in offline_page

    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "offline.minute_recorded",
        "offline.minute_vendor_confirmed",
        "offline.minute_member_confirmed",
        "offline.minute_published",
        "offline.envelope_imported",
    } <= actions
    assert audit_verify().ok

    # once opening has begun, nothing offline gets in
    later = _record(api, o, first, [_file_row(o, b"x" * 100)])
    _refused(later, 409, "offline.opening_begun")


# --- refusals ---------------------------------------------------------------------------------


def test_after_the_first_share_release_no_minute_or_import_gets_in(api, org, outage):
    """Even a minute confirmed by the vendor and k members: once a share is released the key
    may be known, so a late, lower bid must not slip in as an offline one."""
    o = outage
    first, second = o.members[:2]
    published = _published_minute(api, o)  # published, not imported yet
    spare = seal(b"penawaran lain " * 50, o.key.recipient)
    draft = _record(api, o, first, [_file_row(o, spare)]).json()
    assert _vendor_confirm(api, o, draft["id"], [draft["files"][0]["sha256"]]).status_code == 200
    for member in (first, second):
        assert _member_confirm(api, o, draft["id"], member, draft["digest"]).status_code == 200

    statement = _past_deadline(api, o)
    third = o.members[2]
    one = _release(api, o, third, _plain_share(third), statement)
    assert one.status_code == 201 and one.json()["opened"] is False

    before = (MediaMinute.objects.count(), Envelope.objects.count(), blob_files())
    _refused(_import(api, o, first, o.media), 409, "offline.opening_begun")
    _refused(_publish(api, o, draft["id"], first), 409, "offline.opening_begun")
    _refused(_record(api, o, first, [_file_row(o, spare)]), 409, "offline.opening_begun")
    _refused(
        _member_confirm(api, o, draft["id"], third, draft["digest"]), 409, "offline.opening_begun"
    )
    assert (MediaMinute.objects.count(), Envelope.objects.count(), blob_files()) == before
    assert not OfflineEnvelope.objects.exists()
    assert published["files"][0]["imported"] is False


def test_no_import_once_the_closing_statement_is_signed_without_the_file(api, outage):
    o = outage
    _published_minute(api, o)
    _past_deadline(api, o)  # signed without it; no share released yet
    _refused(_import(api, o, o.members[0], o.media), 409, "offline.after_closing")
    assert not OfflineEnvelope.objects.exists()


def test_a_file_not_listed_in_a_published_minute_is_refused(api, outage):
    o = outage
    first = o.members[0]
    # recorded and vendor-confirmed, but not confirmed by k members nor published
    draft = _record(api, o, first, [_file_row(o, o.media)]).json()
    assert _vendor_confirm(api, o, draft["id"], [draft["files"][0]["sha256"]]).status_code == 200
    before = blob_files()
    _refused(_import(api, o, first, o.media), 422, "offline.not_listed")
    assert (
        blob_files() == before
        and not Envelope.objects.filter(sha256=draft["files"][0]["sha256"]).exists()
    )


def test_a_non_participant_and_a_non_member_are_refused(api, org, outage):
    o = outage
    first = o.members[0]
    stranger, _ = factories.make_vendor()
    approve(org, stranger)  # verified, but never registered for this tender
    row = _file_row(o, o.media, company_nib=stranger.nib)
    _refused(_record(api, o, first, [row]), 422, "offline.not_participant")
    outsider_committee = factories.make_committee(size=3, member_keys=False)
    outsider, *_ = users_with_role(Role.COMMITTEE_MEMBER, f"committee:{outsider_committee.pk}")
    for user in (org.users[Role.VENDOR], org.users[Role.AUDITOR], outsider):
        _refused(_record(api, o, user, [_file_row(o, o.media)]), 403, "permission.denied")
    assert not MediaMinute.objects.exists()
    _published_minute(api, o)
    _refused(_import(api, o, org.users[Role.VENDOR], o.media), 403, "permission.denied")
    assert not OfflineEnvelope.objects.exists()
    # a file received after the deadline cannot be listed
    late = _file_row(o, o.media, received_at=rfc3339(clock_module.now() + timedelta(days=30)))
    _refused(_record(api, o, first, [late]), 422, "offline.bad_received_at")


def test_a_vendor_who_cannot_log_in_confirms_by_a_signed_scan(api, org, outage):
    o = outage
    first, second = o.members[:2]
    draft = _record(api, o, first, [_file_row(o, o.media)]).json()
    path = f"/api/v1/tenders/{o.tender.code}/offline/minutes/{draft['id']}/vendor-scan"
    headers = {"HTTP_AUTHORIZATION": f"Bearer {_token(api, o, first)}"}
    fake = io.BytesIO(b"MZ not a pdf")
    fake.name = "pernyataan.pdf"
    refused = api.client.post(path, {"company_nib": o.company.nib, "file": fake}, **headers)
    _refused(refused, 422, "document.type_not_allowed")
    # another company's user cannot confirm for this vendor
    _refused(
        _vendor_confirm(api, o, draft["id"], [draft["files"][0]["sha256"]], org.users[Role.VENDOR]),
        403,
        "offline.not_listed_vendor",
    )
    scan = io.BytesIO(PDF)
    scan.name = "pernyataan-penyedia.pdf"
    done = api.client.post(path, {"company_nib": o.company.nib, "file": scan}, **headers)
    assert done.status_code == 200, done.content
    assert done.json()["method"] == "scan"
    assert done.json()["scan_sha256"] == hashlib.sha256(PDF).hexdigest()
    for member in (first, second):
        assert _member_confirm(api, o, draft["id"], member, draft["digest"]).status_code == 200
    published = _publish(api, o, draft["id"], second).json()
    assert published["vendor_confirmations"][0]["method"] == "scan"
    assert published["vendor_confirmations"][0]["scan_sha256"] == hashlib.sha256(PDF).hexdigest()


def test_the_cli_imports_a_file_for_a_pokja_member_only(api, org, outage, tmp_path):
    o = outage
    _published_minute(api, o)
    path = tmp_path / "flashdisk-offer.age"
    path.write_bytes(o.media)
    with pytest.raises(CommandError, match=r"permission\.denied"):
        call_command("offline", "import", o.tender.code, str(path), "--by", "auditor.uji")
    out = StringIO()
    call_command(
        "offline", "import", o.tender.code, str(path), "--by", o.members[0].username, stdout=out
    )
    assert "luring" in out.getvalue() and hashlib.sha256(o.media).hexdigest() in out.getvalue()
    assert OfflineEnvelope.objects.count() == 1


def test_an_offline_opening_by_quorum_is_recorded_public_and_luring(api, org, outage):
    o = outage
    first, second, third = o.members[:3]
    code = o.tender.code
    _published_minute(api, o)
    assert _import(api, o, first, o.media).status_code == 201
    rows = [
        {
            "sha256": e.sha256,
            "total_price": "2389450000" if e.company_id != o.company.pk else "2100000000",
        }
        for e in Envelope.objects.filter(tender=o.tender)
    ]

    def post(data: dict, content: bytes = PDF, token_user=first):
        scan = io.BytesIO(content)
        scan.name = "ba-pembukaan-luring.pdf"
        return api.client.post(
            f"/api/v1/tenders/{code}/offline/openings",
            {"data": json.dumps(data), "file": scan},
            HTTP_AUTHORIZATION=f"Bearer {_token(api, o, token_user)}",
        )

    clock_module.get_clock().move(timedelta(days=8))
    o.tokens.clear()
    opened_at = rfc3339(clock_module.now() - timedelta(hours=1))
    base = {"opened_at": opened_at, "place": "Aula Bappeda Mimika", "envelopes": rows}
    _refused(post({**base, "members": [first.username]}), 422, "offline.quorum_missing")
    _refused(post({**base, "members": [first.username, "auditor.uji"]}), 422, "offline.not_members")
    _refused(
        post({**base, "members": [first.username, second.username]}, b"not a pdf"),
        422,
        "document.type_not_allowed",
    )
    _refused(
        post(
            {**base, "members": [first.username, second.username]},
            token_user=org.users[Role.VENDOR],
        ),
        403,
        "permission.denied",
    )
    assert not OfflineOpening.objects.exists()
    done = post({**base, "members": [first.username, second.username, third.username]})
    assert done.status_code == 201, done.content
    body = done.json()
    assert body["luring"] is True and len(body["members"]) == 3
    prices = {e["sha256"]: e for e in body["envelopes"]}
    media_sha = hashlib.sha256(o.media).hexdigest()
    assert prices[media_sha]["total_price"] == "2100000000"
    assert prices[media_sha]["imported_from_media"] is True
    public = api.call("GET", f"/tenders/{code}/offline").json()
    assert public["openings"][0]["minutes"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert "pembukaan luring" in api.client.get(f"/tender/{code}/").content.decode().lower()
    assert AuditEvent.objects.filter(action="offline.opening_recorded").exists()
    # an offline opening is an opening: nothing offline gets in afterwards
    _refused(_record(api, o, first, [_file_row(o, o.media)]), 409, "offline.opening_begun")


def test_the_pages_take_the_pokja_and_the_vendor_through_a_minute(api, org, outage):
    """The same path on ``/tender/<code>/luring/``: the Pokja records, the vendor confirms its
    hash, k members confirm with their codes, publish and import; the pages label it luring."""
    o = outage
    first, second = o.members[:2]
    code = o.tender.code
    page = f"/tender/{code}/luring/"
    sha = hashlib.sha256(o.media).hexdigest()
    received = (clock_module.now() - timedelta(hours=20)).astimezone(ZoneInfo(settings.TIME_ZONE))
    line = (
        f"{o.company.nib} | offer | Yohanes Beanal | {received:%Y-%m-%d %H:%M} | {sha} | "
        f"{len(o.media)}"
    )
    pokja = _client(first)
    bad = pokja.post(page, {"action": "record", "place": "Timika", "files": "NIB saja"})
    assert bad.status_code == 422 and "offline.file_line_invalid" in bad.content.decode()
    done = pokja.post(page, {"action": "record", "place": "Kantor UKPBJ Timika", "files": line})
    assert done.status_code == 302, done.content.decode()[-2000:]
    minute = MediaMinute.objects.get()
    assert minute.files.get().sha256 == sha

    vendor = _client(o.vendor)
    shown = vendor.get(page).content.decode()
    assert f'data-vendor-minute="{minute.pk}"' in shown and sha in shown
    assert (
        vendor.post(
            page, {"action": "vendor_confirm", "minute": minute.pk, "sha256": sha}
        ).status_code
        == 302
    )
    for member in (first, second):
        answer = _client(member).post(
            page,
            {
                "action": "member_confirm",
                "minute": minute.pk,
                "digest": minute.digest,
                "otp": _fresh_code(member),
            },
        )
        assert answer.status_code == 302
    assert pokja.post(page, {"action": "publish", "minute": minute.pk}).status_code == 302
    minute.refresh_from_db()
    assert minute.published_at is not None
    upload = io.BytesIO(o.media)
    upload.name = "flashdisk.age"
    assert pokja.post(page, {"action": "import", "file": upload}).status_code == 302
    assert OfflineEnvelope.objects.get().envelope.sha256 == sha

    work = pokja.get(f"/pokja/paket/{o.tender.package_id}/").content.decode()
    assert 'id="luring"' in work and page in work
    public = api.client.get(page).content.decode()
    assert sha in public and 'data-luring="yes"' in public
    # the vendor form is not offered to the public, the Pokja forms not to a vendor
    assert "record-minute" not in vendor.get(page).content.decode()
    outsider = _client(org.users[Role.AUDITOR])
    refused = outsider.post(page, {"action": "record", "place": "Timika", "files": line})
    assert refused.status_code == 403


def test_a_file_the_node_already_received_online_is_not_imported_twice(api, org, outage):
    """The vendor handed over the very file it had managed to upload: one envelope, not two."""
    o = outage
    sent = put(api, _token(api, o, o.vendor), o.tender, "offer", o.media)
    assert sent.status_code == 201, sent.content
    _published_minute(api, o)
    _refused(_import(api, o, o.members[0], o.media), 409, "offline.already_received")
    assert Envelope.objects.filter(sha256=hashlib.sha256(o.media).hexdigest()).count() == 1
    assert not OfflineEnvelope.objects.exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_in_a_browser_the_vendor_and_the_members_confirm_the_minute(
    page, live_server, api, org, outage
):
    """Real Chromium: the listed vendor ticks its hash and confirms; two members confirm with a
    fresh code each; the minute is published and shown with its hash, labelled luring."""
    from playwright.sync_api import expect

    from tests.test_browser_walkthrough import log_in

    o = outage
    base = live_server.url
    sha = hashlib.sha256(o.media).hexdigest()
    minute = _record(api, o, o.members[0], [_file_row(o, o.media)]).json()
    url = f"{base}/tender/{o.tender.code}/luring/"

    log_in(page, base, o.vendor)
    page.goto(url)
    form = page.locator(f'[data-vendor-minute="{minute["id"]}"] form')
    form.locator(f'input[value="{sha}"]').check()
    form.locator("button[type=submit]").click()
    expect(page.locator("body")).to_contain_text("Konfirmasi Anda dicatat")

    for member in o.members[:2]:
        clock_module.get_clock().move(timedelta(seconds=31))
        log_in(page, base, member, totp=True)
        page.goto(url)
        draft = page.locator(f'[data-draft-minute="{minute["id"]}"]')
        draft.locator('input[name="otp"]').fill(_fresh_code(member))
        draft.locator("form", has=page.locator('input[name="otp"]')).locator("button").click()
        expect(page.locator("body")).to_contain_text("Konfirmasi Anda dicatat")
    page.locator(
        f'[data-draft-minute="{minute["id"]}"] form:has(input[value="publish"]) button'
    ).click()
    expect(page.locator("body")).to_contain_text("Berita acara diumumkan")
    page.context.clear_cookies()
    page.goto(url)
    row = page.locator('#luring tr[data-luring="yes"]').first
    expect(row).to_contain_text("luring")
    expect(row).to_contain_text(sha)
    assert MediaMinute.objects.get().published_at is not None


def test_a_listed_file_that_is_not_properly_sealed_is_refused_like_an_upload(api, org, outage):
    """The hash alone is not enough: the file must pass the upload's age check (one X25519
    stanza — here it is sealed to the tender's key and to someone else's too)."""
    o = outage
    extra = str(pyrage.x25519.Identity.generate().to_public())
    twice = subprocess.run(
        ["/usr/bin/age", "-r", o.key.recipient, "-r", extra],
        input=b"penawaran untuk dua penerima " * 40,
        check=True,
        capture_output=True,
    ).stdout
    _published_minute(api, o, twice)
    before = blob_files()
    _refused(_import(api, o, o.members[0], twice), 400, "bid.stanza_count")
    assert blob_files() == before and not OfflineEnvelope.objects.exists()
