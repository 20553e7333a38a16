"""``tangguh serve``: serve with the settings of the environment (production by default).

Before serving, one heartbeat examines the silence since the last one: a restart after a long
stop records the outage and extends affected deadlines before anyone can act on the old ones.
While serving, a sibling process beats every minute (``tangguh heartbeat --loop --parent``):
one per node process, never one per granian worker, and it stops when this process is gone so
that an orphan can never beat for a dead server.
"""

import os
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections

from tangguh.core.keys import node_keyring
from tangguh.core.serving import parse_addr, serve
from tangguh.organizations.services import node_ensure


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


def stop_heartbeat(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Command(BaseCommand):
    help = (
        "Apply migrations, make sure the node key exists, detect an outage since the last "
        "heartbeat, and serve (granian, WSGI) with a heartbeat every minute."
    )

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=1)

    def handle(self, *args, **options):
        host, port = parse_addr(options["addr"])
        call_command("migrate", interactive=False, verbosity=0)
        node_keyring().ensure()
        node_ensure()
        call_command("heartbeat", startup=True, stdout=self.stdout)
        # The workers are forked from this process: they must not inherit its connection.
        connections.close_all()
        beating = start_heartbeat()
        try:
            serve(host, port, workers=options["workers"])
        finally:
            stop_heartbeat(beating)
