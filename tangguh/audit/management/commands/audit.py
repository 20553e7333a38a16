"""``tangguh audit verify``: check the whole audit chain."""

from django.core.management.base import BaseCommand, CommandError

from tangguh.audit.selectors import audit_verify


class Command(BaseCommand):
    help = "Audit log tools. 'verify' checks the hash chain, sequence numbers and times."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="check the chain; exit 1 naming the first broken event")

    def handle(self, *args, **options):
        report = audit_verify()
        if report.ok:
            self.stdout.write(f"OK: {report.count} events, head {report.head_hash}")
            return
        problem = report.problem
        raise CommandError(
            f"BROKEN at event #{problem.seq}: {problem.reason} "
            f"({report.count} events verified before it)"
        )
