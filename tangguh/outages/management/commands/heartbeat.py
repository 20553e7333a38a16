"""``tangguh heartbeat``: one beat (for cron, when the node is served by something other than
``tangguh serve``); ``--loop`` beats every ``TANGGUH_HEARTBEAT_SECONDS`` (what ``serve`` runs
beside granian, with ``--parent``)."""

from django.core.management.base import BaseCommand

from tangguh.outages.selectors import heartbeat_interval
from tangguh.outages.services.heartbeat import heartbeat_beat, heartbeat_loop


class Command(BaseCommand):
    help = (
        "Record that the node is alive. A silence since the last beat longer than "
        "TANGGUH_OUTAGE_GAP_SECONDS becomes a detected outage and extends affected tenders."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="beat until stopped")
        parser.add_argument("--startup", action="store_true", help="mark a (re)start")
        parser.add_argument(
            "--parent", type=int, default=None, help="stop when this process is gone"
        )

    def handle(self, *args, **options):
        if options["loop"]:
            heartbeat_loop(interval=heartbeat_interval(), parent_pid=options["parent"])
            return
        result = heartbeat_beat(startup=options["startup"])
        if result.outage is not None:
            outage = result.outage
            self.stdout.write(
                f"outage #{outage.pk} detected: {outage.start.isoformat()} – "
                f"{outage.end.isoformat()}"
            )
        for extension in result.report.tenders:
            if extension.change is not None:
                self.stdout.write(f"extended {extension.tender.code}")
            for decision in extension.decisions:
                self.stdout.write(
                    f"decision needed: {extension.tender.code} {decision.stage} ({decision.code})"
                )
        self.stdout.write("beat")
