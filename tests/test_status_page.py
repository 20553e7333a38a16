"""The public status page (``/status``, Status Layanan) and ``GET /api/v1/status``: health now,
outages with their spans, causes and sources, tenders extended and how, decisions asked of a
Pokja; the administrator's outage page and the Pokja's decision on its tender page."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from tangguh.accounts.middleware import SESSION_FLAG
from tangguh.domain.roles import Role
from tangguh.outages.models import Outage, OutageDecision
from tangguh.tenders.models import Tender, TenderStage
from tangguh.web.timefmt import format_moment
from tests.test_participation import approve, declare_size, make_tender, register
from tests.test_tender_workflow import _announced

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:EdDSA is deprecated"),
]


@pytest.fixture(autouse=True)
def _own_blob_store(settings, tmp_path):
    settings.TANGGUH_DATA_DIR = tmp_path / "data"


@pytest.fixture
def tokens(api, org):
    return {role: api.token_for(user) for role, user in org.users.items()}


def _client(user=None, language: str | None = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
        session = client.session
        session[SESSION_FLAG] = True
        session.save()
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _moment(value, language="id") -> str:
    return format_moment(value, settings.TIME_ZONE, language)


@pytest.fixture
def extended(api, org, tokens, clock):
    """A tender whose bid window a heartbeat gap across the deadline extended."""
    tender = Tender.objects.get(code=_announced(api, org, tokens))
    approve(org)
    declare_size(org.users[Role.VENDOR], org.company, "small")
    assert register(api, tokens[Role.VENDOR], tender).status_code == 201
    old_end = TenderStage.objects.get(tender=tender, kind="bid_submission").end
    clock.set(old_end - timedelta(days=1))
    call_command("heartbeat", stdout=StringIO())
    clock.set(old_end + timedelta(days=1))
    call_command("heartbeat", "--startup", stdout=StringIO())
    new_end = TenderStage.objects.get(tender=tender, kind="bid_submission").end
    assert new_end > old_end
    return tender, old_end, new_end, Outage.objects.get()


def test_the_status_page_shows_the_outage_and_the_extension_in_indonesian(extended):
    tender, old_end, new_end, outage = extended
    page = _client().get("/status")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Status Layanan" in html and "Kondisi sekarang" in html
    assert f'data-outage="{outage.pk}"' in html and 'data-source="detected"' in html
    assert "terdeteksi (heartbeat)" in html
    assert _moment(outage.start) in html and _moment(outage.end) in html
    assert "<td>2 hari</td>" in html  # the length
    assert "Node tidak berdenyut" in html  # the cause
    assert f'href="/tender/{tender.code}/"' in html
    assert f"{_moment(old_end)} → <strong>{_moment(new_end)}</strong>" in html
    assert "Perka LKPP 1/2015" in html  # the policy it applied
    assert '<a href="/status">' in html  # the footer link on every page


def test_the_status_page_speaks_english_when_chosen(extended):
    _, old_end, new_end, _ = extended
    html = _client(language="en").get("/status").content.decode()
    assert "Service status" in html and "Outage history" in html
    assert "detected (heartbeat)" in html and "Deadlines extended" in html
    assert "<td>2 d</td>" in html
    assert f"{_moment(old_end, 'en')} → <strong>{_moment(new_end, 'en')}</strong>" in html


def test_the_status_api_gives_the_same_picture_as_json(api, extended):
    tender, old_end, new_end, outage = extended
    body = api.call("GET", "/status").json()
    assert body["health"]["status"] == "ok"
    assert body["health"]["heartbeat"]["ok"] is True
    assert body["health"]["gap_detection_done"] is True
    [row] = body["outages"]
    assert row["id"] == outage.pk and row["source"] == "detected" and row["counts"] is True
    [extension] = body["extensions"]
    assert extension["tender"] == tender.code and extension["url"] == f"/tender/{tender.code}/"
    assert extension["outages"] == [outage.pk]
    bid = next(s for s in extension["stages"] if s["stage"] == "bid_submission")
    from datetime import datetime

    assert datetime.fromisoformat(bid["before_end"]) == old_end
    assert datetime.fromisoformat(bid["after_end"]) == new_end
    assert body["policy"]["gap_threshold_seconds"] == 300


def test_a_quiet_node_says_so(db, clock):
    html = _client().get("/status").content.decode()
    assert "Belum ada gangguan tercatat." in html
    assert "Belum ada jadwal yang diperpanjang karena gangguan." in html


def test_the_admin_declares_on_the_page_and_others_cannot_open_it(org, clock):
    tender = make_tender(org)
    bid = TenderStage.objects.get(tender=tender, kind="bid_submission")
    assert _client(org.users[Role.VENDOR]).get("/admin-ppe/gangguan/").status_code == 403
    admin = _client(org.users[Role.ADMIN])
    assert "Nyatakan gangguan" in admin.get("/admin-ppe/gangguan/").content.decode()
    local = "%Y-%m-%dT%H:%M"
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(settings.TIME_ZONE)
    start = (bid.start + timedelta(hours=2)).astimezone(zone)
    end = (bid.start + timedelta(hours=20)).astimezone(zone)
    refused = admin.post(
        "/admin-ppe/gangguan/",
        {
            "start": end.strftime(local),
            "end": start.strftime(local),
            "reason": "Gangguan jaringan",
            "scope": "node",
        },
    )
    assert refused.status_code == 422 and "outage.end_before_start" in refused.content.decode()
    assert Outage.objects.count() == 0
    done = admin.post(
        "/admin-ppe/gangguan/",
        {
            "start": start.strftime(local),
            "end": end.strftime(local),
            "reason": "Gangguan jaringan",
            "scope": "node",
        },
        follow=True,
    )
    outage = Outage.objects.get()
    assert outage.start == start.replace(second=0, microsecond=0)
    assert outage.declared_by == org.users[Role.ADMIN]
    assert f"Gangguan #{outage.pk} dicatat; 1 tender diperpanjang" in done.content.decode()
    assert TenderStage.objects.get(tender=tender, kind="bid_submission").end > bid.end


def test_the_pokja_sees_and_makes_the_decision_on_its_tender_page(api, org, clock):
    from tangguh.bids.services.closing import closing_statement_sign

    tender = make_tender(org)
    bid = TenderStage.objects.get(tender=tender, kind="bid_submission")
    clock.move(timedelta(days=8))
    # A signed closing statement binds what opens: the bid window no longer moves by itself.
    closing_statement_sign(tender)
    call_command(
        "outage",
        "declare",
        "--start",
        (bid.end - timedelta(hours=30)).isoformat(),
        "--end",
        (bid.end - timedelta(hours=26)).isoformat(),
        "--reason",
        "Gangguan jaringan di Timika",
        stdout=StringIO(),
    )
    decision = OutageDecision.objects.get(tender=tender)
    assert decision.code == "outage.committee_must_decide"
    page_path = f"/pokja/paket/{tender.package_id}/"
    member = _client(org.users[Role.COMMITTEE_MEMBER])
    html = member.get(page_path).content.decode()
    assert f'data-decision="{decision.pk}"' in html and 'data-status="pending"' in html
    assert "Umumkan keputusan" in html
    answered = member.post(
        f"/pokja/keputusan-gangguan/{decision.pk}/",
        {
            "choice": "failed",
            "reason": "Tender dinyatakan gagal karena gangguan.",
            "next": page_path,
        },
        follow=True,
    )
    assert answered.redirect_chain[-1][0] == page_path
    html = answered.content.decode()
    assert 'data-status="decided"' in html and "Tender dinyatakan gagal karena gangguan." in html
    assert "Diputuskan" in html and "Tender gagal" in html
    status = _client().get("/status").content.decode()
    assert f'data-decision="{decision.pk}"' in status and "Tender dinyatakan gagal" in status
    vendor = _client(org.users[Role.VENDOR])
    refused = vendor.post(
        f"/pokja/keputusan-gangguan/{decision.pk}/", {"choice": "resubmission", "reason": "x" * 20}
    )
    assert refused.status_code == 403


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_browser_follows_the_footer_to_the_status_page_in_both_languages(
    page, live_server, extended
):
    from playwright.sync_api import expect

    tender, old_end, new_end, outage = extended
    page.goto(f"{live_server.url}/")
    page.locator("footer").get_by_role("link", name="Status Layanan").click()
    assert page.url == f"{live_server.url}/status"
    expect(page.locator("h1")).to_have_text("Status Layanan")
    row = page.locator(f'tr[data-outage="{outage.pk}"]')
    expect(row).to_contain_text("terdeteksi (heartbeat)")
    extension = page.locator(f'#extensions li[data-tender="{tender.code}"]')
    expect(extension).to_contain_text(f"{_moment(old_end)} → {_moment(new_end)}")
    page.screenshot(path="/tmp/tangguh-status.png", full_page=True)  # noqa: S108
    extension.get_by_role("link").first.click()
    assert page.url == f"{live_server.url}/tender/{tender.code}/"
    expect(page.locator(".history")).to_contain_text("Perpanjangan otomatis karena gangguan")
    page.goto(f"{live_server.url}/status")
    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_have_text("Service status")
    expect(extension).to_contain_text(f"{_moment(old_end, 'en')} → {_moment(new_end, 'en')}")
