"""``tangguh demo``: create or upgrade a sandbox node, load the Mimika demo, print logins, serve.

``tangguh.__main__`` has already made this process a sandbox (TANGGUH_ENV=sandbox) and set
the data directory from ``--data`` before settings were read. It serves exactly as ``tangguh
serve`` does, heartbeat included (``tangguh.core.heartbeat_process``): the sibling inherits
this process's environment, so it beats into the same sandbox data.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from tangguh.core.heartbeat_process import serve_with_heartbeat
from tangguh.core.keys import node_keyring
from tangguh.core.serving import parse_addr
from tangguh.demo.services import demo_ensure, demo_tenders


class Command(BaseCommand):
    help = "Create or upgrade the embedded sandbox node, load demo data when empty, and serve."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="HOST:PORT to serve on")
        parser.add_argument("--data", default=None, help="data directory (default ./var)")
        parser.add_argument("--no-serve", action="store_true", help="load, print, and exit")
        parser.add_argument("--json", action="store_true", help="print logins as JSON")

    def handle(self, *args, **options):
        if settings.TANGGUH_ENV != "sandbox":
            # Reached only if someone calls the command without the console script.
            self.stderr.write("tangguh demo runs only as a sandbox (TANGGUH_ENV=sandbox).")
            raise SystemExit(2)
        host, port = parse_addr(options["addr"])
        call_command("migrate", interactive=False, verbosity=0)
        node_keyring().ensure()
        loaded, logins = demo_ensure()
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "node": "LPSE Kabupaten Mimika",
                        "env": "sandbox",
                        "url": f"http://{host}:{port}/",
                        "data_dir": str(settings.TANGGUH_DATA_DIR),
                        "loaded_now": loaded,
                        "logins": logins,
                        "tenders": demo_tenders(),
                    },
                    ensure_ascii=False,
                    indent=1,
                )
            )
        else:
            self.stdout.write(
                f"LPSE Kabupaten Mimika (sandbox) — data in {settings.TANGGUH_DATA_DIR}"
                + (" — demo data loaded" if loaded else " — existing demo data kept")
            )
            self.stdout.write(f"{'role':24} {'username':22} {'password':20} totp secret")
            for entry in logins:
                self.stdout.write(
                    f"{entry['role']:24} {entry['username']:22} {entry['password']:20} "
                    f"{entry.get('totp_secret') or '-'}"
                )
            kits = [e for e in logins if e.get("key_kit")]
            if kits:
                self.stdout.write(
                    "Pokja key kits (sandbox only: a real member's passphrase is never stored):"
                )
            for entry in kits:
                self.stdout.write(
                    f"  {entry['username']:22} {entry['key_kit']}  passphrase "
                    f"{entry['key_passphrase']}"
                )
            for tender in demo_tenders():
                self.stdout.write(
                    f"tender {tender['code']}  {tender['phase']:18} {tender['title']}"
                )
        if options["no_serve"]:
            return
        self.stdout.write(f"Serving on http://{host}:{port}/ (Ctrl+C to stop)")
        self.stdout.flush()
        serve_with_heartbeat(host, port, stdout=self.stdout)
