"""Opening decrypt benchmark: the opening's streaming decrypt (``_decrypt_to_blob`` in
``tangguh/bids/services/opening.py``: the sealed envelope from content storage, decrypted with
the rebuilt identity, the plaintext stored in content storage) vs raw pyrage ``decrypt_io``
file-to-file, on the same files, in the same run.

    .venv/bin/python bench/bids_decrypt.py --runs 5

Two sets: one 1 GiB envelope, and 20 envelopes of 50 MiB opened one after the other (the
opening opens the envelopes of a tender in turn). Before each measurement the outputs of the
previous one are deleted, dirty pages synced and a few GiB of memory touched and freed; the
modes alternate (raw, opening / opening, raw …). ``--variants`` adds two diagnostic modes: raw
with the SHA-256 and fsync the store needs, and a one-pass version of the opening's function
(decrypt straight into the store's hashed temporary file: the fix proposed when the ratio is
under target). Data under --workdir (in /tmp), deleted at the end unless --keep.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyrage
from bids_ingest import (  # bench/ is sys.path[0]
    MB,
    MIB,
    TIME_BUDGET_S,
    load_average,
    load_identity,
    make_envelopes,
    own_cpu_seconds,
    settle,
    spread,
)
from search_bench import ROOT, node_env

BLOCK = 1024 * 1024


def setup_django(workdir: Path, pythonpath: Path | None = None) -> None:
    """The node's settings (production) with its data directory in the workdir; no database
    is touched: the decrypt function reads and writes content storage only. ``pythonpath``:
    import the ``tangguh`` package from there (to measure a proposed change)."""
    os.environ.update(node_env(workdir, None))
    os.environ["DJANGO_SETTINGS_MODULE"] = "tangguh.settings"
    sys.path.insert(0, str(ROOT))
    if pythonpath:
        sys.path.insert(0, str(pythonpath.resolve()))
        for name in [m for m in sys.modules if m == "tangguh" or m.startswith("tangguh.")]:
            del sys.modules[name]  # imported by search_bench (pure modules): import them anew
    import django

    django.setup()
    import tangguh.bids.services.opening  # noqa: F401 - imported here, not in the first timing


def deposit(store, manifest_files: list[dict]) -> list[dict]:
    """Move the sealed files into content storage, where the opening reads them."""
    placed = []
    for file in manifest_files:
        final = store.path(file["sha256"])
        final.parent.mkdir(parents=True, exist_ok=True)
        if not final.exists():
            os.replace(file["path"], final)
        placed.append(dict(file, path=str(final)))
    return placed


# --- the modes ------------------------------------------------------------------------------


def opening_mode(files: list[dict], identity, out_dir: Path, store) -> list[tuple[str, int]]:
    from tangguh.bids.models import Envelope
    from tangguh.bids.services.opening import _decrypt_to_blob

    stored = []
    for file in files:
        blob = _decrypt_to_blob(Envelope(sha256=file["sha256"]), identity)
        stored.append((str(store.path(blob.sha256)), blob.size))
    return stored


def raw_mode(files: list[dict], identity, out_dir: Path, store) -> list[tuple[str, int]]:
    written = []
    for number, file in enumerate(files):
        target = out_dir / f"plain-{number:02d}"
        with open(file["path"], "rb") as sealed, open(target, "wb") as plain:
            pyrage.decrypt_io(sealed, plain, [identity])
        written.append((str(target), target.stat().st_size))
    return written


class _HashingRaw(io.RawIOBase):
    """A raw file that hashes what is written to it (behind a 1 MiB ``BufferedWriter``, so
    pyrage's 8 KiB writes reach it in 1 MiB blocks)."""

    def __init__(self, fd: int, writeback_every: int = 0) -> None:
        self.fd = fd
        self.digest = hashlib.sha256()
        self.size = 0
        self.writeback_every = writeback_every
        self.flushed = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        view = memoryview(data)
        self.digest.update(view)
        written = 0
        while written < len(view):
            written += os.write(self.fd, view[written:])
        self.size += written
        if self.writeback_every and self.size - self.flushed >= self.writeback_every:
            # start writing back what is written so far (Linux: FADV_DONTNEED begins writeback
            # of dirty pages without waiting), so the final fsync has little left to wait for
            os.posix_fadvise(
                self.fd, self.flushed, self.size - self.flushed, os.POSIX_FADV_DONTNEED
            )
            self.flushed = self.size
        return written


def raw_fsync_mode(files: list[dict], identity, out_dir: Path, store) -> list[tuple[str, int]]:
    """Diagnostic: raw decrypt_io plus what content storage adds (SHA-256, fsync)."""
    written = []
    for number, file in enumerate(files):
        target = out_dir / f"plain-{number:02d}"
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        raw = _HashingRaw(fd)
        try:
            with open(file["path"], "rb") as sealed:
                buffered = io.BufferedWriter(raw, buffer_size=BLOCK)
                pyrage.decrypt_io(sealed, buffered, [identity])
                buffered.flush()
            os.fsync(fd)
        finally:
            os.close(fd)
        written.append((str(target), raw.size))
    return written


def one_pass_decrypt_to_blob(store, sha256: str, identity, writeback_every: int = 0):
    """The proposed ``_decrypt_to_blob``: decrypt once, straight into the store's temporary
    file, hashing on the way; fsync, rename, fsync the directory (as ``BlobStore.put``); the
    sealed file read through a 1 MiB buffer."""
    from tangguh.core.blobs import Blob, _fsync_dir

    incoming = store.root / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=incoming)
    tmp = Path(tmp_name)
    try:
        raw = _HashingRaw(fd, writeback_every)
        # 1 MiB buffers on both sides: pyrage reads and writes in 8 KiB calls
        with open(store.path(sha256), "rb", buffering=BLOCK) as sealed:
            buffered = io.BufferedWriter(raw, buffer_size=BLOCK)
            pyrage.decrypt_io(sealed, buffered, [identity])
            buffered.flush()
        os.fsync(fd)
        os.close(fd)
        fd = -1
        final = store.path(raw.digest.hexdigest())
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            tmp.unlink()
        else:
            os.replace(tmp, final)
            _fsync_dir(final.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        if fd >= 0:
            os.close(fd)
    return Blob(sha256=raw.digest.hexdigest(), size=raw.size, head=b"")


def one_pass_mode(files: list[dict], identity, out_dir: Path, store) -> list[tuple[str, int]]:
    stored = []
    for file in files:
        blob = one_pass_decrypt_to_blob(store, file["sha256"], identity)
        stored.append((str(store.path(blob.sha256)), blob.size))
    return stored


def one_pass_writeback_mode(files, identity, out_dir: Path, store) -> list[tuple[str, int]]:
    stored = []
    for file in files:
        blob = one_pass_decrypt_to_blob(store, file["sha256"], identity, 8 * BLOCK)
        stored.append((str(store.path(blob.sha256)), blob.size))
    return stored


MODES = {
    "raw": raw_mode,
    "opening": opening_mode,
    "raw+sha+fsync": raw_fsync_mode,
    "one-pass": one_pass_mode,
    "one-pass+wb": one_pass_writeback_mode,
}


# --- the run ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--big-mib", type=int, default=1024)
    parser.add_argument("--small-mib", type=int, default=50)
    parser.add_argument("--count", type=int, default=20, help="envelopes of --small-mib")
    parser.add_argument("--sets", default="one,many", help="one (1 big), many (--count small)")
    parser.add_argument("--warm-gib", type=float, default=3.0)
    parser.add_argument("--variants", action="store_true", help="add the diagnostic modes")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tangguh-bids-decrypt-bench"))  # noqa: S108
    parser.add_argument(
        "--pythonpath", type=Path, help="import the tangguh package from this directory"
    )
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    signal.alarm(TIME_BUDGET_S)

    workdir = args.workdir
    (workdir / "data").mkdir(parents=True, exist_ok=True)
    setup_django(workdir, args.pythonpath)
    import tangguh
    from tangguh.core.blobs import node_blobs

    print(f"tangguh from {Path(tangguh.__file__).parent}", flush=True)

    store = node_blobs()
    identity = load_identity(workdir)
    manifest = make_envelopes(
        workdir / "envelopes", identity.to_public(), args.big_mib, args.small_mib, args.count
    )
    sets = {
        "one": deposit(store, [manifest["big"]]),
        "many": deposit(store, manifest["small"]),
    }
    plain_sizes = {"one": args.big_mib * MIB, "many": args.small_mib * MIB}
    chosen_sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    modes = ["raw", "opening"] + (
        ["raw+sha+fsync", "one-pass", "one-pass+wb"] if args.variants else []
    )
    out_dir = workdir / "raw-out"
    results = {s: {k: [] for m in modes for k in (m, f"{m} cpu")} for s in chosen_sets}
    print(f"load average before: {load_average()}", flush=True)
    try:
        for number in range(1, args.runs + 1):
            order = modes if number % 2 else list(reversed(modes))
            for name in chosen_sets:
                files = sets[name]
                sealed_bytes = sum(f["size"] for f in files)
                for mode in order:
                    out_dir.mkdir(parents=True, exist_ok=True)
                    settle(args.warm_gib)
                    cpu_before = own_cpu_seconds()
                    started = time.perf_counter()
                    outputs = MODES[mode](files, identity, out_dir, store)
                    seconds = time.perf_counter() - started
                    cpu = (own_cpu_seconds() - cpu_before) / (sealed_bytes / 2**30)
                    for path, size in outputs:
                        assert size == plain_sizes[name], (mode, path, size)
                        Path(path).unlink()
                    shutil.rmtree(out_dir)
                    rate = sealed_bytes / seconds / MB
                    results[name][mode].append(rate)
                    results[name][f"{mode} cpu"].append(cpu)
                    print(
                        f"run {number} {name:4} {mode:13}: {rate:7.1f} MB/s ({seconds:.2f} s, "
                        f"CPU {cpu:.2f} s/GiB)",
                        flush=True,
                    )
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    print(f"\nload average after: {load_average()}")
    summary = {}
    for name in chosen_sets:
        files = sets[name]
        raw = results[name]["raw"]
        label = f"{len(files)} x {files[0]['size'] / MIB:.0f} MiB"
        summary[name] = {"files": len(files), "bytes": sum(f["size"] for f in files)}
        parts = []
        for mode in modes:
            rates = results[name][mode]
            ratios = [r / base for r, base in zip(rates, raw, strict=True)]
            cpu = results[name][f"{mode} cpu"]
            summary[name][mode] = {
                "cpu_s_per_gib": cpu,
                "mbps": rates,
                "ratios": ratios,
                "median_mbps": statistics.median(rates),
                "median_ratio": statistics.median(ratios),
            }
            text = (
                f"{mode} {statistics.median(rates):.0f} MB/s [{spread(rates)}] "
                f"CPU {statistics.median(cpu):.2f} s/GiB"
            )
            if mode != "raw":
                text += f" ratio {statistics.median(ratios):.2f} [{spread(ratios)}]"
            parts.append(text)
        print(f"{label} ({args.runs} runs, sealed MB/s): " + "; ".join(parts) + " (target >= 0.8)")
    if args.json:
        args.json.write_text(json.dumps({"args": vars(args)} | summary, indent=1, default=str))


if __name__ == "__main__":
    main()
