"""Serving beside a heartbeat, shared by ``tangguh serve`` and ``tangguh demo``.

Before serving, one heartbeat examines the silence since the last one: a restart after a long
stop records the outage and extends affected deadlines before anyone can act on the old ones.
While serving, a sibling process beats every ``TANGGUH_HEARTBEAT_SECONDS``
(``tangguh heartbeat --loop --parent``): one per node process, never one per granian worker,
and it stops when the serving process is gone so that an orphan can never beat for a dead
server. The demo is a node like any other: without the beat its status page would show it as
down and a restart after a pause would go unrecorded.

With ``TANGGUH_UPLOAD_ADDR`` set, a second sibling serves the upload routes on that address
(``tangguh receive``, tangguh/core/receiver.py), stopped the same way.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TextIO

from django.core.management import call_command
from django.db import connections

from tangguh.core.serving import serve


def start_heartbeat() -> subprocess.Popen:
    """The beating sibling: the same ``tangguh`` command and environment, watching our pid."""
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
        [
            sys.executable,
            "-m",
            "tangguh",
            "heartbeat",
            "--loop",
            "--parent",
            str(os.getpid()),
        ],
        stdin=subprocess.DEVNULL,
    )


def start_receiver(addr: str) -> subprocess.Popen:
    """The upload receiver beside granian (``tangguh receive``), watching our pid."""
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
        [sys.executable, "-m", "tangguh", "receive", "--addr", addr, "--parent", str(os.getpid())],
        stdin=subprocess.DEVNULL,
    )


def stop_sibling(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def serve_with_heartbeat(
    host: str, port: int, *, workers: int = 1, stdout: TextIO | None = None
) -> None:
    """Beat once (marking the start), then serve with the beating sibling until serving ends."""
    call_command("heartbeat", startup=True, stdout=stdout)
    # The workers are forked from this process: they must not inherit its connection.
    connections.close_all()
    beating = start_heartbeat()
    upload_addr = os.environ.get("TANGGUH_UPLOAD_ADDR", "").strip()
    count = int(os.environ.get("TANGGUH_UPLOAD_WORKERS", "2")) if upload_addr else 0
    receiving = [start_receiver(upload_addr) for _ in range(count)]
    try:
        serve(host, port, workers=workers)
    finally:
        for process in receiving:
            stop_sibling(process)
        stop_sibling(beating)
