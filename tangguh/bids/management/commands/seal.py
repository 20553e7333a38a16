"""``tangguh seal --recipient age1… IN -o OUT``: seal a bid package to an envelope's recipient.

Streams with pyrage and checks the result is an envelope the node accepts (age v1, exactly one
X25519 stanza). The reference ``age -r age1… -o OUT IN`` makes an equally valid envelope.

A package is sealed only in the current ``penawaran.json`` version (2: the bid guarantee as
``{reference, issuer, amount, valid_until}``), as the sealing page does: a version 1 document
would still open, but its guarantee's amount and validity would be unknown to the Pokja, and
the vendor can fix that only before sealing.
"""

import tarfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tangguh.domain.bid_package import BidPackageInvalid, parse_penawaran
from tangguh.sealing.cli import add_seal_arguments, run_seal
from tangguh.sealing.files import SealingFailure
from tangguh.sealing.package import MANIFEST, MAX_PENAWARAN_BYTES


def _manifest(source: Path) -> bytes | None:
    """The ``penawaran.json`` of a package directory or tar; None for any other file (sealed
    as it is, with run_seal's warning) or when run_seal will name the problem itself."""
    if source.is_dir():
        path = source / MANIFEST
        return path.read_bytes() if path.is_file() else None
    if not (source.is_file() and tarfile.is_tarfile(source)):
        return None
    try:
        with tarfile.open(source, mode="r|") as tar:
            for member in tar:
                if member.name == MANIFEST and member.isfile():
                    if member.size > MAX_PENAWARAN_BYTES:
                        return None
                    handle = tar.extractfile(member)
                    return handle.read() if handle else b""
    except tarfile.TarError:
        return None
    return None


def require_current_version(source: Path) -> None:
    """Refuse a package whose ``penawaran.json`` is not what sealing takes (current version)."""
    manifest = _manifest(source)
    if manifest is None:
        return
    try:
        parse_penawaran(manifest, sealing=True)
    except BidPackageInvalid as exc:
        lines = "; ".join(f"{p.field}: {p.message_en} [{p.code}]" for p in exc.problems)
        raise SealingFailure("package.invalid", f"penawaran.json: {lines}") from exc


class Command(BaseCommand):
    help = "Seal a file (the bid package) to an envelope's age recipient."
    requires_system_checks = []

    def add_arguments(self, parser):
        add_seal_arguments(parser)

    def handle(self, *args, **options):
        try:
            require_current_version(Path(options["input"]))
            run_seal(options, self.stdout)
        except (SealingFailure, OSError) as exc:
            raise CommandError(f"[{getattr(exc, 'code', 'file.error')}] {exc}") from exc
