"""``tangguh serve``: serve with the settings of the environment (production by default).

Before serving, one heartbeat examines the silence since the last one; while serving, a
sibling process beats every minute and stops with this process (``tangguh.core.
heartbeat_process``, which ``tangguh demo`` runs too).
"""

import os

from django.core.management import call_command
from django.core.management.base import BaseCommand

from tangguh.core.heartbeat_process import serve_with_heartbeat
from tangguh.core.keys import node_keyring
from tangguh.core.serving import parse_addr
from tangguh.organizations.services import node_ensure


class Command(BaseCommand):
    help = (
        "Apply migrations, make sure the node key exists, detect an outage since the last "
        "heartbeat, and serve (granian, WSGI) with a heartbeat every minute."
    )

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("TANGGUH_WORKERS", "1"))
        )

    def handle(self, *args, **options):
        host, port = parse_addr(options["addr"])
        call_command("migrate", interactive=False, verbosity=0)
        node_keyring().ensure()
        node_ensure()
        serve_with_heartbeat(host, port, workers=options["workers"], stdout=self.stdout)
