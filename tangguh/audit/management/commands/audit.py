"""``tangguh audit verify [--checkpoint FILE | --dossier DIR_OR_FILE]``, ``tangguh audit
checkpoint`` and ``tangguh audit dossier CODE DEST``."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tangguh.audit.selectors import audit_verify
from tangguh.audit.services.checkpoints import checkpoint_make, checkpoint_verify
from tangguh.integrity.management.dossier import dossier_check, dossier_export


def _token_from(path: str) -> str:
    """A checkpoint file holds the compact JWS, or the JSON ``GET /api/v1/audit/checkpoint``
    returned (``{"checkpoint": "..."}``)."""
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
    if text.startswith("{"):
        try:
            text = str(json.loads(text).get("checkpoint", ""))
        except (ValueError, AttributeError) as exc:
            raise CommandError(f"{path}: not a checkpoint (JSON without 'checkpoint')") from exc
    return text


class Command(BaseCommand):
    help = (
        "Audit log tools. 'verify' checks the hash chain, sequence numbers and times (and, with "
        "--checkpoint, that the log extends a checkpoint saved earlier); 'checkpoint' signs one."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="check the chain; exit 1 naming what is wrong")
        verify.add_argument(
            "--checkpoint", metavar="FILE", help="a checkpoint saved earlier (JWS or JSON)"
        )
        verify.add_argument(
            "--dossier", metavar="DIR_OR_FILE", help="an auditor dossier (directory or .tar)"
        )
        sub.add_parser("checkpoint", help="sign a checkpoint now and print it (for cron)")
        dossier = sub.add_parser("dossier", help="export a tender's auditor dossier")
        dossier.add_argument("code", help="the tender code")
        dossier.add_argument("dest", help="a new directory, or a file ending in .tar")

    def handle(self, *args, **options):
        if options["action"] == "checkpoint":
            made = checkpoint_make()
            self.stdout.write(made.token)
            return
        if options["action"] == "dossier":
            self.stdout.write(dossier_export(options["code"], options["dest"]))
            return
        if options.get("dossier"):
            self.stdout.write(dossier_check(options["dossier"]))
            return
        if options.get("checkpoint"):
            verdict = checkpoint_verify(_token_from(options["checkpoint"]))
            if not verdict.ok:
                raise CommandError(f"{verdict.code}: {verdict.message}")
            self.stdout.write(f"OK: {verdict.message}")
            return
        report = audit_verify()
        if report.ok:
            self.stdout.write(f"OK: {report.count} events, head {report.head_hash}")
            return
        problem = report.problem
        raise CommandError(
            f"BROKEN at event #{problem.seq}: {problem.reason} "
            f"({report.count} events verified before it)"
        )
