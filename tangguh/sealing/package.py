"""Building and reading a bid package: a tar holding ``penawaran.json`` (checked by
``tangguh.domain.bid_package``) and the vendor's attachments.

A package about to be sealed (``build_package``, or a tar checked with ``read_penawaran(…,
sealing=True)``) must be in the current ``penawaran.json`` version, as the sealing page asks:
a version 1 document would still open, but its guarantee's amount and validity would be
unknown to the Pokja, and the vendor can fix that only before sealing. Opening reads with
``sealing=False`` and still takes version 1, so a bid sealed before the upgrade opens.

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
    """Check ``directory/penawaran.json`` (current version only: it is about to be sealed) and
    write the package tar to ``target``."""
    directory = Path(directory)
    manifest = directory / MANIFEST
    if not manifest.is_file():
        raise SealingFailure("package.no_penawaran", f"{manifest} is missing")
    data = manifest.read_bytes()  # read once: the bytes checked are the bytes packed
    package = parse_penawaran(data, sealing=True)
    with tarfile.open(fileobj=target, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(_info(MANIFEST, len(data)), io.BytesIO(data))
        for path in _files(directory):
            name = path.relative_to(directory).as_posix()
            if name == MANIFEST:
                continue
            with open(path, "rb") as handle:
                tar.addfile(_info(f"lampiran/{name}", path.stat().st_size), handle)
    return package


def read_penawaran(stream: BinaryIO, *, sealing: bool = False) -> BidPackage:
    """The checked ``penawaran.json`` of a package tar (streamed; attachments skipped).

    ``sealing``: the tar is about to be sealed, so only the current version is taken; opening
    (the default) reads version 1 too."""
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                if member.name == MANIFEST and member.isfile():
                    if member.size > MAX_PENAWARAN_BYTES:
                        raise SealingFailure(
                            "package.penawaran_too_large", "penawaran.json is larger than 20 MB"
                        )
                    handle = tar.extractfile(member)
                    return parse_penawaran(handle.read() if handle else b"", sealing=sealing)
    except tarfile.TarError as exc:
        raise SealingFailure("package.not_tar", f"not a bid package tar: {exc}") from exc
    raise SealingFailure("package.no_penawaran", "the package holds no penawaran.json")
