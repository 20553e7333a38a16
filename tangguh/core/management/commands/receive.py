"""``tangguh receive``: serve the upload routes on their own address (the upload receiver).

``tangguh serve`` starts it beside granian when ``TANGGUH_UPLOAD_ADDR`` is set; the reverse
proxy then sends ``/api/v1/tenders/*/bids/mine…`` and ``…/bids/redeposit`` there
(docs/operations.md, docs/decisions/0705-upload-receiver.md).
"""

import os
import threading
import time

from django.core.management.base import BaseCommand

from tangguh.core.receiver import DEFAULT_THREADS, serve_uploads
from tangguh.core.serving import parse_addr


def _stop_with(parent_pid: int) -> None:
    """Exit when the serving process is gone, so that no orphan keeps taking uploads."""
    while os.getppid() == parent_pid:
        time.sleep(1)
    os._exit(0)


class Command(BaseCommand):
    help = "Serve the bid upload routes (PUT, tus, redeposit) on their own address."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default=os.environ.get("TANGGUH_UPLOAD_ADDR", ""))
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("TANGGUH_UPLOAD_THREADS", str(DEFAULT_THREADS))),
        )
        parser.add_argument(
            "--parent", type=int, default=None, help="stop when this process is gone"
        )

    def handle(self, *args, **options):
        host, port = parse_addr(options["addr"] or "127.0.0.1:8001")
        if options["parent"] is not None:
            threading.Thread(target=_stop_with, args=(options["parent"],), daemon=True).start()
        self.stdout.write(f"upload receiver on {host}:{port}")
        self.stdout.flush()
        serve_uploads(host, port, threads=options["threads"])
