"""`tangguh demo`: the Mimika sandbox node, idempotent, served on 127.0.0.1; `tangguh audit
verify` on it, before and after one audit row is altered with the sqlite3 shell."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tangguh.accounts.models import RoleAssignment, User
from tangguh.audit.selectors import audit_head, audit_verify
from tangguh.organizations.models import Committee, WorkUnit
from tangguh.vendors.models import VendorCompany

TANGGUH = [sys.executable, "-m", "tangguh"]


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "TANGGUH_DATA_DIR", "TANGGUH_ENV", "TANGGUH_CLOCK"}
    }
    env.update(extra)
    return env


def _run(args: list[str], data_dir: Path, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        TANGGUH + args,
        env=_env(data_dir, **extra),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=data_dir.parent,
    )


@pytest.mark.django_db
def test_demo_loads_mimika_once_and_a_second_run_changes_nothing():
    from tangguh.demo.services import demo_ensure

    loaded, logins = demo_ensure()
    assert loaded
    counts = (
        User.objects.count(),
        RoleAssignment.objects.count(),
        VendorCompany.objects.count(),
        WorkUnit.objects.count(),
    )
    head = audit_head()
    assert WorkUnit.objects.filter(name="RSUD Mimika").exists()
    assert VendorCompany.objects.count() == 12
    from tangguh.planning.models import Package
    from tangguh.tenders.models import Tender

    assert Package.objects.filter(committee__isnull=True).exists()  # waiting in the backlog
    assert Tender.objects.filter(announced_at__isnull=False).count() >= 4
    assert Tender.objects.filter(cancelled_at__isnull=False).count() == 1
    assert Committee.objects.count() == 2
    for committee in Committee.objects.all():
        assert RoleAssignment.objects.filter(scope=f"committee:{committee.pk}").count() == 3
    roles = {entry["role"] for entry in logins}
    assert roles == {
        "admin",
        "verifier",
        "auditor",
        "procurement_unit_head",
        "commitment_officer",
        "budget_user",
        "procurement_official",
        "committee_member",
        "vendor",
    }
    for entry in logins:
        needs_totp = entry["role"] in {"admin", "committee_member"}
        assert bool(entry["totp_secret"]) == needs_totp, entry["username"]
        assert User.objects.get(username=entry["username"]).check_password(entry["password"])
        assert "key_identity" not in entry  # members get a sealed key kit, not a raw identity
        assert bool(entry.get("key_kit")) == (entry["role"] == "committee_member")
    _check_key_kits(logins)
    _check_outage_extension()

    again, logins_again = demo_ensure()
    assert not again
    assert logins_again == logins
    assert counts == (
        User.objects.count(),
        RoleAssignment.objects.count(),
        VendorCompany.objects.count(),
        WorkUnit.objects.count(),
    )
    assert audit_head() == head
    assert audit_verify().ok


def _check_outage_extension() -> None:
    """The demo's history holds a node outage across one tender's bid deadline, declared by
    the administrator through the real outage services: that tender was extended by the
    policy, publicly, with the reason, and /status and the tender page show it."""
    from django.test import Client

    from tangguh.demo.tenders import OUTAGE_AFTER, OUTAGE_BEFORE, OUTAGE_REASON
    from tangguh.outages.models import Outage, OutageExtension
    from tangguh.tenders.models import ScheduleChange

    outage = Outage.objects.get()
    assert (outage.source, outage.scope, outage.reason) == ("declared", "node", OUTAGE_REASON)
    assert outage.declared_by.username == "admin" and outage.applied_at is not None
    title = "Pembangunan Saluran Drainase Primer Jalan Hasanuddin"
    extension = OutageExtension.objects.get(tender__title=title)
    tender = extension.tender
    change = ScheduleChange.objects.get(cause="outage", tender=tender)
    assert extension.schedule_change == change and extension.outage_ids == [outage.pk]
    assert f"#{outage.pk}" in change.reason and "Perka LKPP 1/2015" in change.reason
    bid = next(row for row in change.diff if row["stage"] == "bid_submission")
    old_end, new_end = (datetime.fromisoformat(bid[k][1]) for k in ("before", "after"))
    assert (outage.start, outage.end) == (old_end - OUTAGE_BEFORE, old_end + OUTAGE_AFTER)
    # 20 hours lost round up to a day, then a full working day after service returned.
    assert new_end - old_end >= timedelta(days=1) and new_end > outage.end
    assert tender.stages.get(kind="bid_submission").end == new_end
    status = Client().get("/status").content.decode()
    assert f'data-outage="{outage.pk}"' in status and f'href="/tender/{tender.code}/"' in status
    page = Client().get(f"/tender/{tender.code}/").content.decode()
    assert "Perpanjangan otomatis karena gangguan layanan" in page
    assert audit_verify().ok


def _check_key_kits(logins: list[dict]) -> None:
    """Each demo Pokja member's kit is an age scrypt file at work factor 2^18 under the data
    directory that opens with the printed passphrase to the member's enrolled key; every
    announced demo tender's shares were dealt to those keys and checked by their holders."""
    import pyrage

    from tangguh.bids.models import KeyShare, MemberKey, SealingKey
    from tangguh.demo.services import _kits_dir
    from tangguh.domain.sealing.keys import recipient_from_identity
    from tangguh.domain.sealing.kit import dearmor, identity_from_plaintext, scrypt_work_factor
    from tangguh.tenders.models import Tender

    members = [e for e in logins if e["role"] == "committee_member"]
    assert len(members) == 6
    for entry in members:
        kit = Path(entry["key_kit"])
        assert kit.parent == _kits_dir() and oct(kit.stat().st_mode & 0o777) == "0o600"
        sealed = dearmor(kit.read_text())
        assert scrypt_work_factor(sealed) == 18
        identity = identity_from_plaintext(
            pyrage.passphrase.decrypt(sealed, entry["key_passphrase"])
        )
        user = User.objects.get(username=entry["username"])
        current = MemberKey.objects.get(user=user, retired_at__isnull=True)
        assert recipient_from_identity(identity) == current.recipient
    announced = Tender.objects.filter(announced_at__isnull=False)
    assert SealingKey.objects.filter(tender__in=announced).values("tender").distinct().count() == (
        announced.count()
    )
    shares = KeyShare.objects.filter(sealing_key__tender__in=announced)
    assert shares.exists() and not shares.filter(checked_at__isnull=True).exists()


def test_demo_cli_is_idempotent_and_its_audit_chain_detects_a_row_altered_in_sqlite3(tmp_path):
    data = tmp_path / "var"
    first = _run(["demo", "--data", str(data), "--no-serve", "--json"], data)
    assert first.returncode == 0, first.stderr
    body = json.loads(first.stdout)
    assert body["node"] == "LPSE Kabupaten Mimika" and body["env"] == "sandbox"
    assert body["loaded_now"] is True
    assert len([e for e in body["logins"] if e["role"] == "vendor"]) == 12
    phases = {t["phase"] for t in body["tenders"]}
    assert {"draft", "announced", "bidding", "awaiting_opening", "cancelled"} <= phases

    kit = next(e for e in body["logins"] if e["role"] == "committee_member")
    assert kit["key_kit"].startswith(str(data)) and Path(kit["key_kit"]).exists()
    assert len(kit["key_passphrase"].split("-")) == 7
    text = _run(["demo", "--data", str(data), "--no-serve"], data)
    assert text.returncode == 0, text.stderr
    assert f"{kit['key_kit']}  passphrase {kit['key_passphrase']}" in text.stdout

    second = _run(["demo", "--data", str(data), "--no-serve", "--json"], data)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["loaded_now"] is False
    assert json.loads(second.stdout)["logins"] == body["logins"]

    ok = _run(["audit", "verify"], data, TANGGUH_DATA_DIR=str(data))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK: ")
    count = int(ok.stdout.split()[1])
    assert count > 50

    # An operator with shell access alters one payload; the triggers must be dropped first.
    database = data / "tangguh.sqlite3"
    tamper = (
        "DROP TRIGGER audit_event_no_update;"
        'UPDATE audit_auditevent SET payload = \'{"reason": "forged"}\' WHERE seq = 7;'
    )
    shell = subprocess.run(
        ["sqlite3", str(database), tamper], capture_output=True, text=True, timeout=60
    )
    assert shell.returncode == 0, shell.stderr

    broken = _run(["audit", "verify"], data, TANGGUH_DATA_DIR=str(data))
    assert broken.returncode == 1
    assert "event #7" in broken.stderr
    assert "altered" in broken.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_serves_an_indonesian_page_naming_lpse_kabupaten_mimika(tmp_path):
    data = tmp_path / "var"
    port = _free_port()
    proc = subprocess.Popen(
        [*TANGGUH, "demo", "--data", str(data), "--addr", f"127.0.0.1:{port}"],
        env=_env(data),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 120
        page = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    page = r.read().decode()
                    break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.5)
        assert page is not None, proc.stdout.read().decode() if proc.poll() is not None else ""
        assert "LPSE Kabupaten Mimika" in page
        assert 'lang="id"' in page and "Beranda" in page and "Masuk" in page
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
            assert json.loads(r.read())["status"] == "ok"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_production_node_refuses_a_shifted_clock_at_start(tmp_path):
    result = _run(
        ["check"],
        tmp_path,
        TANGGUH_DATA_DIR=str(tmp_path),
        TANGGUH_CLOCK="2024-06-20T10:00:00+09:00",
    )
    assert result.returncode != 0
    assert "TANGGUH_CLOCK" in result.stderr


def test_a_sandbox_node_runs_on_the_shifted_clock(tmp_path):
    script = "from tangguh import clock; print(clock.now().isoformat())"
    result = _run(
        ["shell", "-c", script],
        tmp_path,
        TANGGUH_DATA_DIR=str(tmp_path),
        TANGGUH_ENV="sandbox",
        TANGGUH_CLOCK="2024-06-20T10:00:00+09:00",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("2024-06-20T01:00:")
