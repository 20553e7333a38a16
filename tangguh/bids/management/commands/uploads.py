"""``tangguh uploads sweep``: remove expired resumable uploads (for cron, e.g. hourly)."""

from django.core.management.base import BaseCommand

from tangguh.bids.services.resumable import upload_sweep


class Command(BaseCommand):
    help = "Resumable bid uploads. 'sweep' removes expired and abandoned partial uploads."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("sweep", help="remove expired uploads; prints how many")

    def handle(self, *args, **options):
        removed = upload_sweep()
        self.stdout.write(f"{removed} upload(s) removed")
