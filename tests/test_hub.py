"""National services behind adapters: the outbox delivers with retries and back-off against a
real local HTTP server that fails and then answers; pulls fill the local copies and a failing
service leaves the last good copy in place; the trust list from a file and from the hub."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import call_command

from tangguh.audit.services.checkpoints import checkpoint_make
from tangguh.core.keys import Keyring
from tangguh.domain.roles import Role
from tangguh.hub.models import AdapterState, HubCursor, Outbox, RegistryVendor, RupLine, TrustedNode
from tangguh.hub.selectors import registry_lookup, rup_lookup
from tangguh.hub.services.outbox import backoff, outbox_push
from tangguh.opendata.models import Release
from tangguh.opendata.services.publish import NewRelease, releases_append
from tangguh.participation.models import BlacklistEntry, BlacklistSync

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:EdDSA is deprecated")]

SERVICE_SETTINGS = (
    "TANGGUH_HUB_URL",
    "TANGGUH_SIKAP_URL",
    "TANGGUH_BLACKLIST_URL",
    "TANGGUH_SIRUP_URL",
)


class FakeNational(ThreadingHTTPServer):
    """One local HTTP server playing every national service. ``failing`` makes it answer 500
    to everything; it counts every POST it received by Idempotency-Key (a real hub would keep
    one copy per key; the count proves we sent each once)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.failing = False
        self.requests: list[tuple[str, str]] = []
        self.posts: Counter[str] = Counter()
        self.bodies: dict[str, dict] = {}
        self.blacklist = b"[]"
        self.vendors: list[dict] = []
        self.rup: list[dict] = []
        self.nodes: list[dict] = []
        self.since: dict[str, list[str]] = {"/vendors": [], "/rup": []}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeNational

    def log_message(self, *args):  # keep test output quiet
        pass

    def _send(self, status: int, body: bytes, content_type="application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.server.requests.append(("GET", self.path))
        if self.server.failing:
            return self._send(500, b'{"error": "down"}')
        url = urlparse(self.path)
        if url.path in self.server.since:
            self.server.since[url.path].append(parse_qs(url.query).get("since", [""])[0])
        if url.path == "/export":
            return self._send(200, self.server.blacklist)
        if url.path == "/vendors":
            body = {"vendors": self.server.vendors, "cursor": "v2"}
        elif url.path == "/rup":
            body = {"items": self.server.rup, "cursor": "r7"}
        elif url.path == "/nodes":
            body = {"nodes": self.server.nodes}
        else:
            return self._send(404, b"{}")
        return self._send(200, json.dumps(body).encode())

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        data = self.rfile.read(length)
        self.server.requests.append(("POST", self.path))
        if self.server.failing:
            return self._send(500, b'{"error": "down"}')
        key = self.headers.get("Idempotency-Key", "")
        self.server.posts[key] += 1
        self.server.bodies[key] = {"path": self.path, **json.loads(data)}
        return self._send(202, b'{"accepted": true}')


@contextlib.contextmanager
def running_national() -> Iterator[FakeNational]:
    server = FakeNational()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def national():
    with running_national() as server:
        yield server


def refusing_url() -> str:
    """A local port nobody listens on: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def connect(settings, url: str) -> None:
    for name in SERVICE_SETTINGS:
        setattr(settings, name, url)


def connect_known(settings, national: FakeNational) -> None:
    """Connect to the hub and let a first push deliver this node's own trust-list entry, as on
    any node connected for a while (tests/test_hub_trust_push.py), so that a test then sees
    only the messages it makes."""
    connect(settings, national.url)
    assert outbox_push().delivered == 1
    assert [key for key in national.posts if key.startswith("trust:")] == list(national.posts)
    national.posts.clear()
    national.bodies.clear()
    national.requests.clear()


@pytest.fixture(autouse=True)
def _own_keys(settings, tmp_path):
    settings.TANGGUH_SIGNING_KEY_DIR = tmp_path / "keys"
    for name in SERVICE_SETTINGS:
        setattr(settings, name, "")


def _release(number: int) -> NewRelease:
    body = {"ocid": "ocds-test-1", "id": f"ocds-test-1-{number}", "tag": ["tender"]}
    return NewRelease(
        ocid="ocds-test-1",
        release_id=f"ocds-test-1-{number}",
        kind="tender",
        date=datetime(2024, 6, 24, 1, 0, tzinfo=UTC),
        body=json.dumps(body),
    )


def test_a_checkpoint_waits_in_the_outbox_and_is_retried_with_back_off(settings, clock, national):
    connect_known(settings, national)
    national.failing = True
    checkpoint = checkpoint_make()
    (message,) = Outbox.objects.filter(delivered_at__isnull=True)  # written with the checkpoint
    assert message.kind == "audit.checkpoint" and message.payload["token"] == checkpoint.token

    first = outbox_push()
    assert (first.delivered, first.failed, first.waiting) == (0, 1, 1)
    message.refresh_from_db()
    assert message.attempts == 1 and message.delivered_at is None
    assert message.next_attempt_at == clock.now() + timedelta(seconds=30)
    assert "HTTP 500" in message.last_error
    assert "HTTP 500" in AdapterState.objects.get(service="hub").last_error

    # not due yet: no request at all
    seen = len(national.requests)
    assert outbox_push().failed == 0 and len(national.requests) == seen

    clock.move(timedelta(seconds=31))
    assert outbox_push().failed == 1
    message.refresh_from_db()
    assert message.attempts == 2
    assert message.next_attempt_at == clock.now() + timedelta(minutes=1)

    # the hub comes back
    national.failing = False
    clock.move(timedelta(minutes=1))
    call_command("hub", "push")
    message.refresh_from_db()
    assert message.delivered_at == clock.now() and message.attempts == 3
    assert message.last_error == ""
    assert national.posts == Counter({message.key: 1})
    assert national.bodies[message.key]["path"] == "/checkpoints"
    assert national.bodies[message.key]["size"] == checkpoint.size

    # delivered once: later runs send nothing
    clock.move(timedelta(hours=1))
    outbox_push()
    assert national.posts == Counter({message.key: 1})
    state = AdapterState.objects.get(service="hub")
    assert state.last_error == "" and state.last_ok_at is not None


def test_back_off_doubles_up_to_six_hours():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(12) == timedelta(hours=6) and backoff(400) == timedelta(hours=6)


def test_a_refused_connection_loses_nothing(settings, clock):
    connect(settings, refusing_url())
    checkpoint_make()
    report = outbox_push()
    # the checkpoint and this node's own trust-list entry (queued by the push) both wait
    assert report.failed == 1 and report.waiting == 2
    message = Outbox.objects.get(kind="audit.checkpoint")
    assert message.delivered_at is None and "failed" in message.last_error
    assert Outbox.objects.get(kind="trust.entry").delivered_at is None


def test_without_a_hub_url_nothing_is_queued(settings, clock):
    checkpoint_make()
    releases_append(releases=[_release(1)])
    assert outbox_push().waiting == 0
    assert not Outbox.objects.exists()


def test_releases_go_out_in_feed_order_each_once(settings, clock, national):
    connect_known(settings, national)
    releases_append(releases=[_release(1), _release(2)])
    national.failing = True
    assert outbox_push().failed == 1
    assert Outbox.objects.filter(kind="ocds.release", delivered_at__isnull=True).count() == 2
    assert HubCursor.objects.get(name="ocds.enqueued").value == str(
        Release.objects.order_by("-position").first().position
    )

    national.failing = False
    clock.move(timedelta(minutes=1))
    releases_append(releases=[_release(3)])
    assert outbox_push().delivered == 3
    keys = [f"ocds:ocds-test-1:ocds-test-1-{n}" for n in (1, 2, 3)]
    assert national.posts == Counter(dict.fromkeys(keys, 1))
    positions = [national.bodies[k]["position"] for k in keys]
    assert positions == sorted(positions)
    assert national.bodies[keys[0]]["release"]["id"] == "ocds-test-1-1"

    outbox_push()
    assert sum(national.posts.values()) == 3


def test_two_runs_never_send_the_same_message(settings, clock, national):
    connect_known(settings, national)
    checkpoint_make()
    message = Outbox.objects.get(delivered_at__isnull=True)
    # another run claimed it a moment ago and is still sending
    Outbox.objects.filter(pk=message.pk).update(claimed_until=clock.now() + timedelta(minutes=5))
    assert outbox_push().delivered == 0 and not national.posts
    clock.move(timedelta(minutes=6))  # that run died: its claim lapses
    assert outbox_push().delivered == 1 and national.posts == Counter({message.key: 1})


BLACKLIST = [
    {
        "npwp": "01.234.567.8-912.000",
        "name": "PT Hitam Sekali",
        "starts_on": "2024-01-01",
        "decree_reference": "SK-1/2024",
    }
]


def test_pull_fills_the_local_copies_and_a_failure_keeps_them(api, org, settings, clock, national):
    connect(settings, national.url)
    home = Keyring(settings.TANGGUH_SIGNING_KEY_DIR.parent / "jayapura")
    national.blacklist = json.dumps(BLACKLIST).encode()
    national.vendors = [{"nib": "9120001234567", "name": "CV Maju", "status": "aktif"}]
    national.rup = [
        {
            "rup_code": "RUP-2024-0042",
            "fiscal_year": 2024,
            "title": "Peningkatan Jalan SP 2",
            "work_unit": "Dinas PUPR Mimika",
            "category": "works",
            "budget": "2500000000",
        }
    ]
    national.nodes = [{"name": "LPSE Kota Jayapura", "jwks": home.jwks()}]
    call_command("hub", "pull")
    assert BlacklistEntry.objects.get().name == "PT Hitam Sekali"
    assert registry_lookup("9120001234567").name == "CV Maju"
    assert rup_lookup("RUP-2024-0042").title == "Peningkatan Jalan SP 2"
    assert TrustedNode.objects.get().source == "hub"
    assert HubCursor.objects.get(name="sikap.since").value == "v2"

    # pages and the API read the copies, never the live services
    verifier = api.token_for(org.users[Role.VERIFIER])
    found = api.call("GET", "/hub/registry/9120001234567", token=verifier)
    assert found.status_code == 200 and found.json()["name"] == "CV Maju"
    missing = api.call("GET", "/hub/registry/9120009999999", token=verifier)
    assert missing.status_code == 404 and missing.json()["code"] == "hub.registry_not_found"
    vendor = api.token_for(org.users[Role.VENDOR])
    assert api.call("GET", "/hub/registry/9120001234567", token=vendor).status_code == 403
    line = api.call("GET", "/hub/rup/RUP-2024-0042").json()
    assert line["budget"] == "2500000000.00" and line["work_unit"] == "Dinas PUPR Mimika"

    # the same export again changes nothing; the next pulls ask from the cursor
    call_command("hub", "pull")
    assert BlacklistSync.objects.count() == 1
    assert national.since["/vendors"] == ["", "v2"] and national.since["/rup"] == ["", "r7"]

    # every service down: the copies stay, the failures are recorded
    national.failing = True
    call_command("hub", "pull")
    assert BlacklistEntry.objects.count() == 1 and RegistryVendor.objects.count() == 1
    assert RupLine.objects.count() == 1 and TrustedNode.objects.count() == 1
    for service in ("hub", "sikap", "daftar_hitam", "sirup"):
        assert "HTTP 500" in AdapterState.objects.get(service=service).last_error

    # a broken export replaces nothing either
    national.failing = False
    national.blacklist = b'[{"name": "tanpa NPWP"}]'
    call_command("hub", "pull")
    assert BlacklistEntry.objects.get().name == "PT Hitam Sekali"
    assert "blacklist.rows_invalid" in AdapterState.objects.get(service="daftar_hitam").last_error

    # the hub stops listing a node: it is no longer trusted
    national.nodes = []
    call_command("hub", "pull")
    assert not TrustedNode.objects.exists()


def test_trust_import_export_and_revoke_on_the_command_line(settings, tmp_path, clock, capsys):
    other = Keyring(tmp_path / "other")
    kid = other.ensure()
    listing = tmp_path / "trust.json"
    listing.write_text(
        json.dumps({"nodes": [{"name": "LPSE Kota Jayapura", "jwks": other.jwks()}]})
    )
    call_command("hub", "trust", "import", str(listing))
    trusted = TrustedNode.objects.get()
    assert trusted.name == "LPSE Kota Jayapura" and trusted.source == "file"
    call_command("hub", "trust", "revoke", "LPSE Kota Jayapura", kid)
    # a revocation sticks even when the old list is imported again
    call_command("hub", "trust", "import", str(listing))
    trusted.refresh_from_db()
    assert trusted.revoked_kids == [kid]

    capsys.readouterr()
    call_command("hub", "trust", "export")
    exported = json.loads(capsys.readouterr().out)
    (entry,) = exported["nodes"]
    assert entry["jwks"]["keys"][0]["kid"] == Keyring(settings.TANGGUH_SIGNING_KEY_DIR).ensure()

    listing.write_text(json.dumps({"nodes": [{"name": "X", "jwks": {"keys": [{"kty": "RSA"}]}}]}))
    with pytest.raises(Exception, match=r"trust\.invalid"):
        call_command("hub", "trust", "import", str(listing))


def test_the_administrator_sees_services_and_outbox(api, org, settings, clock):
    connect(settings, refusing_url())
    checkpoint_make()
    outbox_push()
    token = api.token_for(org.users[Role.ADMIN])
    status = api.call("GET", "/hub/status", token=token)
    assert status.status_code == 200, status.content
    body = status.json()
    hub = next(s for s in body["services"] if s["service"] == "hub")
    assert hub["connected"] is True and hub["last_ok_at"] is None and hub["last_error"]
    assert body["outbox"] == [
        {
            "kind": kind,
            "waiting": 1,
            "delivered": 0,
            "oldest_waiting_at": body["outbox"][number]["oldest_waiting_at"],
        }
        for number, kind in enumerate(("audit.checkpoint", "trust.entry"))
    ]
    vendor = api.token_for(org.users[Role.VENDOR])
    assert api.call("GET", "/hub/status", token=vendor).status_code == 403
