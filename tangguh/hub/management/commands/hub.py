"""``tangguh hub push|pull|status|trust``: the national services from the shell (cron).

``push`` delivers the outbox, ``pull`` refreshes the local copies; both exit 0 when a service
is down (that is what the outbox and the copies are for) and print what is waiting, so a cron
job stays quiet until someone looks. ``trust import FILE`` adds other nodes' keys, ``trust
export`` prints this node's entry for them, ``trust revoke NAME KID`` withdraws one key. The
operator of the node's shell already holds the node, so these run without a login and are
audited as ``cli``.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tangguh.core.errors import ServiceError
from tangguh.hub.selectors import hub_status
from tangguh.hub.services.outbox import outbox_push
from tangguh.hub.services.pull import hub_pull
from tangguh.hub.services.trust import (
    MAX_TRUST_BYTES,
    trust_entry_own,
    trust_import_unchecked,
    trust_parse,
    trust_revoke_unchecked,
)


class Command(BaseCommand):
    help = (
        "National services. 'push' delivers the outbox with retries; 'pull' refreshes the local "
        "copies (blacklist, vendor registry, RUP, trust list); 'status' shows both; 'trust "
        "import FILE | export | revoke NAME KID' manages the other nodes' keys."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("push", help="deliver the messages that are due")
        sub.add_parser("pull", help="refresh the local copies")
        status = sub.add_parser("status", help="services and outbox")
        status.add_argument("--json", action="store_true")
        trust = sub.add_parser("trust", help="the trust list of node keys")
        trust_sub = trust.add_subparsers(dest="trust_action", required=True)
        imported = trust_sub.add_parser("import", help="add or update nodes from a file")
        imported.add_argument("file")
        trust_sub.add_parser("export", help="print this node's entry (name and JWKS)")
        revoke = trust_sub.add_parser("revoke", help="stop trusting one key of a node")
        revoke.add_argument("name")
        revoke.add_argument("kid")

    def handle(self, *args, **options):
        try:
            getattr(self, "_" + options["action"])(options)
        except ServiceError as exc:
            field = f" [{exc.field}]" if exc.field else ""
            raise CommandError(f"{exc.code}{field}: {exc.message_en}") from exc

    def _push(self, options):
        report = outbox_push()
        self.stdout.write(
            f"delivered {report.delivered}, failed {report.failed}, waiting {report.waiting}"
        )
        for error in report.errors:
            self.stdout.write(f"  {error}")

    def _pull(self, options):
        report = hub_pull()
        for service, result in report.results.items():
            self.stdout.write(f"{service}: {result}")

    def _status(self, options):
        status = hub_status()
        if options["json"]:
            self.stdout.write(json.dumps(status, default=str, indent=2))
            return
        for row in status["services"]:
            state = "connected" if row["connected"] else "not connected"
            error = f" — {row['last_error']}" if row["last_error"] else ""
            self.stdout.write(f"{row['service']}: {state}, last ok {row['last_ok_at']}{error}")
        for row in status["outbox"]:
            self.stdout.write(
                f"outbox {row['kind']}: {row['waiting']} waiting, {row['delivered']} delivered"
            )

    def _trust(self, options):
        action = options["trust_action"]
        if action == "export":
            self.stdout.write(json.dumps({"nodes": [trust_entry_own()]}, indent=2))
            return
        if action == "revoke":
            trust_revoke_unchecked(actor="cli", name=options["name"], kid=options["kid"])
            self.stdout.write(f"revoked {options['kid']} of {options['name']}")
            return
        path = Path(options["file"])
        try:
            if path.stat().st_size > MAX_TRUST_BYTES:
                raise CommandError("trust.invalid: the file is larger than 5 MB")
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"trust.file_unreadable: {exc}") from exc
        result = trust_import_unchecked(actor="cli", entries=trust_parse(data), source="file")
        self.stdout.write(
            f"added {len(result['added'])}, updated {len(result['updated'])}: "
            + ", ".join(result["added"] + result["updated"])
        )
