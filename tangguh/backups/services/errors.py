"""The backup errors, each with a stable code (``backup.*``) and a message in Indonesian and
English. The command line prints ``[code] message``; nothing here is shown on a web page."""

from __future__ import annotations

from tangguh.core.errors import Conflict, InvalidInput, NotFound, ServiceError


class BackupFailed(ServiceError):
    """The backup (or restore) could not be completed; nothing half-made was left as if done."""

    status = 500


def no_recipients() -> InvalidInput:
    return InvalidInput(
        "backup.no_recipients",
        "Sebutkan minimal satu penerima pemulihan (--recipient age1… atau "
        "TANGGUH_BACKUP_RECIPIENTS).",
        "Name at least one recovery recipient (--recipient age1… or TANGGUH_BACKUP_RECIPIENTS).",
        field="recipient",
    )


def bad_recipient(text: str) -> InvalidInput:
    return InvalidInput(
        "backup.bad_recipient",
        f"Bukan penerima age X25519 (age1…): {text!r}.",
        f"Not an age X25519 recipient (age1…): {text!r}.",
        field="recipient",
    )


def bad_identity(detail: str) -> InvalidInput:
    return InvalidInput(
        "backup.bad_identity",
        f"Berkas identitas pemulihan tidak terbaca: {detail}.",
        f"The recovery identity file cannot be read: {detail}.",
        field="identity",
    )


def destination_inside_data(dest: str, data: str) -> InvalidInput:
    return InvalidInput(
        "backup.dest_inside_data",
        f"Tujuan cadangan {dest} berada di dalam atau memuat direktori data {data}; "
        "cadangan harus di tempat lain.",
        f"The backup destination {dest} is inside, or contains, the data directory {data}; "
        "a backup must live elsewhere.",
        field="dest",
    )


def not_a_backup(dest: str) -> NotFound:
    return NotFound(
        "backup.not_found",
        f"{dest} bukan direktori cadangan Tangguh (tidak ada manifes).",
        f"{dest} is not a Tangguh backup directory (no manifest).",
        field="dest",
    )


def unknown_backup(backup: str) -> NotFound:
    return NotFound(
        "backup.unknown_id",
        f"Tidak ada cadangan {backup} di tujuan ini.",
        f"There is no backup {backup} in this destination.",
        field="backup",
    )


def locked(dest: str) -> Conflict:
    return Conflict(
        "backup.locked",
        f"Cadangan lain sedang ditulis ke {dest}.",
        f"Another backup is being written to {dest}.",
    )


def no_space(detail: str) -> BackupFailed:
    return BackupFailed(
        "backup.no_space",
        f"Ruang disk (atau batas ukuran berkas) habis saat menulis cadangan ({detail}); tidak "
        "ada manifes yang ditulis, jadi cadangan ini tidak tercatat sebagai selesai.",
        f"Out of disk space (or over a file size limit) while writing the backup ({detail}); no "
        "manifest was written, so this backup is not recorded as complete.",
    )


def write_failed(detail: str) -> BackupFailed:
    return BackupFailed(
        "backup.write_failed",
        f"Cadangan gagal ditulis ({detail}); tidak ada manifes yang ditulis.",
        f"The backup could not be written ({detail}); no manifest was written.",
    )


def database_dump_failed(detail: str) -> BackupFailed:
    return BackupFailed(
        "backup.database_dump_failed",
        f"Salinan basis data gagal: {detail}",
        f"The database snapshot failed: {detail}",
    )


def tool_missing(name: str) -> BackupFailed:
    return BackupFailed(
        "backup.tool_missing",
        f"Program {name} tidak ditemukan (PATH atau /usr/lib/postgresql/*/bin).",
        f"The program {name} was not found (PATH or /usr/lib/postgresql/*/bin).",
    )


def target_not_empty(what: list[str]) -> Conflict:
    listed = "; ".join(what)
    return Conflict(
        "backup.target_not_empty",
        f"Node tujuan tidak kosong ({listed}); tambahkan --force untuk menimpanya (yang lama "
        "disisihkan, tidak dihapus).",
        f"The target node is not empty ({listed}); add --force to replace it (the old data is "
        "moved aside, not deleted).",
    )


def checkpoint_required() -> InvalidInput:
    return InvalidInput(
        "backup.checkpoint_required",
        "Sebutkan titik periksa (checkpoint) terbaru yang disimpan di luar node "
        "(--checkpoint FILE atau URL), atau nyatakan --no-checkpoint bila memang tidak ada.",
        "Give the newest checkpoint kept outside the node (--checkpoint FILE or URL), or state "
        "--no-checkpoint when there is none.",
        field="checkpoint",
    )


def checkpoint_unusable(code: str, detail: str) -> InvalidInput:
    return InvalidInput(
        code,
        f"Titik periksa tidak dapat dipakai: {detail}",
        f"The checkpoint cannot be used: {detail}",
        field="checkpoint",
    )


def older_than_checkpoint(code: str, detail: str) -> Conflict:
    return Conflict(
        "backup.older_than_checkpoint",
        f"Cadangan ini lebih lama dari titik periksa di luar node ({code}: {detail}). "
        "Pemulihan akan memutar balik log audit; ditolak kecuali --force (dan itu dicatat).",
        f"This backup is older than the checkpoint kept outside ({code}: {detail}). Restoring "
        "it would roll the audit log back; refused unless --force (which is recorded).",
        field="checkpoint",
    )


def backup_invalid(backup: str, problems: list[str]) -> Conflict:
    listed = "; ".join(problems[:5]) + (" …" if len(problems) > 5 else "")
    return Conflict(
        "backup.invalid",
        f"Cadangan {backup} tidak lolos pemeriksaan, pemulihan ditolak: {listed}",
        f"Backup {backup} fails verification, restore refused: {listed}",
    )
