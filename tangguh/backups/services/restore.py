"""With the recovery key: ``backup_verify_restore`` restores a backup into a scratch place and
proves it (audit chain, head, every file's plain digest); ``backup_restore`` brings a node back.

A restore checks everything it can before it changes the node, and installs the database last:
signature (against the keys inside the backup, or a JWKS the administrator pins), the keys, the
database restored into a scratch place with its audit chain verified and held against the newest
checkpoint kept outside the node, then files (each renamed into place only once its digest is
proven), keys, and finally the database. A restore interrupted before the last step leaves a node
without a database, and running it again finishes it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connections

from tangguh import clock
from tangguh.audit.services import audit_append
from tangguh.backups.services import database as db
from tangguh.backups.services import errors
from tangguh.backups.services.create import manifest_payload_unverified
from tangguh.backups.services.store import BackupDirectory, ObjectProblem, fsync_dir, hash_file
from tangguh.backups.services.trust import jwks_of_directory
from tangguh.backups.services.verify import (
    BackupCheck,
    Problem,
    chosen_ids,
    damaged_problem,
    node_jwks,
    signature_problem,
)
from tangguh.core.blobs import BlobStore
from tangguh.core.signing import JwsError, verify_jws
from tangguh.domain.backup_manifest import (
    ROLE_BLOB,
    ROLE_FILE,
    ROLE_KEY,
    Item,
    Manifest,
    ManifestError,
    parse_manifest,
    safe_relative_name,
)
from tangguh.domain.checkpoint import Checkpoint, CheckpointError, log_extends
from tangguh.domain.checkpoint import parse_checkpoint_payload as parse_checkpoint
from tangguh.sealing.files import SealingFailure, read_identities


@dataclass
class Opened:
    """A backup whose manifest, keys and database are decrypted into ``staging``."""

    manifest: Manifest
    staging: Path
    keys_dir: Path
    database_file: Path
    backup_jwks: dict


@dataclass
class RestoreReport:
    backup_id: str
    audit_size: int
    audit_head: str
    signature_note: str
    checkpoint_note: str
    files_restored: int = 0
    files_present: int = 0
    keys: int = 0
    other_files: int = 0
    moved_aside: list[str] = field(default_factory=list)
    forced: str | None = None


def identities_from(paths: list[Path]) -> list:
    try:
        identities = read_identities([Path(p) for p in paths])
    except (SealingFailure, OSError, UnicodeDecodeError) as exc:
        raise errors.bad_identity(str(exc)) from exc
    if not identities:
        raise errors.bad_identity("no AGE-SECRET-KEY-1… line")
    return identities


def _decrypt_to(store: BackupDirectory, item: Item, target: Path, identities: list) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            store.decrypt(item, handle, identities)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _open(
    store: BackupDirectory,
    backup: str,
    identities: list,
    staging: Path,
    pinned: dict | None,
    check: BackupCheck,
) -> Opened | None:
    """Decrypt the keys, check the signature, decrypt the database; None (with the problems
    in ``check``) when the backup cannot be trusted or opened."""
    try:
        token = store.read_manifest(backup)
        manifest = parse_manifest(manifest_payload_unverified(token))
    except (OSError, ManifestError) as exc:
        check.problems.append(Problem(getattr(exc, "code", "backup.manifest_unreadable"), str(exc)))
        return None
    keys_dir = staging / "keys"
    keys_dir.mkdir(mode=0o700)
    try:
        for item in manifest.of_role(ROLE_KEY):
            _decrypt_to(store, item, keys_dir / item.name, identities)
    except ObjectProblem as problem:
        check.problems.append(Problem(problem.code, problem.detail))
        return None
    backup_jwks = jwks_of_directory(keys_dir)
    anchors = pinned if pinned and pinned.get("keys") else backup_jwks
    try:
        verified = verify_jws(token, anchors)
    except JwsError as exc:
        check.problems.append(signature_problem(exc))
        return None
    check.manifest, check.kid, check.key_retired = manifest, verified.kid, verified.key_retired
    check.signature_note = (
        f"signed by node key {verified.kid}"
        + (" (retired)" if verified.key_retired else "")
        + ("" if anchors is pinned else ", checked against the keys inside the backup")
    )
    if manifest.id != backup:
        check.problems.append(Problem("backup.manifest_renamed", f"{backup} holds {manifest.id}"))
    if not (keys_dir / f"{verified.kid}.pem").is_file():
        check.problems.append(
            Problem(
                "backup.signing_key_missing",
                f"the private key {verified.kid} that signed the manifest is not in the backup: "
                "a restored node could not sign as itself",
            )
        )
    database_file = staging / manifest.database.name
    try:
        _decrypt_to(store, manifest.database, database_file, identities)
    except ObjectProblem as problem:
        check.problems.append(Problem(problem.code, f"database: {problem.detail}"))
        return None
    return Opened(manifest, staging, keys_dir, database_file, backup_jwks)


@contextmanager
def _restored_database(opened: Opened) -> Iterator[str]:
    """The backup's database, restored into a scratch place, behind a connection alias."""
    if opened.manifest.database_engine == db.SQLITE:
        with db.database_alias(db.sqlite_settings(opened.database_file)) as alias:
            yield alias
        return
    node_database = db.default_database()
    if db.engine_of(node_database) != db.POSTGRESQL:
        raise errors.database_dump_failed(
            "a PostgreSQL backup needs a PostgreSQL server: set DATABASE_URL to one"
        )
    with db.pg_scratch_database(node_database) as scratch:
        db.pg_restore(scratch, opened.database_file, clean=False)
        with db.database_alias(scratch) as alias:
            yield alias


def _prove_database(
    opened: Opened, check: BackupCheck, checkpoint: Checkpoint | None
) -> CheckpointError | None:
    """Audit chain, head and file references of the restored database; with a checkpoint,
    whether the restored log extends it (the error when it does not)."""
    manifest = opened.manifest
    verdict = None
    with _restored_database(opened) as alias:
        chain = db.chain_check(alias)
        check.restored_events, check.restored_head = chain.count, chain.head_hash
        if not chain.ok:
            check.problems.append(
                Problem(
                    "backup.audit_chain",
                    f"the restored audit chain is broken at event #{chain.problem.seq}: "
                    f"{chain.problem.reason}",
                )
            )
        elif (chain.count, chain.head_hash) != (manifest.audit_size, manifest.audit_head):
            check.problems.append(
                Problem(
                    "backup.audit_head",
                    f"the restored log ends at #{chain.count} {chain.head_hash}, the manifest "
                    f"says #{manifest.audit_size} {manifest.audit_head}",
                )
            )
        blobs = {item.name for item in manifest.of_role(ROLE_BLOB)}
        missing = sorted(db.referenced_blobs(alias) - blobs)
        if missing:
            check.problems.append(
                Problem(
                    "backup.file_missing",
                    f"{len(missing)} file(s) the database refers to are not in the backup: "
                    + ", ".join(missing[:5]),
                )
            )
        if checkpoint is not None and chain.ok:
            try:
                log_extends(
                    checkpoint,
                    log_size=chain.count,
                    hash_at_size=db.hash_at(alias, checkpoint.size),
                )
            except CheckpointError as exc:
                verdict = exc
    return verdict


def _staging(data_dir: Path) -> tempfile.TemporaryDirectory:
    data_dir.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(dir=data_dir, prefix=".restore-")


def backup_verify_restore(
    *,
    dest: Path,
    identity_paths: list[Path],
    backup_id: str | None = None,
    jwks: dict | None = None,
) -> BackupCheck:
    """Restore the newest backup (or ``backup_id``) into a scratch place and prove it: the
    signature, every object's ciphertext and plain digest, the audit chain and head of the
    restored database, and that every file the database refers to is in the backup."""
    identities = identities_from(identity_paths)
    store = BackupDirectory(Path(dest))
    backup = chosen_ids(store, backup_id, newest_only=True)[0]
    pinned = jwks if jwks is not None else node_jwks()
    check = BackupCheck(backup)
    with _staging(Path(settings.TANGGUH_DATA_DIR)) as staging:
        opened = _open(store, backup, identities, Path(staging), pinned, check)
        if opened is None:
            return check
        if (damaged := damaged_problem(opened.manifest)) is not None:
            check.problems.append(damaged)
        _prove_database(opened, check, None)
        for item in opened.manifest.items:
            check.objects_checked += 1
            check.cipher_bytes += item.cipher_size
            if item.role in (ROLE_BLOB, ROLE_FILE):
                try:
                    store.decrypt(item, None, identities)
                except ObjectProblem as problem:
                    check.problems.append(Problem(problem.code, problem.detail))
                    continue
            check.plain_checked += 1
            check.plain_bytes += item.size
    return check


# --- bringing a node back ---------------------------------------------------------------------


def _occupied(manifest: Manifest, data_dir: Path, key_dir: Path, database: dict) -> list[str]:
    """What the target node holds that this backup would replace or does not contain."""
    found = []
    if db.engine_of(database) == db.SQLITE:
        events = db.sqlite_audit_events(Path(database["NAME"]))
    else:
        events = db.pg_audit_events(database)
    if events:
        found.append(f"the database holds {events} audit events")
    blobs = {item.name for item in manifest.of_role(ROLE_BLOB)}
    store_root = data_dir / "files" / "sha256"
    extra = [p for p in store_root.glob("*/*/*") if p.is_file() and p.name not in blobs]
    if extra:
        found.append(f"{len(extra)} stored file(s) are not in this backup")
    found += [
        f"signing key file {name} is not the backup's" for name in _foreign_keys(manifest, key_dir)
    ]
    return found


def _foreign_keys(manifest: Manifest, key_dir: Path) -> list[str]:
    """Key files in ``key_dir`` that the backup does not hold as they are."""
    keys = {item.name: item.sha256 for item in manifest.of_role(ROLE_KEY)}
    paths = sorted(key_dir.glob("*.pem")) if key_dir.is_dir() else []
    return [p.name for p in paths if keys.get(p.name) != hash_file(p)[0]]


def _move_aside(path: Path, stamp: str, moved: list[str]) -> None:
    if path.exists():
        aside = path.with_name(f"{path.name}.before-restore-{stamp}")
        os.replace(path, aside)
        moved.append(str(aside))


def _install_file(store: BackupDirectory, item: Item, target: Path, identities: list) -> None:
    """Decrypt beside ``target``, prove the digest, then rename into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=".restoring-")
    os.close(fd)
    temporary = Path(name)
    try:
        _decrypt_to(store, item, temporary, identities)
        os.chmod(temporary, item.mode if item.mode is not None else 0o644)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)


def _checkpoint_claim(token: str, opened: Opened, pinned: dict | None) -> Checkpoint:
    anchors = pinned if pinned and pinned.get("keys") else opened.backup_jwks
    try:
        claim = parse_checkpoint(verify_jws(token, anchors).payload)
    except JwsError as exc:
        code = "checkpoint.other_node" if exc.kind == "unknown_key" else f"checkpoint.{exc.kind}"
        raise errors.checkpoint_unusable(
            code, f"its signature does not check against this node's keys ({exc.detail})"
        ) from exc
    except CheckpointError as exc:
        raise errors.checkpoint_unusable(exc.code, exc.message) from exc
    if claim.node != opened.manifest.node:
        raise errors.checkpoint_unusable(
            "checkpoint.other_node",
            f"it names node {claim.node!r}, the backup is of {opened.manifest.node!r}",
        )
    return claim


def backup_restore(
    *,
    dest: Path,
    identity_paths: list[Path],
    backup_id: str | None = None,
    checkpoint: str | None = None,
    no_checkpoint: bool = False,
    force: bool = False,
    jwks: dict | None = None,
) -> RestoreReport:
    """Bring the configured node (data directory, key directory, database) back from a backup.
    See the module docstring; ``checkpoint`` is the compact JWS of the newest checkpoint kept
    outside the node."""
    if checkpoint is None and not no_checkpoint:
        raise errors.checkpoint_required()
    identities = identities_from(identity_paths)
    store = BackupDirectory(Path(dest))
    backup = chosen_ids(store, backup_id, newest_only=True)[0]
    data_dir = Path(settings.TANGGUH_DATA_DIR).resolve()
    key_dir = Path(settings.TANGGUH_SIGNING_KEY_DIR).resolve()
    database = db.default_database()
    check = BackupCheck(backup)
    with _staging(data_dir) as staging:
        opened = _open(store, backup, identities, Path(staging), jwks, check)
        if opened is None or check.problems:
            raise errors.backup_invalid(backup, [str(p) for p in check.problems])
        manifest = opened.manifest
        # Cheap before anything changes: every object is there with its size (a flipped byte
        # is caught while decrypting, before its file is renamed into place).
        absent = [
            f"[backup.object_missing] {item.label}: {item.object} is missing or not of the "
            "size the manifest states"
            for item in manifest.items
            if not store.has(item.object)
            or store.path(item.object).stat().st_size != item.cipher_size
        ]
        if absent:
            raise errors.backup_invalid(backup, absent)
        if manifest.database_engine != db.engine_of(database):
            raise errors.database_dump_failed(
                f"the backup holds a {manifest.database_engine} database, the node is "
                f"configured for {db.engine_of(database)}"
            )
        occupied = _occupied(manifest, data_dir, key_dir, database)
        if occupied and not force:
            raise errors.target_not_empty(occupied)
        claim = _checkpoint_claim(checkpoint, opened, jwks) if checkpoint else None
        verdict = _prove_database(opened, check, claim)
        if check.problems:
            raise errors.backup_invalid(backup, [str(p) for p in check.problems])
        if verdict is not None and not force:
            raise errors.older_than_checkpoint(verdict.code, verdict.message)
        report = RestoreReport(
            backup_id=backup,
            audit_size=manifest.audit_size,
            audit_head=manifest.audit_head,
            signature_note=check.signature_note,
            checkpoint_note=(
                "no checkpoint given (--no-checkpoint)"
                if claim is None
                else f"checkpoint of {claim.size} events made {claim.time}: "
                + ("NOT extended (forced)" if verdict else "extended")
            ),
        )
        stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
        try:
            _install(store, opened, identities, data_dir, key_dir, database, force, stamp, report)
        except ObjectProblem as problem:
            raise errors.backup_invalid(backup, [f"[{problem.code}] {problem.detail}"]) from problem
    if verdict is not None:
        report.forced = f"{verdict.code}: {verdict.message}"
        audit_append(
            actor="cli",
            action="backup.restore_forced",
            object_type="backup",
            object_id=backup,
            payload={
                "backup": backup,
                "restored_head": {"size": manifest.audit_size, "hash": manifest.audit_head},
                "checkpoint": {
                    "size": claim.size,
                    "head_hash": claim.head_hash,
                    "time": claim.time,
                },
                "reason": verdict.code,
                "detail": verdict.message,
            },
        )
    return report


def _install(
    store: BackupDirectory,
    opened: Opened,
    identities: list,
    data_dir: Path,
    key_dir: Path,
    database: dict,
    force: bool,
    stamp: str,
    report: RestoreReport,
) -> None:
    manifest = opened.manifest
    blobs = BlobStore(data_dir / "files")
    for item in manifest.of_role(ROLE_BLOB):
        target = blobs.path(item.name)
        if target.is_file():
            report.files_present += 1
            continue
        _install_file(store, item, target, identities)
        report.files_restored += 1
    for item in manifest.of_role(ROLE_FILE):
        _install_file(store, item, data_dir / safe_relative_name(item.name), identities)
        report.other_files += 1
    if force and _foreign_keys(manifest, key_dir):
        _move_aside(key_dir, stamp, report.moved_aside)  # another key: kept, never deleted
    key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(key_dir, 0o700)
    for item in manifest.of_role(ROLE_KEY):
        staged = opened.keys_dir / item.name
        os.chmod(staged, item.mode if item.mode is not None else 0o600)
        shutil.copy2(staged, key_dir / f".{item.name}.restoring")
        os.replace(key_dir / f".{item.name}.restoring", key_dir / item.name)
        report.keys += 1
    fsync_dir(key_dir)
    connections["default"].close()
    if manifest.database_engine == db.SQLITE:
        target = Path(database["NAME"])
        if force:
            for sibling in db.sqlite_siblings(target):
                _move_aside(sibling, stamp, report.moved_aside)
        db.sqlite_install(opened.database_file, database)
    else:
        db.pg_restore(
            database,
            opened.database_file,
            clean=force or db.pg_has_tables(database),
        )
