"""Content-addressed file storage: bytes stored once under their SHA-256, streamed, fsynced.

A file is written to a temporary name while its hash is computed, fsynced, then renamed to
``<root>/sha256/ab/cd/<hash>`` and the directory fsynced: after ``put`` returns, the bytes
survive a crash, and a crash before never leaves a half file under a real name.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024


class BlobTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


class BlobDigestMismatch(Exception):
    """The stream's SHA-256 is not the one its sender declared; nothing was stored."""

    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(f"expected sha256 {expected}, got {actual}")
        self.expected = expected
        self.actual = actual


@dataclass(frozen=True)
class Blob:
    sha256: str
    size: int
    head: bytes  # the first bytes, for type sniffing


WRITEBACK_EVERY = 8 * CHUNK


def _start_writeback(fd: int, start: int, end: int) -> None:
    """Ask the kernel to begin writing ``[start, end)`` of a file to disk now, without waiting,
    so that the final fsync of a large file has little left to wait for and the disk works
    while the next bytes arrive (Linux: ``POSIX_FADV_DONTNEED`` starts writeback of the dirty
    pages; pages still dirty stay cached). Only a hint: durability comes from the fsync.
    Measured in bench/bids_decrypt.py and bench/bids_ingest.py (docs/bids.md, Performance)."""
    if hasattr(os, "posix_fadvise"):  # not on macOS
        with contextlib.suppress(OSError):
            os.posix_fadvise(fd, start, end - start, os.POSIX_FADV_DONTNEED)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_directory(path: Path) -> None:
    """Make a rename or unlink in ``path`` durable (other on-disk state uses it too)."""
    _fsync_dir(path)


class _HashingFile(io.RawIOBase):
    """The raw file under ``put_written``: every write is counted, hashed and written through."""

    def __init__(self, fd: int, max_size: int) -> None:
        self.fd = fd
        self.max_size = max_size
        self.digest = hashlib.sha256()
        self.size = 0
        self.head = b""
        self.written_back = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        self.size += len(view)
        if self.size > self.max_size:
            raise BlobTooLarge(self.max_size)
        if len(self.head) < 16:
            self.head = (self.head + bytes(view[:16]))[:16]
        self.digest.update(view)
        written = 0
        while written < len(view):
            written += os.write(self.fd, view[written:])
        if self.size - self.written_back >= WRITEBACK_EVERY:
            _start_writeback(self.fd, self.written_back, self.size)
            self.written_back = self.size
        return len(view)


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / "sha256" / sha256[:2] / sha256[2:4] / sha256

    def put(
        self, chunks: Iterable[bytes], *, max_size: int, expect_sha256: str | None = None
    ) -> Blob:
        """Store a stream; refuse it (storing nothing) once it passes ``max_size`` bytes, or
        at its end when its SHA-256 is not ``expect_sha256`` (a file nobody declared would sit
        in the store referenced by nothing)."""
        incoming = self.root / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        written_back = 0
        head = b""
        fd, tmp_name = tempfile.mkstemp(dir=incoming)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if size > max_size:
                        raise BlobTooLarge(max_size)
                    if len(head) < 16:
                        head = (head + chunk)[:16]
                    digest.update(chunk)
                    out.write(chunk)
                    if size - written_back >= WRITEBACK_EVERY:
                        out.flush()
                        _start_writeback(out.fileno(), written_back, size)
                        written_back = size
                if expect_sha256 is not None and digest.hexdigest() != expect_sha256:
                    raise BlobDigestMismatch(expect_sha256, digest.hexdigest())
                out.flush()
                os.fsync(out.fileno())
            self._commit(tmp, digest.hexdigest())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return Blob(sha256=digest.hexdigest(), size=size, head=head)

    def put_written(self, fill: Callable[[BinaryIO], object], *, max_size: int) -> Blob:
        """Store what ``fill`` writes into the file it is handed, for producers that push (a
        decrypter writing its output): hashed on the way and written once, through a 1 MiB
        buffer, then fsynced and renamed as ``put`` does. If ``fill`` raises, or passes
        ``max_size`` (``BlobTooLarge``), nothing is stored."""
        incoming = self.root / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=incoming)
        tmp = Path(tmp_name)
        try:
            sink = _HashingFile(fd, max_size)
            buffered = io.BufferedWriter(sink, buffer_size=CHUNK)
            fill(buffered)
            buffered.flush()
            os.fsync(fd)
            self._commit(tmp, sink.digest.hexdigest())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        finally:
            os.close(fd)
        return Blob(sha256=sink.digest.hexdigest(), size=sink.size, head=sink.head)

    def _commit(self, tmp: Path, sha256: str) -> None:
        """Rename a complete, fsynced temporary file to its hash (or drop it if stored)."""
        final = self.path(sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            tmp.unlink()
        else:
            os.replace(tmp, final)
            _fsync_dir(final.parent)

    def adopt(self, source: Path, *, sha256: str) -> Path:
        """Take a finished, fsynced file whose SHA-256 the caller has just computed (a
        resumable upload's partial file) by rename, so its bytes are not copied a second time.

        The caller must hold the file still (no writer) between hashing and adopting. If the
        hash is already stored the source is removed. Across file systems a rename is
        impossible; then the bytes are streamed into the store once more (and re-hashed), and
        a different hash raises ``ValueError``.
        """
        final = self.path(sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            source.unlink()
            return final
        try:
            os.replace(source, final)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            with open(source, "rb") as handle:
                blob = self.put_file(handle, max_size=os.fstat(handle.fileno()).st_size)
            source.unlink()
            if blob.sha256 != sha256:
                raise ValueError("the adopted file's SHA-256 is not the declared one") from exc
            return final
        _fsync_dir(final.parent)
        return final

    def put_file(self, handle: BinaryIO, *, max_size: int) -> Blob:
        return self.put(iter(lambda: handle.read(CHUNK), b""), max_size=max_size)

    def open(self, sha256: str, *, buffering: int = -1) -> BinaryIO:
        return open(self.path(sha256), "rb", buffering=buffering)

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def iter_chunks(self, sha256: str) -> Iterator[bytes]:
        with self.open(sha256) as handle:
            yield from iter(lambda: handle.read(CHUNK), b"")


def node_blobs() -> BlobStore:
    from django.conf import settings

    return BlobStore(settings.TANGGUH_DATA_DIR / "files")
