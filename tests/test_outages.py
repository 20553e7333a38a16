"""Outages: a heartbeat gap at start becomes one outage and extends the bid window it overlaps,
publicly and with the reason, participants told; applying again changes nothing; outages
declared on the command line and over the API; an outage after opening began asks the Pokja;
bad input changes nothing; ``tangguh serve`` beats from one sibling that dies with it; signed
reports of an external probe."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tangguh import clock as clock_module
from tangguh.audit.models import AuditEvent
from tangguh.domain.roles import Role
from tangguh.notifications.models import Notification
from tangguh.outages import probe as probe_client
from tangguh.outages.models import (
    Heartbeat,
    Outage,
    OutageDecision,
    OutageExtension,
    ProbeCheck,
)
from tangguh.outages.selectors import gap_detection_done, outages_counting
from tangguh.outages.services.extensions import tender_outage_extend
from tangguh.outages.services.outages import outages_apply_pending
from tangguh.tenders.models import ScheduleChange, Tender, TenderStage
from tests.test_bids_upload import _free_port, _kill, _server_env, _start_server
from tests.test_opening import _past_deadline, _plain_share, _release, sealed  # noqa: F401
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


def _bid_stage(tender: Tender) -> TenderStage:
    return TenderStage.objects.get(tender=tender, kind="bid_submission")


def _announced_with_participant(api, org, tokens) -> Tender:
    """A tender announced through the API (rule set pinned) with one registered vendor."""
    tender = Tender.objects.get(code=_announced(api, org, tokens))
    approve(org)
    declare_size(org.users[Role.VENDOR], org.company, "small")  # HPS ≤ Rp15 miliar: reserved
    assert register(api, tokens[Role.VENDOR], tender).status_code == 201
    return tender


def _beat(*args: str) -> str:
    out = StringIO()
    call_command("heartbeat", *args, stdout=out)
    return out.getvalue()


def _refused(response, status, code, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    if field:
        assert body["field"] == field, body


# --- the heartbeat ------------------------------------------------------------------------------


def test_a_heartbeat_gap_at_start_becomes_one_outage_and_extends_the_bid_window(
    api, org, tokens, clock
):
    tender = _announced_with_participant(api, org, tokens)
    before = _bid_stage(tender)
    last_alive = before.end - timedelta(days=2)
    clock.set(last_alive)
    _beat()
    assert Outage.objects.count() == 0
    clock.set(last_alive + timedelta(minutes=4))  # within the threshold: no outage
    _beat()
    assert Outage.objects.count() == 0

    # The node dies two days before the deadline and comes back three days after it.
    last_beat = clock_module.now()
    back = before.end + timedelta(days=3)
    clock.set(back)
    assert gap_detection_done() is False
    output = _beat("--startup")
    assert f"extended {tender.code}" in output

    outage = Outage.objects.get()
    assert (outage.source, outage.scope, outage.counts) == ("detected", "node", True)
    assert (outage.start, outage.end) == (last_beat, back)
    assert outage.applied_at == back
    assert gap_detection_done() is True

    after = _bid_stage(tender)
    assert after.end > back  # the window opens again after service returned
    assert after.changes == before.changes + 1
    change = ScheduleChange.objects.get(tender=tender, cause="outage")
    assert change.actor is None
    assert f"#{outage.pk}" in change.reason
    assert "Perpanjangan otomatis karena gangguan layanan" in change.reason
    assert "Automatic extension for an outage" in change.reason
    assert "Perka LKPP 1/2015" in change.reason
    assert change.diff[0]["stage"] == "bid_submission"

    # Public: the tender page's API shows the change and its reason.
    public = api.call("GET", f"/tenders/{tender.code}").json()
    assert any(
        c["cause"] == "outage" and c["reason"] == change.reason for c in public["schedule_changes"]
    )

    # Audited like any schedule change, and the outage itself.
    event = AuditEvent.objects.get(action="tender.schedule_changed", payload__cause="outage")
    assert event.payload["outages"] == [outage.pk]
    assert AuditEvent.objects.filter(action="outage.detected", object_id=str(outage.pk)).exists()
    assert not AuditEvent.objects.filter(action__startswith="heartbeat").exists()

    # The participant is told, with the reason.
    note = Notification.objects.get(recipient=org.users[Role.VENDOR], kind="schedule_change")
    assert tender.code in note.title_id and f"#{outage.pk}" in note.body_id
    assert OutageExtension.objects.get().schedule_change == change

    # Applying again changes nothing: another beat, the pending queue, a recomputation.
    _beat()
    assert outages_apply_pending().tenders == []
    again = tender_outage_extend(tender=tender, outages=outages_counting(), now=clock.now())
    assert again.change is None and again.decisions == []
    assert ScheduleChange.objects.filter(tender=tender).count() == 1
    assert _bid_stage(tender).end == after.end
    assert Outage.objects.count() == 1


def test_a_declared_outage_over_the_detected_one_merges_and_extends_nothing_more(
    api, org, tokens, clock
):
    tender = _announced_with_participant(api, org, tokens)
    deadline = _bid_stage(tender).end
    clock.set(deadline - timedelta(days=1))
    _beat()
    clock.set(deadline + timedelta(days=2))
    _beat()
    extended = _bid_stage(tender).end
    detected = Outage.objects.get()
    out = StringIO()
    call_command(
        "outage",
        "declare",
        "--start",
        (detected.start + timedelta(hours=1)).isoformat(),
        "--end",
        (detected.end - timedelta(hours=1)).isoformat(),
        "--reason",
        "Serangan ransomware pada Pusat Data Nasional Sementara 2",
        stdout=out,
    )
    assert "extended" not in out.getvalue()
    assert Outage.objects.count() == 2
    assert _bid_stage(tender).end == extended
    assert ScheduleChange.objects.filter(tender=tender, cause="outage").count() == 1


def test_gap_detection_waits_for_the_first_beat_after_a_restart(db, clock):
    assert gap_detection_done() is True  # a node that never beat has nothing to detect
    _beat()
    clock.move(timedelta(minutes=4))
    assert gap_detection_done() is True
    clock.move(timedelta(minutes=2))  # 6 minutes of silence: a gap nobody examined yet
    assert gap_detection_done() is False
    _beat()
    assert gap_detection_done() is True
    assert Outage.objects.get().source == "detected"
    # A clock stepped back never moves the beat back (the next gap stays visible).
    beat = Heartbeat.objects.get()
    clock.move(timedelta(hours=-1))
    _beat()
    assert Heartbeat.objects.get().beat_at == beat.beat_at


# --- declared outages ---------------------------------------------------------------------------


def test_an_outage_declared_on_the_command_line_extends_and_is_listed(api, org, tokens, clock):
    tender = _announced_with_participant(api, org, tokens)
    deadline = _bid_stage(tender).end
    clock.set(deadline + timedelta(hours=1))
    start, end = deadline - timedelta(hours=30), deadline - timedelta(hours=2)
    out = StringIO()
    call_command(
        "outage",
        "declare",
        "--start",
        start.isoformat(),
        "--end",
        end.isoformat(),
        "--reason",
        "Listrik padam di ruang server LPSE.",
        stdout=out,
    )
    outage = Outage.objects.get()
    change = tender.schedule_changes.order_by("-pk").first()
    assert "LPSE. Lihat /status" in change.reason and ".." not in change.reason
    assert outage.source == "declared" and outage.declared_by is None
    assert f"outage #{outage.pk} recorded (node, extends deadlines)" in out.getvalue()
    assert f"extended {tender.code} bid_submission" in out.getvalue()
    assert _bid_stage(tender).end > clock.now()
    assert AuditEvent.objects.get(action="outage.declared").actor == "cli"

    listing = StringIO()
    call_command("outage", "list", stdout=listing)
    assert f"#{outage.pk}" in listing.getvalue()
    assert "Listrik padam di ruang server LPSE" in listing.getvalue()
    as_json = StringIO()
    call_command("outage", "list", "--json", stdout=as_json)
    assert json.loads(as_json.getvalue())[0]["id"] == outage.pk


def test_an_admin_declares_over_the_api_and_others_are_refused(api, org, tokens, clock):
    tender = _announced_with_participant(api, org, tokens)
    deadline = _bid_stage(tender).end
    clock.set(deadline - timedelta(hours=1))
    tokens = {role: api.token_for(user) for role, user in org.users.items()}  # the old expired
    body = {
        "start": (deadline - timedelta(days=2)).isoformat(),
        "end": (deadline - timedelta(days=1)).isoformat(),
        "reason": "SPSE tidak dapat diakses karena gangguan jaringan Telkom di Timika",
    }
    for role in (Role.VENDOR, Role.COMMITTEE_MEMBER, Role.AUDITOR):
        _refused(
            api.call("POST", "/outages", json=body, token=tokens[role]), 403, "permission.denied"
        )
    assert api.call("POST", "/outages", json=body).status_code == 401
    assert Outage.objects.count() == 0

    response = api.call("POST", "/outages", json=body, token=tokens[Role.ADMIN])
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["outage"]["source"] == "declared" and created["outage"]["counts"] is True
    assert [e["tender"] for e in created["extended"]] == [tender.code]
    assert Outage.objects.get().declared_by == org.users[Role.ADMIN]
    listed = api.call("GET", "/outages").json()  # public
    assert listed[0]["reason"] == body["reason"]


def test_an_upstream_outage_counts_only_when_the_node_depends_on_it(
    api, org, tokens, clock, settings
):
    tender = _announced_with_participant(api, org, tokens)
    deadline = _bid_stage(tender).end
    clock.set(deadline - timedelta(hours=1))
    admin = api.token_for(org.users[Role.ADMIN])
    body = {
        "start": (deadline - timedelta(days=3)).isoformat(),
        "end": (deadline - timedelta(days=2)).isoformat(),
        "reason": "SIKaP nasional tidak dapat diakses",
        "scope": "upstream:sikap",
    }
    settings.TANGGUH_OUTAGE_UPSTREAM_COUNTS = []
    first = api.call("POST", "/outages", json=body, token=admin).json()
    assert first["outage"]["counts"] is False and first["extended"] == []
    assert _bid_stage(tender).end == deadline

    settings.TANGGUH_OUTAGE_UPSTREAM_COUNTS = ["sikap"]
    second = api.call(
        "POST",
        "/outages",
        json={**body, "start": body["end"], "end": (deadline - timedelta(days=1)).isoformat()},
        token=admin,
    ).json()
    assert second["outage"]["counts"] is True
    assert [e["tender"] for e in second["extended"]] == [tender.code]


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"end": "START"}, "outage.end_before_start", "end"),
        ({"start": "-3h", "end": "-4h"}, "outage.end_before_start", "end"),
        ({"end": "+1h"}, "outage.in_future", "end"),
        ({"reason": "  "}, "outage.reason_required", "reason"),
        ({"reason": "mati"}, "outage.reason_required", "reason"),
        ({"scope": "sikap"}, "outage.scope_invalid", "scope"),
        ({"scope": "upstream:SIKaP Nasional"}, "outage.scope_invalid", "scope"),
        ({"start": "NAIVE"}, "outage.time_without_zone", "start"),
    ],
)
def test_bad_declarations_are_refused_and_change_nothing(
    api, org, tokens, clock, change, code, field
):
    tender = _announced_with_participant(api, org, tokens)
    deadline = _bid_stage(tender).end
    now = clock_module.now()
    body = {
        "start": (now - timedelta(hours=5)).isoformat(),
        "end": (now - timedelta(hours=1)).isoformat(),
        "reason": "Gangguan jaringan di ruang server",
    }
    shifts = {"-3h": -3, "-4h": -4, "+1h": 1}
    for key, value in change.items():
        if value == "START":
            body[key] = body["start"]
        elif value in shifts:
            body[key] = (now + timedelta(hours=shifts[value])).isoformat()
        elif value == "NAIVE":
            body[key] = (now - timedelta(hours=5)).replace(tzinfo=None).isoformat()
        else:
            body[key] = value
    events = AuditEvent.objects.count()
    _refused(api.call("POST", "/outages", json=body, token=tokens[Role.ADMIN]), 422, code, field)
    with pytest.raises(CommandError, match=re.escape(code)):
        call_command(
            "outage",
            "declare",
            "--start",
            body["start"],
            "--end",
            body["end"],
            "--reason",
            body["reason"],
            "--scope",
            body.get("scope", "node"),
        )
    assert Outage.objects.count() == 0
    assert AuditEvent.objects.count() == events
    assert _bid_stage(tender).end == deadline
    assert not ScheduleChange.objects.filter(tender=tender).exists()


def test_a_cli_time_that_is_not_iso_is_refused(db, clock):
    with pytest.raises(CommandError, match=r"outage\.time_invalid"):
        call_command(
            "outage", "declare", "--start", "kemarin", "--end", "tadi", "--reason", "x" * 12
        )
    assert Outage.objects.count() == 0


# --- after opening began: the Pokja decides ----------------------------------------------------


def test_an_outage_after_opening_began_asks_the_pokja_instead_of_extending(
    api,
    org,
    sealed,  # noqa: F811
):
    tender = sealed.tender
    bid = _bid_stage(tender)
    statement = _past_deadline(api, sealed)
    first = sealed.members[0]
    assert _release(api, sealed, first, _plain_share(first), statement).status_code == 201
    vendor_token = api.token_for(org.users[Role.VENDOR])
    admin_token = api.token_for(org.users[Role.ADMIN])
    body = {
        "start": (bid.end - timedelta(days=3)).isoformat(),
        "end": (bid.end - timedelta(days=2)).isoformat(),
        "reason": "Node tidak dapat dijangkau dari Timika",
    }
    response = api.call("POST", "/outages", json=body, token=admin_token)
    assert response.status_code == 201, response.content
    assert response.json()["extended"] == []
    [asked] = response.json()["decisions"]
    assert asked["code"] == "outage.committee_must_decide" and asked["stage"] == "bid_submission"
    assert _bid_stage(tender).end == bid.end
    assert not ScheduleChange.objects.filter(tender=tender, cause="outage").exists()
    decision = OutageDecision.objects.get()
    assert decision.decided_at is None
    assert AuditEvent.objects.filter(action="outage.decision_required").count() == 1
    told = set(
        Notification.objects.filter(kind="outage_decision").values_list("recipient", flat=True)
    )
    assert {m.pk for m in sealed.members} | {org.users[Role.VENDOR].pk} <= told

    # Applying again asks nothing new.
    outages_apply_pending()
    tender_outage_extend(tender=tender, outages=outages_counting(), now=clock_module.now())
    assert OutageDecision.objects.count() == 1

    # Only a member of this Pokja decides, with a public reason, once.
    path = f"/outages/decisions/{decision.pk}"
    choice = {"choice": "resubmission", "reason": "Penawaran dimasukkan ulang dengan kunci baru."}
    _refused(api.call("POST", path, json=choice, token=vendor_token), 403, "permission.denied")
    member = api.token_for(sealed.members[1])
    _refused(
        api.call("POST", path, json={**choice, "choice": "continue"}, token=member),
        422,
        "outage.choice_invalid",
        "choice",
    )
    _refused(
        api.call("POST", path, json={**choice, "reason": "ya"}, token=member),
        422,
        "outage.decision_reason_required",
        "reason",
    )
    decided = api.call("POST", path, json=choice, token=member)
    assert decided.status_code == 200, decided.content
    assert decided.json()["choice"] == "resubmission"
    _refused(api.call("POST", path, json=choice, token=member), 409, "outage.decision_already_made")
    event = AuditEvent.objects.get(action="outage.decided")
    assert (
        event.payload["choice"] == "resubmission"
        and event.actor == f"user:{sealed.members[1].username}"
    )
    public = api.call("GET", f"/outages/decisions?tender={tender.code}").json()
    assert public[0]["reason"] == choice["reason"]


def test_an_outage_recorded_too_late_for_an_extension_asks_the_pokja(api, org, clock):
    tender = make_tender(org)
    bid = _bid_stage(tender)
    clock.move(timedelta(days=30))
    call_command(
        "outage",
        "declare",
        "--start",
        (bid.end - timedelta(hours=6)).isoformat(),
        "--end",
        (bid.end - timedelta(hours=2)).isoformat(),
        "--reason",
        "Gangguan listrik yang baru dilaporkan kemudian",
        stdout=StringIO(),
    )
    assert _bid_stage(tender).end == bid.end
    decision = OutageDecision.objects.get()
    assert decision.code == "outage.extension_too_late"
    # Recomputing changes nothing and asks nothing again.
    tender_outage_extend(tender=tender, outages=outages_counting(), now=clock_module.now())
    assert OutageDecision.objects.count() == 1
    assert not ScheduleChange.objects.filter(tender=tender).exists()


# --- tangguh serve: one heartbeat sibling, gone with the server --------------------------------


def _children(pid: int) -> list[tuple[int, str]]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append((int(entry.name), cmdline))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait(predicate, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.argon2
def test_serve_beats_before_serving_from_one_sibling_that_dies_with_it(tmp_path):
    env = _server_env(tmp_path)
    env["TANGGUH_HEARTBEAT_SECONDS"] = "1"
    port = _free_port()
    server = _start_server(env, port)
    try:
        beats = [c for c in _children(server.pid) if "heartbeat" in c[1] and "--loop" in c[1]]
        assert len(beats) == 1, _children(server.pid)
        [(beat_pid, _)] = beats
        database = tmp_path / "data" / "tangguh.sqlite3"
        query = "SELECT beat_at FROM outages_heartbeat WHERE id = 1"
        first = subprocess.run(
            ["sqlite3", str(database), query], capture_output=True, text=True, check=True
        ).stdout.strip()
        assert first, "serve beat before serving"
        assert _wait(
            lambda: (
                subprocess.run(
                    ["sqlite3", str(database), query], capture_output=True, text=True, check=True
                ).stdout.strip()
                != first
            )
        ), "the sibling keeps beating"
        # SIGKILL of the server alone: the sibling notices its parent is gone and stops.
        os.kill(server.pid, signal.SIGKILL)
        assert _wait(lambda: not _alive(beat_pid), 10), "the heartbeat outlived the server"
    finally:
        _kill(server)


# --- the external probe -------------------------------------------------------------------------


def _probe_key(tmp_path, api, tokens, name="probe-jakarta"):
    key, created = probe_client.load_or_create_key(tmp_path / "probe.pem")
    assert created and oct((tmp_path / "probe.pem").stat().st_mode & 0o777) == "0o600"
    response = api.call(
        "POST",
        "/outages/probe-keys",
        json={"name": name, "public_key": probe_client.public_key_text(key)},
        token=tokens[Role.ADMIN],
    )
    assert response.status_code == 201, response.content
    return key


def _check(moment, ok: bool) -> dict:
    return {
        "at": moment.isoformat(),
        "ok": ok,
        "targets": [
            {"url": "x", "status": 200 if ok else None, "error": None if ok else "timeout", "ms": 5}
        ],
    }


def test_a_probe_that_could_not_reach_the_node_records_an_outage_that_extends(
    api, org, tokens, clock, tmp_path
):
    tender = _announced_with_participant(api, org, tokens)
    deadline = _bid_stage(tender).end
    key = _probe_key(tmp_path, api, tokens)
    down_from = deadline - timedelta(hours=20)
    checks = [_check(down_from - timedelta(minutes=1), True)]
    checks += [_check(down_from + timedelta(minutes=m), False) for m in range(0, 600, 10)]
    back = down_from + timedelta(minutes=600)
    checks.append(_check(back, True))
    clock.set(back + timedelta(minutes=1))
    token = probe_client.sign_report(key, "probe-jakarta", "https://lpse.example", checks)

    response = api.call("POST", "/outages/probe-reports", json={"report": token})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["accepted_checks"] == len(checks)
    [outage] = body["outages"]
    assert outage["source"] == "probe" and outage["probe"] == "probe-jakarta"
    assert outage["start"].startswith((down_from - timedelta(minutes=1)).isoformat()[:16])
    assert [e["tender"] for e in body["extended"]] == [tender.code]
    assert _bid_stage(tender).end > deadline
    assert AuditEvent.objects.filter(action="probe.reported_down").count() == 1

    # The same report again (or its file imported later) changes nothing.
    again = api.call("POST", "/outages/probe-reports", json={"report": token}).json()
    assert again == {"accepted_checks": 0, "outages": [], "extended": []}
    lines = tmp_path / "probe-reports.jsonl"
    lines.write_text(token + "\n")
    out = StringIO()
    call_command("outage", "import", str(lines), stdout=out)
    assert "OK: 0 new checks, 0 outages" in out.getvalue()
    assert Outage.objects.count() == 1


def test_probe_reports_that_do_not_verify_are_refused(api, org, tokens, clock, tmp_path):
    key = _probe_key(tmp_path, api, tokens)
    now = clock_module.now()
    good = probe_client.sign_report(key, "probe-jakarta", "n", [_check(now, True)])
    head, payload, signature = good.split(".")
    forged = ".".join(
        [head, payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB"), signature]
    )
    _refused(
        api.call("POST", "/outages/probe-reports", json={"report": forged}),
        401,
        "probe.report_unverified",
    )
    stranger, _ = probe_client.load_or_create_key(tmp_path / "other.pem")
    unknown = probe_client.sign_report(stranger, "probe-lain", "n", [_check(now, True)])
    _refused(
        api.call("POST", "/outages/probe-reports", json={"report": unknown}),
        401,
        "probe.report_unverified",
    )
    other_name = probe_client.sign_report(stranger, "probe-jakarta", "n", [_check(now, True)])
    _refused(
        api.call("POST", "/outages/probe-reports", json={"report": other_name}),
        401,
        "probe.report_unverified",
    )
    future = probe_client.sign_report(
        key, "probe-jakarta", "n", [_check(now + timedelta(hours=1), True)]
    )
    _refused(
        api.call("POST", "/outages/probe-reports", json={"report": future}),
        422,
        "probe.report_from_future",
    )
    assert ProbeCheck.objects.count() == 0
    _refused(
        api.call(
            "POST",
            "/outages/probe-keys",
            json={"name": "x", "public_key": "abc"},
            token=tokens[Role.ADMIN],
        ),
        422,
        "probe.key_invalid",
        "public_key",
    )
    _refused(
        api.call(
            "POST",
            "/outages/probe-keys",
            json={"name": "p", "public_key": probe_client.public_key_text(key)},
            token=tokens[Role.VENDOR],
        ),
        403,
        "permission.denied",
    )


@pytest.mark.django_db(transaction=True)
def test_the_probe_checks_a_live_node_and_posts_its_signed_report(
    live_server, org, clock, tmp_path
):
    from tangguh.outages.services.probes import probe_key_register_unchecked

    clock.set(datetime.now(UTC))  # the probe reads its own host's clock

    key, _ = probe_client.load_or_create_key(tmp_path / "probe.pem")
    probe_key_register_unchecked(
        actor="test", name="probe-live", public_key=probe_client.public_key_text(key)
    )
    out = StringIO()
    call_command(
        "probe",
        live_server.url,
        "--key",
        str(tmp_path / "probe.pem"),
        "--name",
        "probe-live",
        "--count",
        "1",
        "--out",
        str(tmp_path / "reports.jsonl"),
        stdout=out,
    )
    assert " ok" in out.getvalue() and "not delivered" not in out.getvalue()
    [check] = ProbeCheck.objects.all()
    assert check.ok and [t["status"] for t in check.detail["targets"]] == [200, 200]
    assert len((tmp_path / "reports.jsonl").read_text().splitlines()) == 1
