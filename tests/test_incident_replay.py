"""The June 2024 incident replayed on the sandbox clock (issue 7, RULES.md "Outage extension
policy", worked Mimika example).

A Mimika (WIT) tender in its bid window — opened Monday 10 June 2024, deadline Monday 24 June
2024 15:00 WIT — has bids from two vendors (sealed with the reference ``age`` CLI, uploaded
through the real API, each with its receipt). The node is then out of service from 20 June
2024 00:54 WIB to 1 July 2024 00:00 WIB, ten days across the deadline, recorded either as the
heartbeat gap the node finds when it comes back (``heartbeat_beat(startup=True)``, as ``tangguh
serve`` beats before serving) or as an outage the administrator declares over the API (the
Mimika node could not be reached although nothing on it stopped: a heartbeat alone cannot see
that). Either way:

- the deadline is extended by rule to Tuesday 2 July 2024 15:00 WIT (5 days for 4 d 12 h
  lost → Saturday 29 June → Monday 1 July; service returned 1 July 02:00 WIT, leaving 7
  working hours that day, less than a full working day → Tuesday 2 July), shown with its
  reason on ``/status`` and on the tender page;
- a third vendor submits after service returns and gets a receipt; after the new deadline
  nobody can;
- every bid received before the outage is intact (the stored file has its receipt's SHA-256)
  and opens at the quorum opening with its price in the list;
- the audit chain verifies.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import rfc8785
from django.conf import settings
from django.test import Client
from joserfc import jws
from joserfc.jwk import KeySet

from tangguh.accounts.selectors import users_with_role
from tangguh.audit.models import AuditEvent
from tangguh.audit.selectors import audit_verify
from tangguh.bids.models import Envelope, SealingKey
from tangguh.core.blobs import node_blobs
from tangguh.domain.roles import Role
from tangguh.outages.models import Outage
from tangguh.outages.services.heartbeat import heartbeat_beat
from tangguh.tenders.models import ScheduleChange, Tender, TenderStage
from tangguh.testing import factories
from tangguh.web.timefmt import format_moment
from tests.domain.test_bid_package import VALID
from tests.test_bids_upload import put, seal
from tests.test_opening import _package, _plain_share, _release
from tests.test_participation import approve, declare_size, register
from tests.test_tender_workflow import _ready

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:EdDSA is deprecated"),  # joserfc: RFC 9864 names it
]

WIT = ZoneInfo("Asia/Jayapura")
WIB = ZoneInfo("Asia/Jakarta")
OUTAGE_START = datetime(2024, 6, 20, 0, 54, tzinfo=WIB)
OUTAGE_END = datetime(2024, 7, 1, 0, 0, tzinfo=WIB)  # 1 July 02:00 WIT
OLD_DEADLINE = datetime(2024, 6, 24, 15, 0, tzinfo=WIT)
NEW_DEADLINE = datetime(2024, 7, 2, 15, 0, tzinfo=WIT)  # RULES.md's worked example
DECLARED_REASON = (
    "Node LPSE Mimika tidak dapat dijangkau: gangguan Pusat Data Nasional Sementara 2 "
    "(ransomware), Juni 2024"
)
# A running node beats every minute; the replay beats every four (under the five-minute gap
# threshold), which keeps its 20 days of history to a few thousand beats.
BEAT_STEP = timedelta(minutes=4)
PRICES = {"a": "2350000000", "b": "2389450000", "c": "2310000000"}


def _wit(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=WIT)


# The Pokja's schedule: the bid window of RULES.md's example, later stages after it, each
# ending on a working day within working hours (17 and 18 June 2024 are Idul Adha and cuti
# bersama; the rule set refuses an end there).
SCHEDULE = [
    ("announcement", _wit(6, 5, 9), _wit(6, 12, 9)),
    ("clarification", _wit(6, 7, 9), _wit(6, 10, 9)),
    ("bid_submission", _wit(6, 10, 9), OLD_DEADLINE),
    ("opening", OLD_DEADLINE, _wit(6, 25, 15)),
    ("evaluation", _wit(6, 25, 15), _wit(7, 2, 15)),
    ("proof_of_qualification", _wit(7, 2, 15), _wit(7, 5, 15)),
    ("award", _wit(7, 5, 15), _wit(7, 8, 15)),
    ("winner_announcement", _wit(7, 8, 15), _wit(7, 9, 15)),
    ("objection", _wit(7, 9, 15), _wit(7, 16, 15)),
    ("objection_answer", _wit(7, 16, 15), _wit(7, 19, 15)),
    ("sppbj", _wit(7, 19, 15), _wit(7, 22, 15)),
    ("contract", _wit(7, 22, 15), _wit(7, 25, 15)),
]


@pytest.fixture
def june(clock, settings, tmp_path):
    """The sandbox clock at Wednesday 5 June 2024 09:00 WIT, before any account exists (so
    audit times only move forward), and a content store of this test's own."""
    settings.TANGGUH_DATA_DIR = tmp_path / "data"
    clock.set(_wit(6, 5, 9))
    return clock


class Node:
    """The node as its users meet it on the moving clock. On the heartbeat path it beats on
    the way to every moment, as ``tangguh serve`` does while it runs, so the only silence the
    heartbeat finds is the outage. On the declared path no beat is recorded at all (a node
    whose outage the heartbeat could not see, as in Mimika where the node could not be
    reached), and the administrator declares the outage."""

    def __init__(self, clock, api, beats: bool):
        self.clock, self.api, self.beats = clock, api, beats
        self._tokens: dict[int, str] = {}

    def at(self, moment: datetime) -> None:
        """Move the clock forward to ``moment``; a running node beats on the way."""
        assert moment >= self.clock.now(), "the replay only moves forward"
        if self.beats:
            while self.clock.now() + BEAT_STEP < moment:
                self.clock.move(BEAT_STEP)
                heartbeat_beat()
        self.clock.set(moment)
        self._tokens.clear()  # tokens (and TOTP codes) belong to their moment
        if self.beats:
            heartbeat_beat()

    def token(self, user) -> str:
        if user.pk not in self._tokens:
            self._tokens[user.pk] = self.api.token_for(user)
        return self._tokens[user.pk]


def _announce(node: Node, org) -> Tender:
    """Prepared, scheduled, keys dealt and checked, announced: the Pokja's path through the
    API (``tests.test_tender_workflow``), with the bid window of the example."""
    tokens = {role: node.token(user) for role, user in org.users.items()}
    code = _ready(node.api, org, tokens)
    pokja = tokens[Role.COMMITTEE_MEMBER]
    stages = [
        {"kind": kind, "start": start.isoformat(), "end": end.isoformat()}
        for kind, start, end in SCHEDULE
    ]
    scheduled = node.api.call(
        "PUT", f"/tenders/{code}/schedule", json={"stages": stages}, token=pokja
    )
    assert scheduled.status_code == 200, scheduled.content
    dealt = node.api.call("POST", f"/tenders/{code}/sealing-keys/deal", token=pokja)
    assert dealt.status_code == 201, dealt.content
    factories.sealing_keys_check_all(Tender.objects.get(code=code))
    announced = node.api.call("POST", f"/tenders/{code}/announce", token=pokja)
    assert announced.status_code == 200, announced.content
    return Tender.objects.get(code=code)


def _bid(node: Node, vendor, tender: Tender, folder, name: str):
    """Vendor ``name``'s bid package, sealed with ``age -r`` to the tender's key, uploaded."""
    document = {**VALID, "tender": tender.code, "company_nib": vendor.company.nib}
    document["total_price"] = PRICES[name]
    recipient = SealingKey.objects.get(tender=tender).recipient
    sealed = seal(_package(folder / name, document), recipient)
    return put(node.api, node.token(vendor.user), tender, "offer", sealed), sealed


def _receipt_claims(api, receipt: str) -> dict:
    """The receipt verified against the node's published keys, as a vendor would."""
    jwks = KeySet.import_key_set(api.call("GET", "/node").json()["jwks"])
    return json.loads(jws.deserialize_compact(receipt, jwks, algorithms=["EdDSA"]).payload)


def _deadline(tender: Tender) -> datetime:
    return TenderStage.objects.get(tender=tender, kind="bid_submission").end


@pytest.mark.parametrize("recorded_by", ["heartbeat", "declared"])
def test_the_june_2024_mimika_outage_extends_the_deadline_and_loses_no_bid(
    june, api, org, tmp_path, recorded_by
):
    node = Node(june, api, beats=recorded_by == "heartbeat")
    node.at(_wit(6, 5, 9))
    tender = _announce(node, org)
    assert _deadline(tender) == OLD_DEADLINE

    # Three small businesses (the package is reserved for them: HPS ≤ Rp15 miliar) register.
    vendors = {"a": SimpleNamespace(company=org.company, user=org.users[Role.VENDOR])}
    for name in ("b", "c"):
        company, user = factories.make_vendor()
        vendors[name] = SimpleNamespace(company=company, user=user)
    node.at(_wit(6, 10, 10))
    for vendor in vendors.values():
        approve(org, vendor.company)
        declare_size(vendor.user, vendor.company, "small")
        assert register(api, node.token(vendor.user), tender).status_code == 201

    # Two bids arrive before the outage, each with its receipt.
    received = {}
    for name, moment in (("a", _wit(6, 14, 11)), ("b", _wit(6, 19, 16, 30))):
        node.at(moment)
        response, sealed = _bid(node, vendors[name], tender, tmp_path, name)
        assert response.status_code == 201, response.content
        receipt = response.json()
        assert receipt["sha256"] == hashlib.sha256(sealed).hexdigest()
        received[name] = receipt
    node.at(OUTAGE_START)  # the last moment the node was seen alive

    # Ten days later service returns (1 July 02:00 WIT) and the outage is recorded.
    june.set(OUTAGE_END)
    if recorded_by == "heartbeat":
        result = heartbeat_beat(startup=True)  # ``tangguh serve`` beats once before serving
        assert [t.tender.code for t in result.report.tenders if t.change] == [tender.code]
        outage = Outage.objects.get()
        assert (outage.source, outage.start, outage.end) == ("detected", OUTAGE_START, OUTAGE_END)
    else:
        june.move(timedelta(minutes=30))
        admin = node.token(org.users[Role.ADMIN])
        declared = api.call(
            "POST",
            "/outages",
            json={
                "start": OUTAGE_START.isoformat(),
                "end": OUTAGE_END.isoformat(),
                "reason": DECLARED_REASON,
                "scope": "node",
            },
            token=admin,
        )
        assert declared.status_code == 201, declared.content
        assert [e["tender"] for e in declared.json()["extended"]] == [tender.code]
        outage = Outage.objects.get()
        assert (outage.source, outage.reason) == ("declared", DECLARED_REASON)
        assert outage.declared_by == org.users[Role.ADMIN]
    assert outage.applied_at is not None

    # The deadline moved by rule to Tuesday 2 July 2024 15:00 WIT, once, with its reason.
    assert _deadline(tender) == NEW_DEADLINE
    change = ScheduleChange.objects.get(tender=tender, cause="outage")
    assert change.actor is None and f"#{outage.pk}" in change.reason
    assert "Perpanjangan otomatis karena gangguan layanan" in change.reason
    assert "Automatic extension for an outage" in change.reason
    assert "Perka LKPP 1/2015" in change.reason
    bid_row = next(row for row in change.diff if row["stage"] == "bid_submission")
    assert datetime.fromisoformat(bid_row["before"][1]) == OLD_DEADLINE
    assert datetime.fromisoformat(bid_row["after"][1]) == NEW_DEADLINE
    # Later stages keep their lengths behind it.
    opening = TenderStage.objects.get(tender=tender, kind="opening")
    assert opening.start == NEW_DEADLINE and opening.end - opening.start == timedelta(days=1)

    # Public: /status (page and API) and the tender page show it with the reason.
    old_id = format_moment(OLD_DEADLINE, settings.TIME_ZONE, "id")
    new_id = format_moment(NEW_DEADLINE, settings.TIME_ZONE, "id")
    assert new_id.startswith("Selasa, 2 Juli 2024"), new_id
    status = Client().get("/status").content.decode()
    assert f'data-outage="{outage.pk}"' in status
    assert f'href="/tender/{tender.code}/"' in status
    assert f"{old_id} → <strong>{new_id}</strong>" in status
    status_api = api.call("GET", "/status").json()
    [extension] = status_api["extensions"]
    assert extension["tender"] == tender.code and extension["outages"] == [outage.pk]
    assert extension["reason"] == change.reason
    moved = next(s for s in extension["stages"] if s["stage"] == "bid_submission")
    assert datetime.fromisoformat(moved["after_end"]) == NEW_DEADLINE
    assert status_api["outages"][0]["length_id"] == "10 hari 23 jam 6 menit"
    page = Client().get(f"/tender/{tender.code}/").content.decode()
    assert "Perpanjangan otomatis karena gangguan layanan" in page
    assert f"berakhir {new_id} (sebelumnya {old_id})" in page
    public = api.call("GET", f"/tenders/{tender.code}").json()
    assert datetime.fromisoformat(public["bid_deadline"]) == NEW_DEADLINE

    # A third vendor submits the morning service returns and gets a receipt.
    node.at(_wit(7, 1, 10))
    late, late_sealed = _bid(node, vendors["c"], tender, tmp_path, "c")
    assert late.status_code == 201, late.content
    received["c"] = late.json()
    claims = _receipt_claims(api, received["c"]["receipt"])
    assert claims["sha256"] == hashlib.sha256(late_sealed).hexdigest()
    assert datetime.fromisoformat(claims["received_at"]) == _wit(7, 1, 10)

    # The new deadline is a real one: a minute after it, nothing more is taken.
    node.at(NEW_DEADLINE + timedelta(minutes=1))
    refused, _ = _bid(node, vendors["a"], tender, tmp_path / "late", "a")
    assert refused.status_code == 409 and refused.json()["code"] == "bid.deadline_passed"

    # Every bid received before the outage is intact: the stored file has the receipt's hash.
    for name in ("a", "b"):
        claims = _receipt_claims(api, received[name]["receipt"])
        envelope = Envelope.objects.get(tender=tender, company=vendors[name].company)
        assert envelope.sha256 == claims["sha256"] == received[name]["sha256"]
        assert envelope.receipt == received[name]["receipt"]
        with node_blobs().open(envelope.sha256) as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == claims["sha256"]

    # The quorum opening: the closing statement lists all three, two members release.
    node.at(NEW_DEADLINE + timedelta(hours=1))
    statement = api.call("GET", f"/tenders/{tender.code}/closing-statement")
    assert statement.status_code == 200, statement.content
    statement_sha = hashlib.sha256(rfc8785.dumps(statement.json()["document"])).hexdigest()
    members = users_with_role(Role.COMMITTEE_MEMBER, f"committee:{org.committee.pk}")
    opening_ctx = SimpleNamespace(tender=tender, tokens={})
    for member in members[:2]:
        opening_ctx.tokens[member.pk] = node.token(member)
        released = _release(api, opening_ctx, member, _plain_share(member), statement_sha)
        assert released.status_code == 201, released.content
    assert released.json()["opened"] is True
    listing = api.call("GET", f"/tenders/{tender.code}/opening").json()
    assert listing["closing_statement"]["count"] == 3
    rows = {row["company_nib"]: row for row in listing["openings"][0]["envelopes"]}
    for name, vendor in vendors.items():
        row = rows[vendor.company.nib]
        assert row["ok"] is True, row
        assert Decimal(row["total_price"]) == Decimal(PRICES[name])

    # The audit chain verifies, and it holds the outage, the extension and every receipt.
    report = audit_verify()
    assert report.ok, report
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert f"outage.{'detected' if recorded_by == 'heartbeat' else 'declared'}" in actions
    assert "outage.applied" in actions and "opening.opened" in actions
    assert actions.count("bid.received") == 3
    assert (
        AuditEvent.objects.filter(action="tender.schedule_changed", payload__cause="outage").count()
        == 1
    )
    assert Outage.objects.count() == 1
