"""``tangguh offline import CODE FILE --by USERNAME``: a Pokja member imports a sealed file
received on media (luring). Accepted only if its SHA-256 is listed in a confirmed, published
media-receipt minute of the tender (docs/offline.md). Exit 0 when imported; 1 with
``[code] reason`` otherwise."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tangguh.accounts.models import User
from tangguh.bids.services.receipts import rfc3339
from tangguh.core.errors import ServiceError
from tangguh.offline.services.common import offline_tender
from tangguh.offline.services.imports import offline_envelope_import


class Command(BaseCommand):
    help = "The offline procedure (luring): import sealed files received on media."
    requires_system_checks = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import a sealed file received on media")
        imp.add_argument("code", help="the tender code")
        imp.add_argument("file", help="the sealed file (.age) as received")
        imp.add_argument("--by", required=True, help="the Pokja member's username")

    def handle(self, *args, **options):
        try:
            self._import(options)
        except ServiceError as error:
            raise CommandError(f"[{error.code}] {error.message_en}") from error

    def _import(self, options):
        actor = User.objects.filter(username=options["by"]).first()
        if actor is None:
            raise CommandError(f"[offline.user_unknown] No user {options['by']}.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"[offline.file_missing] No file {path}.")
        tender = offline_tender(options["code"])
        with path.open("rb") as handle:
            result = offline_envelope_import(
                actor=actor, tender=tender, stream=handle, content_length=path.stat().st_size
            )
        envelope = result.envelope
        verb = "Imported" if result.created else "Already imported"
        self.stdout.write(
            f"{verb} (luring): {tender.code} {envelope.name} NIB {envelope.company.nib} "
            f"SHA-256 {envelope.sha256}, received {rfc3339(envelope.received_at)} "
            f"(minute {result.media_file.minute.number}, {result.status})"
        )
