"""The backup directory on disk: encrypted objects named by their plain SHA-256, signed
manifests, a lock, and careful writing (temporary name, fsync, rename, fsync the directory).

Nothing here knows about Django; the layout is in ``tangguh.domain.backup_manifest``.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyrage

from tangguh.domain.backup_manifest import (
    MANIFEST_DIR,
    MANIFEST_SUFFIX,
    MARKER_NAME,
    OBJECT_DIR,
    Item,
    is_backup_id,
    manifest_name,
    object_name,
)

CHUNK = 1024 * 1024
MARKER_TEXT = """Tangguh backup directory (docs/operations.md "Backups").

objects/    every item, encrypted with age to the recovery recipients, named by its SHA-256
manifests/  one manifest per backup: a JWS signed by the node key (written last)

Check without the recovery key:  tangguh backup verify THIS_DIRECTORY
Restore with it:                 tangguh backup restore THIS_DIRECTORY --identity FILE
"""
NO_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class ObjectProblem(Exception):
    """One object that does not check: missing, wrong size or digest, will not decrypt."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class HashingReader:
    """A reader that hashes and counts what passes through it."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.digest.update(data)
        self.size += len(data)
        return data

    def drain(self) -> None:
        while self.read(CHUNK):
            pass


class HashingWriter:
    """A writer that hashes and counts what passes through it, and keeps the first error of
    the file underneath (pyrage reports a failed write as its own error type)."""

    def __init__(self, raw: BinaryIO | None) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0
        self.error: OSError | None = None

    def write(self, data: bytes) -> int:
        if self.raw is not None:
            try:
                self.raw.write(data)
            except OSError as exc:
                self.error = self.error or exc
                raise
        self.digest.update(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        if self.raw is not None:
            self.raw.flush()


@dataclass(frozen=True)
class StoredObject:
    name: str
    sha256: str
    size: int
    cipher_sha256: str
    cipher_size: int
    written: bool  # False when an equal object was already there


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


class BackupDirectory:
    """One ``DEST``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.tmp = self.root / "tmp"

    # --- layout and lock ------------------------------------------------------------------

    def exists(self) -> bool:
        return (self.root / MANIFEST_DIR).is_dir()

    def ensure_layout(self) -> None:
        for directory in (self.root, self.root / MANIFEST_DIR, self.root / OBJECT_DIR, self.tmp):
            directory.mkdir(parents=True, exist_ok=True)
        marker = self.root / MARKER_NAME
        if not marker.exists():
            self._write_atomic(marker, MARKER_TEXT.encode())

    @contextmanager
    def lock(self) -> Iterator[bool]:
        """Hold the directory's lock for one writer; yields False if another holds it."""
        handle = open(self.root / ".lock", "a+b")  # noqa: SIM115 - held for the whole block
        try:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            handle.close()

    def clear_tmp(self) -> None:
        """Remove what an interrupted writer left (only ever temporary names)."""
        if self.tmp.is_dir():
            for leftover in self.tmp.iterdir():
                if leftover.is_file():
                    leftover.unlink(missing_ok=True)

    # --- manifests ------------------------------------------------------------------------

    def manifest_ids(self) -> list[str]:
        """Every complete backup, oldest first (a manifest exists only once it was renamed)."""
        directory = self.root / MANIFEST_DIR
        if not directory.is_dir():
            return []
        ids = [
            path.name.removesuffix(MANIFEST_SUFFIX)
            for path in directory.iterdir()
            if path.name.endswith(MANIFEST_SUFFIX)
        ]
        return sorted(i for i in ids if is_backup_id(i))

    def read_manifest(self, backup: str) -> str:
        return (self.root / manifest_name(backup)).read_text(encoding="ascii").strip()

    def write_manifest(self, backup: str, token: str) -> Path:
        path = self.root / manifest_name(backup)
        self._write_atomic(path, token.encode("ascii") + b"\n")
        return path

    def _write_atomic(self, path: Path, data: bytes) -> None:
        self.tmp.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.tmp, prefix=".write-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(name, path)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        fsync_dir(path.parent)

    # --- objects --------------------------------------------------------------------------

    def path(self, name: str) -> Path:
        return self.root / name

    def has(self, name: str) -> bool:
        return self.path(name).is_file()

    def encrypt(self, source: BinaryIO, *, recipients: list, recipient_set: str) -> StoredObject:
        """Encrypt ``source`` (streamed) into the object named by its plain SHA-256. If that
        object appears meanwhile (an equal file) the new copy is dropped and the old one kept."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.tmp, prefix=".object-")
        temporary = Path(name)
        reader = HashingReader(source)
        try:
            with os.fdopen(fd, "wb") as raw:
                writer = HashingWriter(raw)
                try:
                    pyrage.encrypt_io(reader, writer, recipients)
                except OSError:
                    raise
                except Exception as exc:  # pyrage wraps a failed write in its own error
                    if writer.error is not None:
                        raise writer.error from exc
                    raise
                raw.flush()
                os.fsync(raw.fileno())
            object_path = object_name(recipient_set, reader.digest.hexdigest())
            final = self.path(object_path)
            if final.is_file():
                temporary.unlink()
                cipher_sha, cipher_size = hash_file(final)
                written = False
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(temporary, final)
                fsync_dir(final.parent)
                cipher_sha, cipher_size = writer.digest.hexdigest(), writer.size
                written = True
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return StoredObject(
            name=object_path,
            sha256=reader.digest.hexdigest(),
            size=reader.size,
            cipher_sha256=cipher_sha,
            cipher_size=cipher_size,
            written=written,
        )

    def check(self, item: Item) -> None:
        """The object of ``item`` is there with the size and SHA-256 the manifest states."""
        path = self.path(item.object)
        try:
            size = path.stat().st_size
        except FileNotFoundError as exc:
            raise ObjectProblem("backup.object_missing", f"{item.object} is missing") from exc
        if size != item.cipher_size:
            raise ObjectProblem(
                "backup.object_size",
                f"{item.object} has {size} bytes, the manifest says {item.cipher_size}",
            )
        digest, _ = hash_file(path)
        if digest != item.cipher_sha256:
            raise ObjectProblem(
                "backup.object_digest",
                f"{item.object}: ciphertext SHA-256 is {digest}, the manifest says "
                f"{item.cipher_sha256} (altered or damaged)",
            )

    def decrypt(self, item: Item, target: BinaryIO | None, identities: list) -> None:
        """Decrypt ``item`` into ``target`` (or only hash it when None), streaming, proving on
        the way the ciphertext's and the plain bytes' size and SHA-256. The caller discards
        what was written if this raises."""
        try:
            raw = open(self.path(item.object), "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError as exc:
            raise ObjectProblem("backup.object_missing", f"{item.object} is missing") from exc
        with raw:
            reader = HashingReader(raw)
            writer = HashingWriter(target)
            try:
                pyrage.decrypt_io(reader, writer, identities)
            except (pyrage.DecryptError, OSError) as exc:
                if writer.error is not None:  # the target failed (a full disk), not the object
                    raise writer.error from exc
                reader.drain()
                if reader.digest.hexdigest() != item.cipher_sha256:
                    raise ObjectProblem(
                        "backup.object_digest",
                        f"{item.label} ({item.object}): ciphertext SHA-256 does not match the "
                        "manifest (altered or damaged)",
                    ) from exc
                if isinstance(exc, pyrage.DecryptError):
                    raise ObjectProblem(
                        "backup.wrong_key",
                        f"{item.object}: the recovery identity does not open it ({exc})",
                    ) from exc
                raise ObjectProblem(
                    "backup.decrypt_failed", f"{item.object}: does not decrypt ({exc})"
                ) from exc
            reader.drain()
        if reader.size != item.cipher_size or reader.digest.hexdigest() != item.cipher_sha256:
            raise ObjectProblem(
                "backup.object_digest",
                f"{item.label} ({item.object}): ciphertext SHA-256 or size does not match the "
                "manifest",
            )
        if writer.size != item.size or writer.digest.hexdigest() != item.sha256:
            raise ObjectProblem(
                "backup.plain_digest",
                f"{item.label}: decrypted bytes have SHA-256 {writer.digest.hexdigest()} "
                f"({writer.size} bytes), the manifest says {item.sha256} ({item.size} bytes)",
            )
