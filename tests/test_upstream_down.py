"""A whole tender with every national service failing: the hub answers 500, the vendor
registry, the blacklist and SiRUP refuse connections. Announcement, registration, sealed bids,
closing, the quorum opening, evaluation and the award all go through; what the node owes the
hub waits in the outbox; when the hub returns, ``tangguh hub push`` delivers each message
exactly once (ISSUE 7, "Upstream independence")."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace

import pytest
import rfc8785
from django.core.management import call_command

from tangguh import clock as clock_module
from tangguh.accounts.selectors import users_with_role
from tangguh.audit.selectors import audit_verify
from tangguh.bids.models import SealingKey
from tangguh.domain.methods import StageKind
from tangguh.domain.roles import Role
from tangguh.hub.models import AdapterState, Outbox
from tangguh.tenders.models import Tender, TenderStage
from tangguh.testing import factories
from tests.test_awards import _adopt, _bill, _call, _document, _nib, _pass_all
from tests.test_bids_upload import put, seal
from tests.test_hub import SERVICE_SETTINGS, refusing_url, running_national
from tests.test_opening import _package, _plain_share, _release
from tests.test_participation import approve, declare_size, register
from tests.test_tender_workflow import _announced

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:EdDSA is deprecated")]


@pytest.fixture(autouse=True)
def _own_node(settings, tmp_path):
    settings.TANGGUH_DATA_DIR = tmp_path / "data"
    settings.TANGGUH_SIGNING_KEY_DIR = tmp_path / "keys"


@pytest.fixture
def national():
    with running_national() as server:
        yield server


def _cron() -> None:
    """What cron runs every few minutes; with the centre down it must change nothing here."""
    call_command("hub", "pull")
    call_command("hub", "push")


def test_a_whole_tender_runs_with_every_national_service_down(
    api, org, settings, clock, tmp_path, national
):
    national.failing = True
    down = refusing_url()
    for name in SERVICE_SETTINGS:
        setattr(settings, name, down)
    settings.TANGGUH_HUB_URL = national.url  # up, but answering 500 to everything

    # announcement: the real path (package, schedule, dealt keys, members' checks, announce)
    tokens = {role: api.token_for(user) for role, user in org.users.items()}
    code = _announced(api, org, tokens)
    tender = Tender.objects.get(code=code)
    assert tender.announced_at is not None
    _cron()

    # two vendors register and upload sealed bids (A: the org's company, C: a second one)
    approve(org)
    company_c, user_c = factories.make_vendor()
    approve(org, company_c)
    companies = {"A": (org.company, org.users[Role.VENDOR]), "C": (company_c, user_c)}
    key = SealingKey.objects.get(tender=tender)
    window = TenderStage.objects.get(tender=tender, kind=StageKind.BID_SUBMISSION)
    clock.set(window.start + timedelta(hours=1))
    for name, (company, user) in companies.items():
        declare_size(user, company, "small")  # HPS ≤ Rp15 miliar: reserved for small business
        token = api.token_for(user)
        registered = register(api, token, tender)
        assert registered.status_code == 201, registered.content
        plain = _package(tmp_path / name, _document(tender, company, name))
        uploaded = put(api, token, tender, "offer", seal(plain, key.recipient))
        assert uploaded.status_code == 201, uploaded.content
    _cron()

    # closing: past the deadline, the closing statement; opening by a quorum of two
    clock.set(window.end + timedelta(hours=1))
    members = users_with_role(Role.COMMITTEE_MEMBER, f"committee:{org.committee.pk}")
    state = SimpleNamespace(
        tender=tender, members=members, tokens={}, companies=companies, api=api, org=org
    )
    statement = api.call("GET", f"/tenders/{code}/closing-statement")
    assert statement.status_code == 200, statement.content
    assert statement.json()["document"]["count"] == 2
    digest = hashlib.sha256(rfc8785.dumps(statement.json()["document"])).hexdigest()
    for member in members[:2]:
        released = _release(api, state, member, _plain_share(member), digest)
        assert released.status_code == 201, released.content
    opening = api.call("GET", f"/tenders/{code}/opening").json()
    assert {row["ok"] for row in opening["openings"][0]["envelopes"]} == {True}
    state.tokens.clear()
    clock_module.get_clock().move(timedelta(seconds=31))  # the release used this TOTP code
    _cron()

    # evaluation and the award (C, the lowest, after a price clarification at under 80%)
    _bill(state)
    _pass_all(state, names=("A", "C"))
    clarified = _call(
        state,
        "POST",
        "/evaluation/clarifications",
        json={"company_nib": _nib(state, "C"), "reasonable": True, "note": "Harga wajar."},
    )
    assert clarified.status_code == 201, clarified.content
    _adopt(state, "evaluation")
    qualified = _call(
        state,
        "POST",
        "/evaluation/checks",
        json={
            "company_nib": _nib(state, "C"),
            "stage": "qualification",
            "items": [{"item": "Pembuktian SBU", "passed": True}],
        },
    )
    assert qualified.status_code == 201, qualified.content
    _adopt(state, "award", _nib(state, "C"))
    award = api.call("GET", f"/tenders/{code}/award").json()["award"]
    assert award["status"] == "announced"
    assert award["winner"]["company_nib"] == company_c.nib
    api.call("GET", "/audit/checkpoint")  # someone asks for the current checkpoint
    _cron()

    # everything owed to the hub is waiting; every service's failure is on record
    waiting = Outbox.objects.filter(delivered_at__isnull=True)
    kinds = Counter(waiting.values_list("kind", flat=True))
    assert kinds["ocds.release"] >= 2 and kinds["audit.checkpoint"] >= 1, kinds
    assert not Outbox.objects.filter(delivered_at__isnull=False).exists()
    assert not national.posts
    for service in ("hub", "sikap", "daftar_hitam", "sirup"):
        state_row = AdapterState.objects.get(service=service)
        assert state_row.last_ok_at is None and state_row.last_error, service
    assert audit_verify().ok

    # the hub comes back: every message once, in order; nothing is sent twice
    national.failing = False
    clock.move(timedelta(hours=7))  # past the longest back-off
    call_command("hub", "push")
    keys = set(Outbox.objects.values_list("key", flat=True))
    assert not Outbox.objects.filter(delivered_at__isnull=True).exists()
    assert national.posts == Counter(dict.fromkeys(keys, 1))
    positions = [
        national.bodies[k]["position"]
        for k in sorted(keys, key=lambda k: Outbox.objects.get(key=k).pk)
        if k.startswith("ocds:")
    ]
    assert positions == sorted(positions)
    tags = {t for k in keys if k.startswith("ocds:") for t in national.bodies[k]["release"]["tag"]}
    assert {"tender", "tenderUpdate"} <= tags, tags
    call_command("hub", "push")
    assert sum(national.posts.values()) == len(keys)
