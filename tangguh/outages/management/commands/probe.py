"""``tangguh probe URL --key FILE``: the external probe (see ``tangguh.outages.probe``). Run it
on another host; ``python -m tangguh.outages.probe`` is the same without Django settings."""

from django.core.management.base import BaseCommand

from tangguh.outages.probe import add_arguments, run


class Command(BaseCommand):
    help = (
        "Check a node's public page and API on a schedule from another host and post signed "
        "reachability reports to it (or append them to --out for 'tangguh outage import')."
    )

    def add_arguments(self, parser):
        add_arguments(parser)

    def handle(self, *args, **options):
        status = run(options, self.stdout)
        if status:
            raise SystemExit(status)
