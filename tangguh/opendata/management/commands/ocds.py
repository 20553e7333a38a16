"""``tangguh ocds export [FILE | --out FILE]``, ``tangguh ocds validate FILE``,
``tangguh ocds backfill``.

export: every published release as one release package, streamed (bounded memory whatever
the number of releases); to stdout without a file.
validate: libcoveocds on a release or record package (offline with TANGGUH_OCDS_SCHEMA_DIR)
plus our own checks; prints every problem; exits 1 if there is any (libcoveocds' own command
line exits 0 even for invalid data).
backfill: publishes the releases of announced tenders that have none (a node that announced
tenders before it published open data).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tangguh.domain.ocds.package import stream_package
from tangguh.opendata.selectors import export_plan, export_uri, package_start, release_bodies
from tangguh.opendata.services.publish import ocds_backfill
from tangguh.opendata.services.validation import SchemaUnavailable, validate_file


class Command(BaseCommand):
    help = "Open data (OCDS): export the release package, validate a package, backfill."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write every release as one release package")
        export.add_argument("file", nargs="?", help="output file (default: standard output)")
        export.add_argument("--out", dest="out", help="output file (same as FILE)")
        validate = sub.add_parser("validate", help="validate a release or record package")
        validate.add_argument("file")
        sub.add_parser("backfill", help="publish releases of announced tenders that have none")

    def handle(self, *args, **options):
        action = options["action"]
        if action == "export":
            self._export(options.get("out") or options.get("file"))
        elif action == "validate":
            self._validate(options["file"])
        else:
            count = ocds_backfill()
            self.stdout.write(f"ocds backfill: {count} releases published")

    def _export(self, target: str | None) -> None:
        end, last = export_plan()
        header = package_start(uri=export_uri(end), published=last)
        chunks = stream_package(header, "releases", release_bodies(0, end))
        if not target:
            for chunk in chunks:
                self.stdout.write(chunk, ending="")
            self.stdout.flush()
        else:
            # Written beside the target and renamed into place: a reader never sees half a file.
            path = Path(target).resolve()
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    for chunk in chunks:
                        handle.write(chunk)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        message = f"ocds export: {end} releases" + (f" to {target}" if target else "")
        if end == 0:
            message += " (none yet: an empty package is not a valid OCDS release package)"
        self.stderr.write(message)

    def _validate(self, file: str) -> None:
        try:
            report = validate_file(file)
        except SchemaUnavailable as exc:
            raise CommandError(str(exc)) from exc
        mode = "offline" if report.offline else "online"
        for error in report.errors:
            self.stdout.write(error)
        if report.errors:
            raise CommandError(f"{file}: {len(report.errors)} problem(s) ({mode} validation)")
        self.stdout.write(f"{file}: valid, {report.count} item(s) ({mode} validation)")
