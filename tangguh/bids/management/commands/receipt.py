"""``tangguh receipt verify FILE [--jwks FILE_OR_URL]``: check a bid receipt offline.

FILE holds the compact JWS (``-`` reads standard input). The JWS is checked against the JWKS
in ``--jwks`` (a JWKS file, the JSON of ``GET /api/v1/node``, or a URL serving either) or, by
default, this node's own keys. Exit 0 and print what the receipt proves; exit 1 with the reason.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tangguh.bids.selectors import envelope_named_by_receipt, envelope_status
from tangguh.bids.services.receipts import ReceiptError, describe_receipt, verify_receipt
from tangguh.core.keys import node_keyring


def _load_jwks(source: str) -> dict:
    if source.startswith(("https://", "http://")):
        with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310 - http(s) only
            data = json.loads(response.read(1_000_000))
    else:
        data = json.loads(Path(source).read_text())
    if isinstance(data, dict) and isinstance(data.get("jwks"), dict):
        data = data["jwks"]  # the node document of GET /api/v1/node
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ValueError("not a JWKS (expected an object with a 'keys' list)")
    return data


class Command(BaseCommand):
    help = "Verify a bid receipt (JWS) against the node's JWKS."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])
        parser.add_argument("file", help="the receipt file ('-' for standard input)")
        parser.add_argument("--jwks", help="JWKS file or URL (default: this node's keys)")

    def handle(self, *args, **options):
        try:
            token = (
                sys.stdin.read() if options["file"] == "-" else Path(options["file"]).read_text()
            )
        except OSError as exc:
            raise CommandError(f"[receipt.unreadable] {exc}") from exc
        local = not options["jwks"]
        try:
            jwks = node_keyring().jwks() if local else _load_jwks(options["jwks"])
        except (OSError, ValueError) as exc:
            raise CommandError(f"[receipt.jwks_unavailable] {exc}") from exc
        try:
            verified = verify_receipt(token, jwks)
        except ReceiptError as error:
            raise CommandError(f"[{error.code}] NOT GENUINE: {error.detail}") from error
        out = self.stdout
        out.write(
            f"GENUINE: signed by key {verified.kid}"
            + (" (retired)" if verified.key_retired else "")
        )
        out.write("This receipt proves the node received and durably stored:")
        for _, label, value in describe_receipt(verified.payload):
            out.write(f"  {label}: {value}")
        if local:
            envelope = envelope_named_by_receipt(verified.payload)
            if envelope is None:
                out.write("Recorded on this node: no")
            else:
                out.write(f"Recorded on this node: yes ({envelope_status(envelope)})")
