"""Backup benchmark: ``tangguh backup create``, ``backup verify``, ``backup verify --restore``
and ``backup restore`` of a node holding 10,000 tenders and 5 GiB of sealed files, vs plain
``tar`` + ``sha256sum`` of the same data directory, in the same run.

    .venv/bin/python bench/backup_bench.py --runs 3            # 5 GiB of sealed files
    .venv/bin/python bench/backup_bench.py --runs 3 --gib 1    # when the disk is short

The node (production settings, SQLite, its own data directory under --workdir) is seeded in a
child process: organizations and a Pokja with the testing factories, the node's signing key,
then ``--tenders`` tenders bulk-created (package, tender, 12 schedule stages each; each
announcement audited with ``audit_append``, so the chain the restore proves is as long as a
real node's would be at least). The sealed files are real age files: random bytes sealed with
pyrage to a throwaway recipient, 0.2 to 20 MiB each (log-uniform, about 4 MiB on average), placed
in the content store under their SHA-256 (``files/sha256/ab/cd/<hash>``, as ``BlobStore.put``
leaves them). No database row points at them: a backup copies every stored file, referenced
or not.

Each run, with a fresh backup directory and a fresh node to restore into:

1. ``backup create DEST`` (encrypt every object with age to the recovery recipient, sign the
   manifest), then ``tar -cf`` + ``sync`` + ``sha256sum`` of the same data directory;
2. ``backup verify DEST`` (manifest signature, every ciphertext digest), then
   ``sha256sum -c`` of the archive;
3. ``backup verify --restore DEST`` (decrypt everything into a scratch place, prove the audit
   chain and every plain digest), then ``tar -xf`` + ``sync`` + ``sha256sum -c``;
4. ``backup restore DEST`` into an empty node, then ``tar -xf`` + ``sync``;
5. ``backup create DEST`` again with nothing changed (incremental: every file hashed, none
   copied).

Times are wall-clock seconds of the whole command (process start, Django set-up included);
throughput is the data directory's bytes (database + files) per second, in MB/s (10^6); the
ratio is backup / plain. Medians over the runs. The data fits in this machine's page cache
(24 GiB), so reads are mostly from memory on both sides; writes are synced on both sides.
Everything lives under --workdir (in /tmp) and is deleted at the end; the whole benchmark stops
by itself after 30 minutes (``signal.alarm``), reporting what it measured.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pyrage
from search_bench import VENV, node_env  # bench/ is sys.path[0]

TIME_BUDGET_S = 30 * 60  # the whole benchmark stops after this, whatever happens
MIB = 1024 * 1024
GIB = 1024 * MIB
MB = 1_000_000
BLOCK = 1024 * 1024
# Peak disk use: the node, plus a backup and a scratch restore (or a tar and its extraction).
DISK_FACTOR = 3.3

SEED = r"""
import os, random, sys, time
from datetime import timedelta
from decimal import Decimal
import django
django.setup()
from django.db import transaction
from tangguh import clock
from tangguh.audit.services import audit_append
from tangguh.core.keys import node_keyring
from tangguh.domain.methods import StageKind
from tangguh.domain.roles import Role
from tangguh.organizations.services import node_ensure
from tangguh.planning.models import Category, Package
from tangguh.tenders.models import Tender, TenderStage
from tangguh.testing import factories

started = time.monotonic()
node_ensure(actor="bench", name="LPSE Kabupaten Bench")
node_keyring().ensure()
rng = random.Random(7)
now = clock.now()
agency = factories.make_agency("Pemerintah Kabupaten Bench")
units = [factories.make_work_unit(agency) for _ in range(12)]
ukpbj = factories.make_procurement_unit(agency)
committee = factories.make_committee(ukpbj, member_keys=False)
ppk = factories.make_user("ppk.bench", [(Role.COMMITMENT_OFFICER, f"work_unit:{units[0].pk}")])
THINGS = ["Jalan", "Jembatan", "Gedung Sekolah", "Puskesmas", "Drainase", "Alat Kesehatan",
          "Meubelair", "Jaringan Air Bersih", "Dermaga", "Kantor Distrik", "Pasar", "Terminal"]
ACTS = ["Pembangunan", "Rehabilitasi", "Peningkatan", "Pengadaan", "Pemeliharaan Berkala"]
PLACES = ["Kwamki", "Mimika Baru", "Kuala Kencana", "Wania", "Mapurujaya", "Agimuga", "Jita",
          "Amar", "Iwaka", "Hoya", "Tembagapura", "Alama", "Jila", "Kwamki Narama"]
CATEGORIES = [Category.WORKS, Category.GOODS, Category.CONSULTANCY, Category.OTHER_SERVICES]
KINDS = [StageKind(k) for k in (
    "announcement", "clarification", "bid_submission", "opening", "evaluation",
    "proof_of_qualification", "award", "winner_announcement", "objection", "objection_answer",
    "sppbj", "contract")]
n = int(os.environ["BENCH_TENDERS"])
BATCH = 500
for first in range(0, n, BATCH):
    with transaction.atomic():
        packages, tenders = [], []
        for i in range(first, min(n, first + BATCH)):
            announced = now - timedelta(days=rng.uniform(1, 730))
            hps = Decimal(rng.randrange(50_000_000, 100_000_000_000, 1000))
            title = f"{rng.choice(ACTS)} {rng.choice(THINGS)} Distrik {rng.choice(PLACES)}"
            packages.append(Package(
                work_unit=rng.choice(units), fiscal_year=announced.year, title=title,
                category=rng.choice(CATEGORIES), budget=hps * Decimal("1.04"),
                owner_estimate=hps, location=f"Distrik {rng.choice(PLACES)}, Mimika",
                created_by=ppk, created_at=announced - timedelta(days=20),
                procurement_unit=ukpbj, delegated_at=announced - timedelta(days=15),
                committee=committee, assigned_at=announced - timedelta(days=14)))
        Package.objects.bulk_create(packages)
        for i, package in enumerate(packages, start=first):
            announced = package.assigned_at + timedelta(days=14)
            tenders.append(Tender(
                package=package, committee=committee, code=f"{announced.year}{i + 1:05d}",
                title=package.title, method="tender_one_file", envelopes=1,
                evaluation_method="lowest_price", created_at=announced - timedelta(days=5),
                announced_at=announced))
        Tender.objects.bulk_create(tenders)
        stages = []
        for tender in tenders:
            start = tender.announced_at
            for position, kind in enumerate(KINDS):
                end = start + timedelta(days=rng.choice([1, 2, 3, 5, 7]))
                stages.append(TenderStage(tender=tender, kind=kind, position=position,
                                          start=start, end=end))
                start = end
        TenderStage.objects.bulk_create(stages)
        for tender in tenders:
            audit_append(actor="bench", action="tender.announced", object_type="tender",
                         object_id=tender.pk, payload={"code": tender.code})
print(f"seeded {n} tenders in {time.monotonic() - started:.0f} s", file=sys.stderr)
"""


class OutOfTime(Exception):
    pass


def _alarm(signum, frame):
    raise OutOfTime


class _RandomReader:
    """``size`` random bytes, read by pyrage in its own blocks (never whole in memory)."""

    def __init__(self, size: int) -> None:
        self.left = size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return os.urandom(n)


class _HashingWriter:
    def __init__(self, handle) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.handle.write(data)

    def flush(self) -> None:
        self.handle.flush()


def sealed_files(store: Path, total: int, seed: int) -> tuple[int, int]:
    """Real age files of random bytes, sized 0.2 to 20 MiB log-uniform, in the content store
    under their SHA-256, until ``total`` bytes. Returns (count, bytes)."""
    recipient = pyrage.x25519.Identity.generate().to_public()
    rng = random.Random(seed)
    incoming = store / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    count = written = 0
    while written < total:
        size = int(math.exp(rng.uniform(math.log(0.2 * MIB), math.log(20 * MIB))))
        size = min(size, max(1024, total - written))
        tmp = incoming / f"bench-{count}"
        with open(tmp, "wb", buffering=BLOCK) as out:
            writer = _HashingWriter(out)
            pyrage.encrypt_io(_RandomReader(size), writer, [recipient])
        sha = writer.digest.hexdigest()
        final = store / "sha256" / sha[:2] / sha[2:4] / sha
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)
        written += final.stat().st_size
        count += 1
    return count, written


def tree_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 5:
        raise OutOfTime
    return left


def timed(args: list[str], env: dict | None, deadline: float) -> float:
    """Run one command to completion (it must succeed) and return its wall-clock seconds."""
    started = time.monotonic()
    result = subprocess.run(
        args,
        env=env,
        capture_output=True,
        text=True,
        timeout=remaining(deadline),
        check=False,
    )
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return seconds


def plain(script: str) -> list[str]:
    """A pipeline of the plain tools (fixed strings of this script, paths under --workdir)."""
    return ["bash", "-c", f"set -e -o pipefail; {script}"]


def tangguh(*args: str) -> list[str]:
    return [str(VENV / "tangguh"), *args]


def setup_node(workdir: Path, args, deadline: float) -> tuple[dict, Path, str, dict]:
    env = node_env(workdir, None)
    data = workdir / "data"
    timed(tangguh("migrate", "--no-input"), env, deadline)
    started = time.monotonic()
    seeded = subprocess.run(
        [str(VENV / "python"), "-c", SEED],
        env=dict(env, DJANGO_SETTINGS_MODULE="tangguh.settings", BENCH_TENDERS=str(args.tenders)),
        capture_output=True,
        text=True,
        timeout=remaining(deadline),
        check=False,
    )
    if seeded.returncode != 0:
        raise SystemExit(f"seeding the node failed:\n{seeded.stderr[-3000:]}")
    seed_s = time.monotonic() - started
    started = time.monotonic()
    count, size = sealed_files(data / "files", int(args.gib * GIB), args.seed)
    subprocess.run(["sync"], check=True)
    seal_s = time.monotonic() - started
    identity = workdir / "recovery.txt"
    subprocess.run(["age-keygen", "-o", str(identity)], check=True, capture_output=True)
    recipient = subprocess.run(
        ["age-keygen", "-y", str(identity)], check=True, capture_output=True, text=True
    ).stdout.strip()
    facts = {
        "tenders": args.tenders,
        "sealed_files": count,
        "sealed_bytes": size,
        "database_bytes": (data / "tangguh.sqlite3").stat().st_size,
        "data_bytes": tree_bytes(data),
        "seed_seconds": round(seed_s, 1),
        "seal_seconds": round(seal_s, 1),
    }
    print(
        f"node: {args.tenders} tenders (seeded in {seed_s:.0f} s), {count} sealed files, "
        f"{size / GIB:.2f} GiB (sealed in {seal_s:.0f} s); database "
        f"{facts['database_bytes'] / MIB:.0f} MiB; "
        f"data directory {facts['data_bytes'] / GIB:.2f} GiB",
        flush=True,
    )
    return env, identity, recipient, facts


def one_run(workdir: Path, env: dict, identity: Path, recipient: str, deadline: float) -> dict:
    data = workdir / "data"
    dest = workdir / "dest"
    fresh = workdir / "fresh"
    archive = workdir / "plain.tar"
    sums = workdir / "plain.sha256"
    untar = workdir / "untar"
    for path in (dest, fresh, untar):
        shutil.rmtree(path, ignore_errors=True)
    archive.unlink(missing_ok=True)
    subprocess.run(["sync"], check=True)
    t: dict[str, float] = {}
    t["create"] = timed(
        tangguh("backup", "create", str(dest), "--recipient", recipient), env, deadline
    )
    t["verify"] = timed(tangguh("backup", "verify", str(dest)), env, deadline)
    t["verify_restore"] = timed(
        tangguh("backup", "verify", "--restore", str(dest), "--identity", str(identity)),
        env,
        deadline,
    )
    fresh_env = dict(env, TANGGUH_DATA_DIR=str(fresh), TANGGUH_SIGNING_KEY_DIR=str(fresh / "keys"))
    t["restore"] = timed(
        tangguh("backup", "restore", str(dest), "--identity", str(identity), "--no-checkpoint"),
        fresh_env,
        deadline,
    )
    restored = tree_bytes(fresh / "files")
    shutil.rmtree(fresh)
    t["create_incremental"] = timed(
        tangguh("backup", "create", str(dest), "--recipient", recipient), env, deadline
    )
    backup_bytes = tree_bytes(dest)
    shutil.rmtree(dest)
    subprocess.run(["sync"], check=True)
    # The same data directory, plainly: an archive, synced, and its digest; then checked and
    # extracted (synced) as a restore would.
    t["plain_create"] = timed(
        plain(f"tar -cf {archive} -C {data} . && sync && sha256sum {archive} > {sums}"),
        None,
        deadline,
    )
    t["plain_verify"] = timed(plain(f"sha256sum -c --quiet {sums}"), None, deadline)
    untar.mkdir()
    t["plain_restore"] = timed(plain(f"tar -xf {archive} -C {untar} && sync"), None, deadline)
    t["plain_verify_restore"] = t["plain_verify"] + t["plain_restore"]
    archive.unlink()
    shutil.rmtree(untar)
    return {"seconds": t, "backup_bytes": backup_bytes, "restored_file_bytes": restored}


PAIRS = [
    ("create", "plain_create", "backup create", "tar -cf + sync + sha256sum"),
    ("verify", "plain_verify", "backup verify", "sha256sum -c"),
    ("verify_restore", "plain_verify_restore", "backup verify --restore", "sha256sum -c + tar -xf"),
    ("restore", "plain_restore", "backup restore", "tar -xf + sync"),
]


def report(runs: list[dict], data_bytes: int) -> list[dict]:
    rows = []
    for ours, plain, label, plain_label in PAIRS:
        ours_s = [r["seconds"][ours] for r in runs]
        plain_s = [r["seconds"][plain] for r in runs]
        ratios = [r["seconds"][ours] / r["seconds"][plain] for r in runs]
        rows.append(
            {
                "step": label,
                "plain": plain_label,
                "seconds": round(statistics.median(ours_s), 1),
                "mb_s": round(data_bytes / MB / statistics.median(ours_s)),
                "plain_seconds": round(statistics.median(plain_s), 1),
                "plain_mb_s": round(data_bytes / MB / statistics.median(plain_s)),
                "ratio": round(statistics.median(ratios), 2),
                "runs": [round(s, 1) for s in ours_s],
                "plain_runs": [round(s, 1) for s in plain_s],
            }
        )
    incremental = [r["seconds"]["create_incremental"] for r in runs]
    rows.append(
        {
            "step": "backup create (again, nothing changed)",
            "plain": "",
            "seconds": round(statistics.median(incremental), 1),
            "mb_s": round(data_bytes / MB / statistics.median(incremental)),
            "runs": [round(s, 1) for s in incremental],
        }
    )
    print(f"\nmedians of {len(runs)} run(s); data directory {data_bytes / GIB:.2f} GiB")
    print(f"{'step':40} {'s':>7} {'MB/s':>6}   {'plain':28} {'s':>7} {'MB/s':>6} {'ratio':>6}")
    for row in rows:
        plain = (
            f"{row['plain']:28} {row['plain_seconds']:7.1f} {row['plain_mb_s']:6d} "
            f"{row['ratio']:6.2f}"
            if row["plain"]
            else ""
        )
        print(f"{row['step']:40} {row['seconds']:7.1f} {row['mb_s']:6d}   {plain}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gib", type=float, default=5.0, help="GiB of sealed files (default 5)")
    parser.add_argument("--tenders", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tangguh-backup-bench"))  # noqa: S108
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()

    deadline = time.monotonic() + TIME_BUDGET_S
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIME_BUDGET_S)
    workdir = args.workdir.resolve()
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    free = shutil.disk_usage(workdir).free
    needed = DISK_FACTOR * args.gib * GIB + GIB
    if free < needed:
        shutil.rmtree(workdir)
        raise SystemExit(
            f"{free / GIB:.1f} GiB free under {workdir}; {args.gib} GiB of sealed files need "
            f"about {needed / GIB:.1f} GiB: "
            f"try --gib {max(0.1, (free - GIB) / DISK_FACTOR / GIB):.1f}"
        )
    print(f"{free / GIB:.0f} GiB free under {workdir}; load average {os.getloadavg()}", flush=True)
    runs: list[dict] = []
    facts: dict = {}
    try:
        env, identity, recipient, facts = setup_node(workdir, args, deadline)
        for number in range(1, args.runs + 1):
            run = one_run(workdir, env, identity, recipient, deadline)
            runs.append(run)
            shown = ", ".join(f"{k} {v:.1f}" for k, v in run["seconds"].items())
            print(f"run {number}: {shown} s", flush=True)
    except (OutOfTime, subprocess.TimeoutExpired):
        print(f"stopped after {TIME_BUDGET_S // 60} minutes, {len(runs)} run(s) complete")
    finally:
        signal.alarm(0)
        shutil.rmtree(workdir, ignore_errors=True)
    if not runs:
        raise SystemExit("no complete run")
    rows = report(runs, facts["data_bytes"])
    print(f"backup size {runs[0]['backup_bytes'] / GIB:.2f} GiB; load average {os.getloadavg()}")
    if args.json:
        args.json.write_text(json.dumps({"node": facts, "runs": runs, "medians": rows}, indent=1))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
