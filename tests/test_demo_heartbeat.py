"""``tangguh demo`` (the README's ``make demo``) serves as ``tangguh serve`` does: one beat
before serving, then one heartbeat sibling that beats into the sandbox's own database while
the demo serves and stops with it (``tangguh.core.heartbeat_process``, shared by both).

The node is one the demo has already loaded (the second ``make demo``: "running it again keeps
the data"), so the test spends its time on serving rather than on the half-minute load, which
tests/test_demo.py covers; the demo recognises a loaded node by its agency, created here
through the ORM in the same sandbox environment the demo runs in."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.test_demo import TANGGUH, _env, _free_port
from tests.test_outages import _alive, _children, _wait

SEED = (
    "from django.core.management import call_command\n"
    "from tangguh.demo import data\n"
    "from tangguh.organizations.models import Agency\n"
    "call_command('migrate', interactive=False, verbosity=0)\n"
    "Agency.objects.create(name=data.AGENCY[0], code=data.AGENCY[1])\n"
)


def _heartbeat(database: Path) -> tuple[str, str, int] | None:
    """(beat_at, started_at, pid) of the node's heartbeat row, read with the sqlite3 shell."""
    out = subprocess.run(
        ["sqlite3", str(database), "SELECT beat_at, started_at, pid FROM outages_heartbeat"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.strip()
    if not out:
        return None
    beat_at, started_at, pid = out.split("|")
    return beat_at, started_at, int(pid)


def _listening(port: int, demo: subprocess.Popen, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                return json.loads(r.read())["status"] == "ok"
        except OSError:
            if demo.poll() is not None:
                return False
            time.sleep(0.2)
    return False


def test_the_demo_beats_from_one_sibling_while_it_serves_and_stops_it_after(tmp_path):
    data = tmp_path / "var"
    env = _env(data, TANGGUH_HEARTBEAT_SECONDS="1")
    seeded = subprocess.run(
        [*TANGGUH, "shell", "-c", SEED],
        env={**env, "TANGGUH_ENV": "sandbox", "TANGGUH_DATA_DIR": str(data)},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert seeded.returncode == 0, seeded.stderr
    database = data / "tangguh.sqlite3"
    assert _heartbeat(database) is None  # nothing has beaten on this node yet

    port = _free_port()
    log = tmp_path / "demo.log"
    with open(log, "wb") as out:
        demo = subprocess.Popen(
            [*TANGGUH, "demo", "--data", str(data), "--addr", f"127.0.0.1:{port}"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
            start_new_session=True,  # its own process group: the cleanup reaches every worker
        )
    try:
        assert _listening(port, demo), log.read_text()
        assert "existing demo data kept" in log.read_text()

        # The beat before serving: the row exists, its start marked, by the time pages answer.
        first = _heartbeat(database)
        assert first is not None, log.read_text()
        assert first[1] == first[0] and first[2] == demo.pid  # the demo's own startup beat

        # One sibling, watching the demo's own pid, and it is the one that keeps beating.
        beats = [c for c in _children(demo.pid) if "heartbeat" in c[1] and "--loop" in c[1]]
        assert len(beats) == 1, _children(demo.pid)
        [(beat_pid, cmdline)] = beats
        assert f"--parent {demo.pid}" in cmdline
        assert _wait(lambda: (_heartbeat(database) or first)[0] != first[0]), "no second beat"
        assert _wait(lambda: (_heartbeat(database) or first)[2] == beat_pid), "sibling beats"
        later = _heartbeat(database)
        assert later[0] > first[0] and later[1] == first[1]  # a beat, not another start

        # Ctrl+C / SIGTERM to the demo alone: it stops serving and stops its sibling.
        os.kill(demo.pid, signal.SIGTERM)
        demo.wait(timeout=30)
        assert _wait(lambda: not _alive(beat_pid), 15), "the heartbeat outlived the demo"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(demo.pid, signal.SIGKILL)
        demo.wait(timeout=10)
