"""Building and reading a bid package: a tar holding ``penawaran.json`` (checked by
``tangguh.domain.bid_package``) and the vendor's attachments.

The tar is deterministic (sorted names, zero times and owners), so the same directory packs to
the same bytes, and sealing the same package twice differs only by age's own randomness.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from tangguh.domain.bid_package import BidPackage, parse_penawaran
from tangguh.sealing.files import SealingFailure

MANIFEST = "penawaran.json"
MAX_PENAWARAN_BYTES = 20 * 1024 * 1024


def _files(directory: Path) -> Iterator[Path]:
    for path in sorted(directory.rglob("*")):
        if path.is_symlink():
            raise SealingFailure("package.symlink", f"{path} is a symbolic link; copy the file")
        if path.is_file():
            yield path


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = 0
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def build_package(directory: Path, target: BinaryIO) -> BidPackage:
    """Check ``directory/penawaran.json`` and write the package tar to ``target``."""
    directory = Path(directory)
    manifest = directory / MANIFEST
    if not manifest.is_file():
        raise SealingFailure("package.no_penawaran", f"{manifest} is missing")
    package = parse_penawaran(manifest.read_bytes())
    with tarfile.open(fileobj=target, mode="w", format=tarfile.PAX_FORMAT) as tar:
        data = manifest.read_bytes()
        tar.addfile(_info(MANIFEST, len(data)), io.BytesIO(data))
        for path in _files(directory):
            name = path.relative_to(directory).as_posix()
            if name == MANIFEST:
                continue
            with open(path, "rb") as handle:
                tar.addfile(_info(f"lampiran/{name}", path.stat().st_size), handle)
    return package


def read_penawaran(stream: BinaryIO) -> BidPackage:
    """The checked ``penawaran.json`` of an opened package (streamed; attachments skipped)."""
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                if member.name == MANIFEST and member.isfile():
                    if member.size > MAX_PENAWARAN_BYTES:
                        raise SealingFailure(
                            "package.penawaran_too_large", "penawaran.json is larger than 20 MB"
                        )
                    handle = tar.extractfile(member)
                    return parse_penawaran(handle.read() if handle else b"")
    except tarfile.TarError as exc:
        raise SealingFailure("package.not_tar", f"not a bid package tar: {exc}") from exc
    raise SealingFailure("package.no_penawaran", "the package holds no penawaran.json")
