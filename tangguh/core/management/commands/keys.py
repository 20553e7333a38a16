"""``tangguh keys show|rotate``: the node's signing keys (JWKS) and their rotation."""

import json

from django.core.management.base import BaseCommand, CommandError

from tangguh.audit.services import audit_append
from tangguh.core.keys import node_keyring
from tangguh.sealing import cli as sealing_cli
from tangguh.sealing.files import SealingFailure


class Command(BaseCommand):
    help = (
        "Keys. 'show' prints the node's JWKS; 'rotate' makes a new active signing key; "
        "'deal' and 'combine' split and rebuild a tender's sealing key (docs/sealing.md)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("show")
        sub.add_parser("rotate")
        sealing_cli.add_keys_subcommands(sub)

    def handle(self, *args, **options):
        if options["action"] in sealing_cli.KEYS_ACTIONS:
            try:
                sealing_cli.run_keys(options, self.stdout)
            except (SealingFailure, OSError) as exc:
                raise CommandError(str(exc)) from exc
            return
        keyring = node_keyring()
        if options["action"] == "rotate":
            old = keyring.ensure()
            new = keyring.rotate()
            audit_append(
                actor="cli",
                action="node.key_rotated",
                object_type="node_key",
                object_id=new,
                payload={"retired": old},
            )
            self.stdout.write(f"active key {new}; {old} retired (still in the JWKS)")
            return
        self.stdout.write(json.dumps(keyring.jwks(), indent=1))
