"""SQLite writers take turns (tangguh/core/writer_turn.py): across threads and processes, the
next writer starts as soon as the previous one is done; on PostgreSQL nothing is held."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest
from django.db import connection, connections

from tangguh.core.writer_turn import writer_turn

pytestmark = pytest.mark.django_db(transaction=True)

HOLD_S = 0.4


def _lock_path() -> str:
    return f"{connection.settings_dict['NAME']}.writer-lock"


def test_a_second_thread_waits_for_the_turn_then_follows_at_once():
    held, released, acquired = threading.Event(), [], []

    def first() -> None:
        try:
            with writer_turn():
                held.set()
                time.sleep(HOLD_S)
                released.append(time.monotonic())
        finally:
            connections.close_all()

    def second() -> None:
        try:
            held.wait(5)
            with writer_turn():
                acquired.append(time.monotonic())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    if connection.vendor == "sqlite":
        # not before the first let go, and without SQLite's sleeping back-off after it
        assert acquired[0] >= released[0]
        assert acquired[0] - released[0] < 0.2  # (a loaded CI machine may delay a wake-up)
    else:
        assert acquired[0] - started < HOLD_S / 2  # PostgreSQL queues its own waiters
        assert not os.path.exists(_lock_path())


HOLDER = r"""
import json, sys, time
import django
django.setup()
from tangguh.core.writer_turn import writer_turn
with writer_turn():
    print(json.dumps({"acquired": time.time()}), flush=True)
    time.sleep(float(sys.argv[1]))
    released = time.time()
print(json.dumps({"released": released}), flush=True)
"""


def test_another_process_of_the_node_waits_its_turn(tmp_path):
    sqlite = connection.vendor == "sqlite"
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="tangguh.settings",
        TANGGUH_ENV="sandbox",
        TANGGUH_DATA_DIR=str(tmp_path),
    )
    if sqlite:  # the same database file as this test's
        env["DATABASE_URL"] = f"sqlite:///{connection.settings_dict['NAME']}"
    other = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(HOLD_S)], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        json.loads(other.stdout.readline())  # the other process holds the turn now
        with writer_turn():
            mine = time.time()
        released = json.loads(other.stdout.readline())["released"]
    finally:
        other.wait(10)
    if sqlite:
        assert mine >= released
        assert mine - released < 0.3
    else:
        assert mine < released  # nothing to wait for on PostgreSQL
