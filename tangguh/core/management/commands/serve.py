"""``tangguh serve``: serve with the settings of the environment (production by default)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from tangguh.core.keys import node_keyring
from tangguh.core.serving import parse_addr, serve
from tangguh.organizations.services import node_ensure


class Command(BaseCommand):
    help = "Apply migrations, make sure the node key exists, and serve (granian, WSGI)."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=1)

    def handle(self, *args, **options):
        host, port = parse_addr(options["addr"])
        call_command("migrate", interactive=False, verbosity=0)
        node_keyring().ensure()
        node_ensure()
        serve(host, port, workers=options["workers"])
