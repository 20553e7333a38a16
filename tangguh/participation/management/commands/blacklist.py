"""``tangguh blacklist sync FILE``: replace the local blacklist copy from a national export."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tangguh.core.errors import ServiceError
from tangguh.participation.selectors import blacklist_last_sync
from tangguh.participation.services.blacklist import MAX_EXPORT_BYTES, blacklist_sync_unchecked


class Command(BaseCommand):
    help = (
        "The local copy of the national blacklist (Daftar Hitam). 'sync FILE' replaces it from "
        "a JSON or CSV export (all rows valid, or nothing changes); 'status' shows the last sync."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sync = sub.add_parser("sync", help="replace the copy from FILE (JSON or CSV)")
        sync.add_argument("file")
        sub.add_parser("status", help="when the copy was last replaced, and from what")

    def handle(self, *args, **options):
        if options["action"] == "status":
            last = blacklist_last_sync()
            if last is None:
                self.stdout.write("never synced")
            else:
                self.stdout.write(
                    f"{last.entries} entries from {last.filename} (sha256 {last.sha256}) "
                    f"at {last.at.isoformat()}"
                )
            return
        path = Path(options["file"])
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_EXPORT_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from exc
        try:
            sync = blacklist_sync_unchecked(actor="cli", data=data, filename=path.name)
        except ServiceError as exc:
            raise CommandError(f"{exc.code}: {exc.message_en}") from exc
        self.stdout.write(f"OK: {sync.entries} entries (sha256 {sync.sha256})")
