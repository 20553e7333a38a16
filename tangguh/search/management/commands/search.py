"""``tangguh search reindex``: rebuild the public tender search index from the tenders."""

from django.core.management.base import BaseCommand

from tangguh.search.services import search_reindex_all


class Command(BaseCommand):
    help = "Public tender search index. 'reindex' rebuilds it from the tenders."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["reindex"])

    def handle(self, *args, **options):
        count = search_reindex_all()
        self.stdout.write(f"search index rebuilt: {count} public tenders")
