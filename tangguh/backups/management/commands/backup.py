"""``tangguh backup create|verify|restore|redeposit``: encrypted, verified backups and restore.

    tangguh backup create DEST [--recipient age1… …]
    tangguh backup verify DEST [--backup ID]
    tangguh backup verify --restore DEST --identity FILE [--backup ID]
    tangguh backup restore DEST --identity FILE [--backup ID]
                           (--checkpoint FILE_OR_URL | --no-checkpoint) [--force]
    tangguh backup redeposit FILE --receipt FILE --by USERNAME

Exit 0 when all is well; 1 with ``[code] reason`` otherwise (docs/operations.md "Backups").
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tangguh.accounts.models import User
from tangguh.backups.services.create import backup_create
from tangguh.backups.services.restore import backup_restore, backup_verify_restore
from tangguh.backups.services.trust import load_checkpoint_token, load_jwks
from tangguh.backups.services.verify import BackupCheck, backup_verify
from tangguh.bids.services.redeposit import bid_redeposit
from tangguh.core.errors import ServiceError


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{count} B"


class Command(BaseCommand):
    help = "Encrypted, signed, incremental backups: create, verify, restore, re-deposit."
    requires_system_checks = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="write a backup into DEST")
        create.add_argument("dest")
        create.add_argument(
            "--recipient",
            action="append",
            default=[],
            help="age1… recovery recipient (repeat; default TANGGUH_BACKUP_RECIPIENTS)",
        )
        verify = sub.add_parser("verify", help="check backups (with --restore: restore and prove)")
        verify.add_argument("dest")
        verify.add_argument("--backup", help="one backup id (default: all; newest with --restore)")
        verify.add_argument(
            "--restore", action="store_true", help="restore into a scratch place and prove it"
        )
        verify.add_argument("--identity", action="append", default=[], help="recovery identity")
        verify.add_argument("--jwks", help="JWKS file or URL to check signatures against")
        restore = sub.add_parser("restore", help="bring this node back from DEST")
        restore.add_argument("dest")
        restore.add_argument("--identity", action="append", default=[], required=True)
        restore.add_argument("--backup", help="backup id (default: the newest)")
        restore.add_argument("--checkpoint", help="newest checkpoint kept outside (file or URL)")
        restore.add_argument(
            "--no-checkpoint", action="store_true", help="state that no checkpoint exists"
        )
        restore.add_argument("--force", action="store_true")
        restore.add_argument("--jwks", help="pin the node's JWKS (file or URL)")
        redeposit = sub.add_parser("redeposit", help="import a sealed file with its receipt")
        redeposit.add_argument("file")
        redeposit.add_argument("--receipt", required=True, help="the receipt (compact JWS) file")
        redeposit.add_argument("--by", required=True, help="the administrator's username")

    def handle(self, *args, **options):
        try:
            getattr(self, f"_{options['action']}")(options)
        except ServiceError as error:
            raise CommandError(f"[{error.code}] {error.message_en}") from error

    # --- create ----------------------------------------------------------------------------

    def _create(self, options):
        report = backup_create(dest=Path(options["dest"]), recipients=options["recipient"])
        self.stdout.write(
            f"Backup {report.backup_id} written: {report.items} items, "
            f"audit head #{report.audit_size} {report.audit_head}"
        )
        self.stdout.write(
            f"  encrypted and copied: {report.written} objects, {_size(report.written_bytes)}; "
            f"already in DEST: {report.reused} objects, {_size(report.reused_bytes)}; "
            f"{report.seconds:.1f} s"
        )
        self.stdout.write(f"  manifest: {report.manifest_path}")
        if report.damaged:
            raise CommandError(
                f"[backup.damaged_at_source] {len(report.damaged)} stored file(s) do not match "
                f"their SHA-256 and were left out: {', '.join(report.damaged[:5])}"
            )

    # --- verify ----------------------------------------------------------------------------

    def _jwks(self, options) -> dict | None:
        if not options.get("jwks"):
            return None
        try:
            return load_jwks(options["jwks"])
        except (OSError, ValueError) as exc:
            raise CommandError(f"[backup.jwks_unavailable] {exc}") from exc

    def _print_check(self, check: BackupCheck) -> None:
        manifest = check.manifest
        if manifest is None:
            self.stdout.write(f"Backup {check.backup_id}: manifest not trusted")
        else:
            self.stdout.write(
                f"Backup {check.backup_id} of {manifest.node!r}, made {manifest.created_at}: "
                f"{len(manifest.items)} items, audit head #{manifest.audit_size} "
                f"{manifest.audit_head}"
            )
            self.stdout.write(f"  signature: {check.signature_note or '—'}")
            self.stdout.write(
                f"  ciphertext: {check.objects_checked} objects, {_size(check.cipher_bytes)}"
            )
        if check.restored_events is not None:
            self.stdout.write(
                f"  restored into a scratch database: {check.restored_events} audit events, "
                f"head {check.restored_head}"
            )
            self.stdout.write(
                f"  plain digests proven: {check.plain_checked} items, {_size(check.plain_bytes)}"
            )
        for problem in check.problems:
            self.stdout.write(f"  PROBLEM {problem}")
        self.stdout.write("  OK" if check.ok else "  FAILED")

    def _verify(self, options):
        dest = Path(options["dest"])
        if options["restore"]:
            if not options["identity"]:
                raise CommandError("[backup.identity_required] --restore needs --identity FILE")
            checks = [
                backup_verify_restore(
                    dest=dest,
                    identity_paths=[Path(p) for p in options["identity"]],
                    backup_id=options["backup"],
                    jwks=self._jwks(options),
                )
            ]
        else:
            checks = backup_verify(dest=dest, backup_id=options["backup"], jwks=self._jwks(options))
        for check in checks:
            self._print_check(check)
        failed = [c for c in checks if not c.ok]
        if failed:
            first = failed[0].problems[0]
            raise CommandError(
                f"[{first.code}] {len(failed)} of {len(checks)} backup(s) failed verification "
                f"(first: {failed[0].backup_id}: {first.detail})"
            )
        self.stdout.write(f"OK: {len(checks)} backup(s) verified")

    # --- restore ---------------------------------------------------------------------------

    def _restore(self, options):
        source = options["checkpoint"]
        if not source and not options["no_checkpoint"] and sys.stdin.isatty():
            source = input(
                "Newest checkpoint kept outside this node (file path or URL; "
                "empty if there is none): "
            ).strip()
            options["no_checkpoint"] = not source
        token = None
        if source:
            try:
                token = load_checkpoint_token(source)
            except (OSError, ValueError) as exc:
                raise CommandError(f"[backup.checkpoint_unreadable] {source}: {exc}") from exc
        report = backup_restore(
            dest=Path(options["dest"]),
            identity_paths=[Path(p) for p in options["identity"]],
            backup_id=options["backup"],
            checkpoint=token,
            no_checkpoint=options["no_checkpoint"],
            force=options["force"],
            jwks=self._jwks(options),
        )
        out = self.stdout
        out.write(f"Restored backup {report.backup_id}: {report.signature_note}")
        out.write(f"  audit head #{report.audit_size} {report.audit_head}")
        out.write(f"  checkpoint: {report.checkpoint_note}")
        out.write(
            f"  files: {report.files_restored} restored, {report.files_present} already there; "
            f"keys: {report.keys}; other files: {report.other_files}"
        )
        for path in report.moved_aside:
            out.write(f"  moved aside (kept): {path}")
        if report.forced:
            out.write(f"  FORCED past the checkpoint, recorded in the audit log: {report.forced}")
        out.write(
            "Next: start the node (tangguh serve), record the outage, and ask vendors to "
            "re-deposit bids acknowledged after the backup (docs/operations.md)."
        )

    # --- redeposit -------------------------------------------------------------------------

    def _redeposit(self, options):
        admin = User.objects.filter(username=options["by"]).first()
        if admin is None:
            raise CommandError(f"[backup.unknown_user] no user {options['by']!r}")
        try:
            token = Path(options["receipt"]).read_text(encoding="ascii").strip()
            path = Path(options["file"])
            size = path.stat().st_size
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"[backup.unreadable] {exc}") from exc
        # The tender code is read from the receipt here; the service checks its signature.
        code = _unverified_tender(token)
        with open(path, "rb") as stream:
            result = bid_redeposit(
                actor=admin,
                code=code,
                receipt=token,
                stream=stream,
                content_length=size,
                operator=True,
            )
        envelope = result.envelope
        self.stdout.write(
            f"{'Recorded' if result.created else 'Already recorded'}: {code} {envelope.name} "
            f"of NIB {envelope.company.nib}, SHA-256 {envelope.sha256}, received "
            f"{envelope.received_at.isoformat()} ({result.status})"
            + ("; file restored" if result.file_restored else "")
        )


def _unverified_tender(token: str) -> str:
    import json

    from tangguh.core.signing import b64url_decode

    try:
        payload = json.loads(b64url_decode(token.split(".")[1]))
        return str(payload["tender"])
    except (IndexError, KeyError, ValueError, TypeError) as exc:
        raise CommandError("[receipt.malformed] not a readable receipt") from exc
