"""``tangguh seal --recipient age1… IN -o OUT``: seal a bid package to an envelope's recipient.

Streams with pyrage and checks the result is an envelope the node accepts (age v1, exactly one
X25519 stanza). The reference ``age -r age1… -o OUT IN`` makes an equally valid envelope.

A package is sealed only in the current ``penawaran.json`` version (2: the bid guarantee as
``{reference, issuer, amount, valid_until}``), as the sealing page does. That check lives in
the shared sealing path (``tangguh.sealing.package``), so this command and
``python -m tangguh.sealing seal`` refuse a version 1 document alike (``package.invalid``).
"""

from django.core.management.base import BaseCommand, CommandError

from tangguh.sealing.cli import add_seal_arguments, run_seal
from tangguh.sealing.files import SealingFailure


class Command(BaseCommand):
    help = "Seal a file (the bid package) to an envelope's age recipient."
    requires_system_checks = []

    def add_arguments(self, parser):
        add_seal_arguments(parser)

    def handle(self, *args, **options):
        try:
            run_seal(options, self.stdout)
        except (SealingFailure, OSError) as exc:
            raise CommandError(f"[{getattr(exc, 'code', 'file.error')}] {exc}") from exc
