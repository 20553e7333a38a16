"""``backup_verify``: on the node, without the recovery key, every manifest is signed by a key
of this node (current or retired) and every encrypted object has the size and SHA-256 its
manifest states. It cannot see inside the objects; ``backup_verify_restore`` can."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from tangguh.backups.services import errors
from tangguh.backups.services.store import BackupDirectory, ObjectProblem
from tangguh.backups.services.trust import jwks_of_directory
from tangguh.core.signing import JwsError, verify_jws
from tangguh.domain.backup_manifest import Manifest, ManifestError, parse_manifest


@dataclass(frozen=True)
class Problem:
    code: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.code}] {self.detail}"


@dataclass
class BackupCheck:
    """What checking one backup found. ``problems`` empty means it passed."""

    backup_id: str
    manifest: Manifest | None = None
    kid: str | None = None
    key_retired: bool = False
    signature_note: str = ""
    problems: list[Problem] = field(default_factory=list)
    objects_checked: int = 0
    cipher_bytes: int = 0
    # Filled by verify --restore:
    restored_events: int | None = None
    restored_head: str | None = None
    plain_checked: int = 0
    plain_bytes: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def node_jwks() -> dict:
    """This node's public keys, current and retired (never creates a key)."""
    return jwks_of_directory(Path(settings.TANGGUH_SIGNING_KEY_DIR))


def signature_problem(exc: JwsError) -> Problem:
    if exc.kind == "unknown_key":
        return Problem(
            "backup.unknown_key",
            f"the manifest is signed by a key this node does not know ({exc.detail}): a backup "
            "of another node, or signed with keys this node no longer has",
        )
    if exc.kind == "bad_signature":
        return Problem(
            "backup.bad_signature",
            "the manifest's signature does not match its content: the manifest was altered",
        )
    return Problem("backup.manifest_malformed", exc.detail)


def chosen_ids(store: BackupDirectory, backup_id: str | None, *, newest_only: bool) -> list[str]:
    ids = store.manifest_ids()
    if not ids:
        raise errors.not_a_backup(str(store.root))
    if backup_id:
        if backup_id not in ids:
            raise errors.unknown_backup(backup_id)
        return [backup_id]
    return ids[-1:] if newest_only else ids


def read_signed_manifest(store: BackupDirectory, backup: str, jwks: dict, check: BackupCheck):
    """The manifest of ``backup`` if its signature holds against ``jwks``; else None with the
    reason added to ``check``."""
    try:
        token = store.read_manifest(backup)
        verified = verify_jws(token, jwks)
        manifest = parse_manifest(verified.payload)
    except OSError as exc:
        check.problems.append(Problem("backup.manifest_unreadable", str(exc)))
        return None
    except JwsError as exc:
        check.problems.append(signature_problem(exc))
        return None
    except ManifestError as exc:
        check.problems.append(Problem(exc.code, exc.message))
        return None
    if manifest.id != backup:
        check.problems.append(
            Problem("backup.manifest_renamed", f"the file {backup} holds manifest {manifest.id}")
        )
    check.manifest, check.kid, check.key_retired = manifest, verified.kid, verified.key_retired
    return manifest


def damaged_problem(manifest: Manifest) -> Problem | None:
    if not manifest.damaged:
        return None
    listed = ", ".join(manifest.damaged[:5])
    return Problem(
        "backup.damaged_at_source",
        f"{len(manifest.damaged)} stored file(s) no longer matched their SHA-256 on the node "
        f"when this backup was made and are not in it: {listed}",
    )


def backup_verify(
    *, dest: Path, backup_id: str | None = None, jwks: dict | None = None
) -> list[BackupCheck]:
    """Check every backup in ``dest`` (or one), oldest first. Objects shared by several
    backups are read once."""
    store = BackupDirectory(Path(dest))
    keys = jwks if jwks is not None else node_jwks()
    seen: dict[tuple[str, str, int], Problem | None] = {}
    checks = []
    for backup in chosen_ids(store, backup_id, newest_only=False):
        check = BackupCheck(backup)
        checks.append(check)
        manifest = read_signed_manifest(store, backup, keys, check)
        if manifest is None:
            continue
        check.signature_note = f"signed by node key {check.kid}" + (
            " (retired)" if check.key_retired else ""
        )
        if (damaged := damaged_problem(manifest)) is not None:
            check.problems.append(damaged)
        for item in manifest.items:
            key = (item.object, item.cipher_sha256, item.cipher_size)
            if key not in seen:
                try:
                    store.check(item)
                    seen[key] = None
                except ObjectProblem as problem:
                    seen[key] = Problem(problem.code, f"{item.label}: {problem.detail}")
            check.objects_checked += 1
            check.cipher_bytes += item.cipher_size
            if seen[key] is not None:
                check.problems.append(seen[key])
    return checks
