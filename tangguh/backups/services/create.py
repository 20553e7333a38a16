"""``backup_create``: a consistent snapshot of the database and of every file that matters,
encrypted with age to the recovery recipients, incremental for files, and a manifest signed by
the node key written last.

Order matters. The database snapshot is taken first, then the file store is listed: stored
files are never changed or deleted and are written before any row points at them, so every
file the snapshot references is already in the listing. A file added later is simply extra.
"""

from __future__ import annotations

import os
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyrage
from django.conf import settings

from tangguh import __version__, clock
from tangguh.backups.services import database as db
from tangguh.backups.services import errors
from tangguh.backups.services.store import (
    NO_SPACE,
    BackupDirectory,
    StoredObject,
    hash_file,
)
from tangguh.backups.services.trust import jwks_of_directory
from tangguh.bids.services.receipts import rfc3339
from tangguh.core.blobs import BlobStore, node_blobs
from tangguh.core.errors import ServiceError
from tangguh.core.keys import node_keyring
from tangguh.core.signing import JwsError, b64url_decode, sign_payload, verify_jws
from tangguh.domain.backup_manifest import (
    DATABASE_NAMES,
    ROLE_BLOB,
    ROLE_DATABASE,
    ROLE_FILE,
    ROLE_KEY,
    Item,
    Manifest,
    ManifestError,
    backup_id,
    is_sha256,
    object_name,
    parse_manifest,
    recipient_set_id,
)
from tangguh.domain.sealing.keys import KeyFormatError, parse_recipient
from tangguh.organizations.selectors import node_get

# Under the data directory, these are not copied as plain files: the content store (its
# files are items of their own), unfinished resumable uploads (never acknowledged), static
# files (rebuilt from the code), and scratch places of backups and restores.
SKIPPED_TOP = {"files", "uploads", "static"}


@dataclass
class CreateReport:
    backup_id: str
    manifest_path: Path
    audit_size: int
    audit_head: str
    items: int = 0
    written: int = 0
    written_bytes: int = 0
    reused: int = 0
    reused_bytes: int = 0
    damaged: list[str] = field(default_factory=list)
    seconds: float = 0.0


def backup_recipients(given: list[str] | None) -> list[str]:
    """The recovery recipients: those given, else ``TANGGUH_BACKUP_RECIPIENTS``; each must be
    an age X25519 recipient."""
    raw = list(given or []) or list(getattr(settings, "TANGGUH_BACKUP_RECIPIENTS", []))
    recipients = sorted({r.strip() for r in raw if r.strip()})
    if not recipients:
        raise errors.no_recipients()
    for recipient in recipients:
        try:
            parse_recipient(recipient)
        except KeyFormatError as exc:
            raise errors.bad_recipient(recipient) from exc
    return recipients


def _inside(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def check_destination(dest: Path) -> Path:
    dest = Path(dest).expanduser().resolve()
    for place in (Path(settings.TANGGUH_DATA_DIR), Path(settings.TANGGUH_SIGNING_KEY_DIR)):
        place = place.resolve()
        if _inside(dest, place) or _inside(place, dest):
            raise errors.destination_inside_data(str(dest), str(place))
    return dest


def _node() -> tuple[str, str]:
    node = node_get()
    if node is not None:
        return node.name, node.ocds_prefix
    return settings.TANGGUH_NODE_NAME, settings.TANGGUH_OCDS_PREFIX


def _next_id(store: BackupDirectory, moment) -> str:
    """A backup id that sorts after every backup already in ``store`` (ids made in the same
    second — a frozen test clock, a quick retry — count up in their suffix)."""
    prefix = backup_id(moment, "000000")[:-6]
    same = [int(i[-6:], 16) for i in store.manifest_ids() if i.startswith(prefix)]
    return backup_id(moment, f"{max(same, default=-1) + 1:06x}")


def _previous_objects(store: BackupDirectory, recipient_set: str) -> dict[str, tuple[str, int]]:
    """plain SHA-256 → (cipher SHA-256, size) from the newest manifest to the same recipients
    whose signature checks with this node's keys, so unchanged objects are not re-read."""
    jwks = jwks_of_directory(Path(settings.TANGGUH_SIGNING_KEY_DIR))
    for previous in reversed(store.manifest_ids()):
        try:
            manifest = parse_manifest(verify_jws(store.read_manifest(previous), jwks).payload)
        except (JwsError, ManifestError, OSError, ValueError):
            continue
        if manifest.recipient_set == recipient_set:
            return {i.sha256: (i.cipher_sha256, i.cipher_size) for i in manifest.items}
    return {}


class _Writer:
    """Turns plain files and streams into items, encrypting only what the directory lacks."""

    def __init__(self, store: BackupDirectory, recipients: list[str], report: CreateReport):
        self.store = store
        self.recipients = [pyrage.x25519.Recipient.from_str(r) for r in recipients]
        self.recipient_set = recipient_set_id(recipients)
        self.previous = _previous_objects(store, self.recipient_set)
        self.report = report

    def _item(self, role: str, name: str, stored: StoredObject, mode: int | None) -> Item:
        if stored.written:
            self.report.written += 1
            self.report.written_bytes += stored.cipher_size
        else:
            self.report.reused += 1
            self.report.reused_bytes += stored.cipher_size
        self.report.items += 1
        return Item(
            role=role,
            name=name,
            sha256=stored.sha256,
            size=stored.size,
            cipher_sha256=stored.cipher_sha256,
            cipher_size=stored.cipher_size,
            object=stored.name,
            mode=mode,
        )

    def _existing(self, sha256: str, size: int) -> StoredObject | None:
        name = object_name(self.recipient_set, sha256)
        path = self.store.path(name)
        if not path.is_file():
            return None
        known = self.previous.get(sha256)
        if known is not None and path.stat().st_size == known[1]:
            cipher_sha, cipher_size = known
        else:  # left by an interrupted backup: complete (renamed only when whole), not indexed
            cipher_sha, cipher_size = hash_file(path)
        return StoredObject(name, sha256, size, cipher_sha, cipher_size, written=False)

    def file(self, role: str, name: str, path: Path, *, sha256: str | None = None) -> Item:
        mode = stat.S_IMODE(path.stat().st_mode) if role in (ROLE_KEY, ROLE_FILE) else None
        if sha256 is None:
            sha256, size = hash_file(path)
        else:
            size = path.stat().st_size
        stored = self._existing(sha256, size)
        if stored is None:
            with open(path, "rb") as source:
                stored = self.store.encrypt(
                    source, recipients=self.recipients, recipient_set=self.recipient_set
                )
        return self._item(role, name, stored, mode)

    def stream(self, role: str, name: str, source) -> Item:
        stored = self.store.encrypt(
            source, recipients=self.recipients, recipient_set=self.recipient_set
        )
        return self._item(role, name, stored, None)


def _blob_paths(store: BlobStore) -> Iterator[tuple[str, Path]]:
    root = store.root / "sha256"
    if not root.is_dir():
        return
    for path in sorted(root.glob("*/*/*")):
        if path.is_file() and is_sha256(path.name) and store.path(path.name) == path:
            yield path.name, path


def _key_paths(key_dir: Path) -> Iterator[Path]:
    if not key_dir.is_dir():
        return
    for path in sorted(key_dir.iterdir()):
        if path.is_file() and (path.name == "active" or path.name.endswith(".pem")):
            yield path


def _other_files(data_dir: Path, database: dict) -> Iterator[tuple[str, Path]]:
    """Every other regular file under the data directory that a node needs back (its secret
    key, kept mail, …), minus the database, the content store and scratch places."""
    skipped = {data_dir / name for name in SKIPPED_TOP}
    skipped.add(Path(settings.TANGGUH_SIGNING_KEY_DIR).resolve())
    if db.engine_of(database) == db.SQLITE:
        skipped.update(p.resolve() for p in db.sqlite_siblings(Path(database["NAME"])))
    for directory, subdirs, files in os.walk(data_dir):
        here = Path(directory)
        subdirs[:] = sorted(
            d
            for d in subdirs
            if here / d not in skipped and not d.startswith(".") and ".before-restore-" not in d
        )
        for name in sorted(files):
            path = here / name
            if path in skipped or name.startswith(".") or ".before-restore-" in name:
                continue
            if name.endswith((".sqlite3", "-wal", "-shm", "-journal")):
                continue  # a database file (a test or an old one): never copied while live
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(data_dir).as_posix(), path


def _database_item(
    writer: _Writer, database: dict, scratch: Path
) -> tuple[Item, db.AuditHeadValue]:
    if db.engine_of(database) == db.SQLITE:
        copy = scratch / DATABASE_NAMES[db.SQLITE]
        head = db.sqlite_snapshot(database, copy)
        item = writer.file(ROLE_DATABASE, copy.name, copy)
        copy.unlink()
        return item, head
    return db.pg_dump_into(
        database, lambda stream: writer.stream(ROLE_DATABASE, DATABASE_NAMES[db.POSTGRESQL], stream)
    )


def _storage_error(exc: OSError) -> ServiceError:
    detail = f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    if exc.errno in NO_SPACE:
        return errors.no_space(detail)
    return errors.write_failed(detail)


def backup_create(*, dest: Path, recipients: list[str] | None = None) -> CreateReport:
    """Write one backup into ``dest`` (see the module docstring and the ADR 0702)."""
    started = time.monotonic()
    recipient_list = backup_recipients(recipients)
    dest = check_destination(dest)
    data_dir = Path(settings.TANGGUH_DATA_DIR).resolve()
    key_dir = Path(settings.TANGGUH_SIGNING_KEY_DIR).resolve()
    database = db.default_database()
    engine = db.engine_of(database)
    # The key that signs the manifest must be in the backup: make sure it exists before the
    # key directory is listed.
    node_keyring().ensure()
    store = BackupDirectory(dest)
    try:
        store.ensure_layout()
    except OSError as exc:
        raise _storage_error(exc) from exc
    with store.lock() as locked:
        if not locked:
            raise errors.locked(str(dest))
        store.clear_tmp()
        created = clock.now()
        identifier = _next_id(store, created)
        report = CreateReport(identifier, store.path(f"manifests/{identifier}.jws"), 0, "")
        try:
            writer = _Writer(store, recipient_list, report)
            data_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=data_dir, prefix=".backup-") as scratch:
                database_item, head = _database_item(writer, database, Path(scratch))
            items = [database_item]
            for sha256, path in _blob_paths(node_blobs()):
                item = writer.file(ROLE_BLOB, sha256, path, sha256=sha256)
                if item.sha256 != sha256:
                    report.damaged.append(sha256)  # the stored bytes no longer match their name
                    continue
                items.append(item)
            items += [writer.file(ROLE_KEY, p.name, p) for p in _key_paths(key_dir)]
            items += [writer.file(ROLE_FILE, n, p) for n, p in _other_files(data_dir, database)]
            node, prefix = _node()
            manifest = Manifest(
                id=identifier,
                node=node,
                ocds_prefix=prefix,
                created_at=rfc3339(created),
                version=__version__,
                database_engine=engine,
                audit_size=head.size,
                audit_head=head.hash,
                recipients=tuple(recipient_list),
                items=tuple(items),
                damaged=tuple(report.damaged),
            )
            report.manifest_path = store.write_manifest(
                identifier, sign_payload(manifest.payload())
            )
        except OSError as exc:
            raise _storage_error(exc) from exc
        finally:
            store.clear_tmp()
    report.audit_size, report.audit_head = head.size, head.hash
    report.seconds = time.monotonic() - started
    return report


def manifest_payload_unverified(token: str) -> dict:
    """The payload of a manifest JWS before its signature can be checked (a restore needs the
    key items listed in it to get the keys that check it)."""
    import json

    parts = token.strip().split(".")
    if len(parts) != 3:
        raise ManifestError("backup.manifest_malformed", "not a compact JWS")
    try:
        payload = json.loads(b64url_decode(parts[1]))
    except ValueError as exc:
        raise ManifestError("backup.manifest_malformed", f"undecodable JWS: {exc}") from exc
    return payload
