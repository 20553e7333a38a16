"""The command-line side of the dossier, used by ``tangguh audit dossier`` and ``tangguh audit
verify --dossier`` (the ``audit`` command keeps only its argument parsing)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from tangguh.core.errors import ServiceError
from tangguh.integrity.services.dossier import dossier_write_directory, dossier_write_tar
from tangguh.integrity.services.dossier_verify import dossier_verify_on_node
from tangguh.tenders.selectors import tender_get


def dossier_export(code: str, dest: str) -> str:
    tender = tender_get(code)
    if tender is None:
        raise CommandError(f"no tender {code!r}")
    target = Path(dest)
    try:
        if target.suffix == ".tar":
            manifest = dossier_write_tar(tender=tender, actor="cli", dest=target)
        else:
            manifest = dossier_write_directory(tender=tender, actor="cli", dest=target)
    except FileExistsError as exc:
        raise CommandError(str(exc)) from exc
    except ServiceError as exc:
        raise CommandError(f"{exc.code}: {exc.message_en}") from exc
    checkpoint = manifest["checkpoint"]
    return (
        f"dossier of {code} written to {target}: {len(manifest['files'])} files, "
        f"checkpoint #{checkpoint['size']} {checkpoint['head_hash']}"
    )


def dossier_check(path: str) -> str:
    report = dossier_verify_on_node(Path(path))
    if not report.ok:
        lines = [f"BROKEN: {len(report.problems)} problem(s) in {path}"]
        lines += [f"  {problem}" for problem in report.problems]
        raise CommandError("\n".join(lines))
    return "\n".join([f"OK: dossier {path}", *[f"  {note}" for note in report.notes]])
