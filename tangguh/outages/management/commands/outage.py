"""``tangguh outage declare|list|import|probe-key``: outages on the command line.

The operator of the node's shell already holds the node, so these run without a login (as the
``keys`` and ``blacklist`` commands do) and are audited as ``cli``.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tangguh.core.errors import ServiceError
from tangguh.outages.selectors import outage_row, outages_all
from tangguh.outages.services.outages import outage_declare_unchecked
from tangguh.outages.services.probes import probe_key_register_unchecked, probe_report_accept

MAX_IMPORT_BYTES = 200 * 1024 * 1024


def _moment(value: str, name: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            f"outage.time_invalid: --{name} {value!r} is not ISO 8601 "
            "(e.g. 2024-06-20T00:54:00+07:00)"
        ) from exc


class Command(BaseCommand):
    help = (
        "Outages. 'declare' records one (this node or upstream:<name>) and extends affected "
        "tenders; 'list' shows them; 'import FILE' reads signed probe reports (one JWS a line); "
        "'probe-key NAME KEY' registers an external probe."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        declare = sub.add_parser("declare", help="record an outage that is over")
        declare.add_argument("--start", required=True, help="ISO 8601 with offset")
        declare.add_argument("--end", required=True, help="ISO 8601 with offset, in the past")
        declare.add_argument("--reason", required=True, help="the public cause")
        declare.add_argument("--scope", default="node", help="node (default) or upstream:<name>")
        listing = sub.add_parser("list", help="recorded outages, newest first")
        listing.add_argument("--json", action="store_true")
        imported = sub.add_parser("import", help="signed probe reports, one JWS a line")
        imported.add_argument("file")
        key = sub.add_parser("probe-key", help="register a probe's public key")
        key.add_argument("name")
        key.add_argument("public_key")

    def handle(self, *args, **options):
        try:
            getattr(self, "_" + options["action"].replace("-", "_"))(options)
        except ServiceError as exc:
            field = f" [{exc.field}]" if exc.field else ""
            raise CommandError(f"{exc.code}{field}: {exc.message_en}") from exc

    def _declare(self, options):
        outage, report = outage_declare_unchecked(
            actor="cli",
            start=_moment(options["start"], "start"),
            end=_moment(options["end"], "end"),
            reason=options["reason"],
            scope=options["scope"],
        )
        self.stdout.write(
            f"outage #{outage.pk} recorded ({outage.scope}, "
            f"{'extends' if outage.counts else 'does not extend'} deadlines)"
        )
        for extension in report.tenders:
            if extension.change is not None:
                for row in extension.change.diff:
                    self.stdout.write(
                        f"extended {extension.tender.code} {row['stage']}: "
                        f"{row['before'][1]} -> {row['after'][1]}"
                    )
            for decision in extension.decisions:
                self.stdout.write(
                    f"decision needed: {extension.tender.code} {decision.stage} ({decision.code})"
                )

    def _list(self, options):
        rows = [outage_row(o) for o in outages_all()]
        if options["json"]:
            self.stdout.write(json.dumps(rows, default=str, ensure_ascii=False, indent=1))
            return
        for row in rows:
            self.stdout.write(
                f"#{row['id']} {row['start'].isoformat()} – {row['end'].isoformat()} "
                f"{row['source']} {row['scope']} "
                f"{'extends' if row['counts'] else 'no-extension'}: {row['reason']}"
            )
        if not rows:
            self.stdout.write("no outages recorded")

    def _import(self, options):
        path = Path(options["file"])
        try:
            if path.stat().st_size > MAX_IMPORT_BYTES:
                raise CommandError(f"{path}: larger than {MAX_IMPORT_BYTES} bytes")
            lines = [line.strip() for line in path.read_text("utf-8").splitlines()]
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from exc
        checks = outages = 0
        for line in filter(None, lines):
            accepted, found, _ = probe_report_accept(token=line)
            checks += accepted
            outages += len(found)
            for outage in found:
                self.stdout.write(
                    f"outage #{outage.pk} from probe: {outage.start.isoformat()} – "
                    f"{outage.end.isoformat()}"
                )
        self.stdout.write(f"OK: {checks} new checks, {outages} outages")

    def _probe_key(self, options):
        key = probe_key_register_unchecked(
            actor="cli", name=options["name"], public_key=options["public_key"]
        )
        self.stdout.write(f"probe {key.name} registered")
