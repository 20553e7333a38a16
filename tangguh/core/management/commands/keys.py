"""``tangguh keys show|rotate``: the node's signing keys (JWKS) and their rotation."""

import json

from django.core.management.base import BaseCommand

from tangguh.audit.services import audit_append
from tangguh.core.keys import node_keyring


class Command(BaseCommand):
    help = "Node signing keys: 'show' prints the JWKS; 'rotate' makes a new active key."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("show")
        sub.add_parser("rotate")

    def handle(self, *args, **options):
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
