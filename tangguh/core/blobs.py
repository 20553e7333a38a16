"""Content-addressed file storage: bytes stored once under their SHA-256, streamed, fsynced.

A file is written to a temporary name while its hash is computed, fsynced, then renamed to
``<root>/sha256/ab/cd/<hash>`` and the directory fsynced: after ``put`` returns, the bytes
survive a crash, and a crash before never leaves a half file under a real name.
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024


class BlobTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class Blob:
    sha256: str
    size: int
    head: bytes  # the first bytes, for type sniffing


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_directory(path: Path) -> None:
    """Make a rename or unlink in ``path`` durable (other on-disk state uses it too)."""
    _fsync_dir(path)


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / "sha256" / sha256[:2] / sha256[2:4] / sha256

    def put(self, chunks: Iterable[bytes], *, max_size: int) -> Blob:
        """Store a stream; refuse it (storing nothing) once it passes ``max_size`` bytes."""
        incoming = self.root / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
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
                out.flush()
                os.fsync(out.fileno())
            final = self.path(digest.hexdigest())
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.exists():
                tmp.unlink()
            else:
                os.replace(tmp, final)
                _fsync_dir(final.parent)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return Blob(sha256=digest.hexdigest(), size=size, head=head)

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

    def open(self, sha256: str) -> BinaryIO:
        return open(self.path(sha256), "rb")

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def iter_chunks(self, sha256: str) -> Iterator[bytes]:
        with self.open(sha256) as handle:
            yield from iter(lambda: handle.read(CHUNK), b"")


def node_blobs() -> BlobStore:
    from django.conf import settings

    return BlobStore(settings.TANGGUH_DATA_DIR / "files")
