"""OCDS feed benchmark: N releases (default 100,000) made by the real mapping from synthetic
tenders; a real node (``tangguh serve``, granian, on 127.0.0.1) serves windows of 10,000
releases as pages of 1,000 (start, middle and end of the feed); ``tangguh ocds export``
writes all N with its wall time and peak RSS. Medians over --runs.

    .venv/bin/python bench/ocds_feed.py --n 100000 --runs 3
    .venv/bin/python bench/ocds_feed.py --database-url postgres://postgres@127.0.0.1:PORT/bench

The data stays in --workdir (default /tmp/tangguh-ocds-bench-<n>) and is reused by the next
run with the same N (--fresh regenerates). Nothing leaves 127.0.0.1; the whole run stops after
30 minutes whatever happens.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
TIME_BUDGET_S = 30 * 60

GENERATE = r"""
import hashlib, json, random, sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import django
django.setup()
from django.db import transaction
from tangguh.domain.ocds.facts import *
from tangguh.domain.ocds.mapping import build_release
from tangguh.opendata.models import FeedHead, Release
from tangguh.opendata.services.publish import release_json

n = int(sys.argv[1])
random.seed(7)
node = NodeFacts("ocds-tgh001", "LPSE Kabupaten Mimika", "https://lpse.mimikakab.go.id",
                 "Asia/Jayapura", "WIT")
t0 = datetime(2024, 1, 8, 1, 0, tzinfo=UTC)
places = ["Kwamki", "Timika Jaya", "Kuala Kencana", "Mimika Baru", "Agimuga", "Jila"]
things = ["Jalan", "Jembatan", "Puskesmas", "Sekolah Dasar", "Drainase", "Pasar"]
rows, position, tender = [], 0, 0
def flush():
    with transaction.atomic():
        Release.objects.bulk_create(rows)
    rows.clear()
while position < n:
    tender += 1
    at = t0 + timedelta(minutes=37 * tender)
    code = f"2024{tender:05d}"
    ocid = f"ocds-tgh001-{code}"
    hps = Decimal(random.randrange(50, 100_000)) * 1_000_000
    facts = ProcessFacts(
        node=node,
        buyer=PartyFacts(f"satker-mimika-{tender % 40}", f"Dinas {tender % 40}, Kabupaten Mimika",
                         ("buyer",)),
        procuring_entity=PartyFacts("ukpbj-mimika-1", "UKPBJ Kabupaten Mimika",
                                    ("procuringEntity",)),
        planning=PlanningFacts(2024, hps * Decimal("1.05"), f"{27_000_000 + tender}",
                               "Belanja modal"),
        tender=TenderFacts(
            code=code,
            title=f"Peningkatan {random.choice(things)} {random.choice(places)} Tahap {tender}",
            method="tender_one_file", category="works", category_label="Pekerjaan Konstruksi",
            owner_estimate=hps, location=f"Distrik {random.choice(places)}, Mimika",
            evaluation_method="lowest_price", evaluation_label="Harga Terendah",
            announced_at=at,
            tender_period=PeriodFacts(at + timedelta(days=2), at + timedelta(days=9)),
            enquiry_period=PeriodFacts(at + timedelta(days=1), at + timedelta(days=2)),
            award_period=PeriodFacts(at + timedelta(days=14), at + timedelta(days=15)),
            requirements=("SBU BG004 kualifikasi kecil", "Pengalaman 1 pekerjaan konstruksi"),
            documents=tuple(
                DocumentFacts(f"dokumen-{tender}-{d}", "tender_document", f"Dokumen {d}", at,
                              url=f"https://lpse.mimikakab.go.id/api/v1/tenders/{code}/documents/{d}",
                              content_type="application/pdf",
                              sha256=hashlib.sha256(f"{tender}-{d}".encode()).hexdigest(),
                              size=random.randrange(10**5, 10**7))
                for d in range(1, random.randint(2, 4))
            ),
        ),
    )
    kinds = ["planning", "tender"] + ["tenderAmendment"] * random.choice([0, 0, 1, 2])
    amendments = []
    for number, kind in enumerate(kinds, start=1):
        if kind == "tenderAmendment":
            amendments.append(AmendmentFacts(
                f"perubahan-jadwal-{tender}-{number}", at + timedelta(hours=number), "committee",
                "Perubahan jadwal karena survei lapangan ditunda",
                moves=(StageMove("bid_submission", "Upload Dokumen Penawaran",
                                 PeriodFacts(at, at + timedelta(days=9)),
                                 PeriodFacts(at, at + timedelta(days=9 + number))),)))
        process = replace(facts, tender=replace(facts.tender, amendments=tuple(amendments)))
        position += 1
        rid = f"{ocid}-{kind}-{kinds[:number].count(kind)}"
        body = release_json(build_release(process, ReleaseMeta(rid, kind, at)))
        rows.append(Release(position=position, ocid=ocid, release_id=rid, kind=kind, date=at,
                            tender_id=tender, body=body,
                            sha256=hashlib.sha256(body.encode()).hexdigest()))
        if len(rows) >= 2000:
            flush()
        if position >= n:
            break
flush()
FeedHead.objects.update_or_create(pk=1, defaults={"position": position})
print(position)
"""

CURSORS = r"""
import json, sys, django
django.setup()
from tangguh.domain.ocds.identifiers import cursor_for
from tangguh.opendata.models import Release
out = {}
for p in map(int, sys.argv[1:]):
    sha = Release.objects.get(pk=p).sha256 if p else ""
    out[p] = cursor_for(p, sha).encode()
print(json.dumps(out))
"""


def node_env(workdir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TANGGUH_", "DATABASE_"))}
    env.update(
        TANGGUH_ENV="production",
        TANGGUH_DATA_DIR=str(workdir / "data"),
        TANGGUH_ALLOWED_HOSTS="127.0.0.1",
        TANGGUH_TIME_ZONE="Asia/Jayapura",
        TANGGUH_OCDS_PREFIX="ocds-tgh001",
        TANGGUH_PUBLIC_URL="https://lpse.mimikakab.go.id",
        DJANGO_SETTINGS_MODULE="tangguh.settings",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def django_run(code: str, env: dict, *args: str) -> str:
    done = subprocess.run(
        [str(VENV / "python"), "-c", code, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, server: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the node exited ({server.returncode})")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/node")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the node did not answer in time")


def tree_peak_rss_kib(pid: int) -> int:
    """The largest VmHWM (peak resident set) among ``pid`` and its descendants."""
    peak, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
        todo.extend(int(c) for c in children)
    return peak


def follow_window(port: int, cursor: str, releases: int, page: int) -> dict:
    """Read ``releases`` releases from ``cursor`` as pages of ``page`` over one connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    timings, read, size = [], 0, 0
    started = time.perf_counter()
    while read < releases:
        t = time.perf_counter()
        conn.request("GET", f"/api/v1/ocds/releases?cursor={cursor}&limit={page}")
        response = conn.getresponse()
        body = response.read()
        timings.append(time.perf_counter() - t)
        if response.status != 200:
            raise SystemExit(f"HTTP {response.status}: {body[:300]!r}")
        package = json.loads(body)
        if not package["releases"]:
            break
        read += len(package["releases"])
        size += len(body)
        cursor = package["links"]["next"].split("cursor=")[1].split("&")[0]
    conn.close()
    return {
        "seconds": time.perf_counter() - started,
        "releases": read,
        "mib": size / 2**20,
        "page_p50_ms": statistics.median(timings) * 1000,
        "page_max_ms": max(timings) * 1000,
    }


EXPORT = r"""
import json, resource, sys, time, django
django.setup()
from django.core.management import call_command
from io import StringIO
import tangguh.opendata.management.commands.ocds  # imports are start-up, not export
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
call_command("ocds", "export", sys.argv[1], stderr=StringIO())
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "rss_before_kib": before, "peak_rss_kib": peak}))
"""


def export_once(env: dict, target: Path) -> dict:
    """``tangguh ocds export`` timed from after Django's start-up (which on this project costs
    several seconds whatever the data), with the process's peak RSS before and after."""
    figures = json.loads(django_run(EXPORT, env, str(target)).strip().splitlines()[-1])
    return {
        "seconds": figures["seconds"],
        "rss_before_mib": figures["rss_before_kib"] / 1024,
        "peak_rss_mib": figures["peak_rss_kib"] / 1024,
        "mib": target.stat().st_size / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--window", type=int, default=10_000)
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--database-url", help="a PostgreSQL database (default: SQLite)")
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    signal.alarm(TIME_BUDGET_S)
    workdir = args.workdir or Path(tempfile.gettempdir()) / f"tangguh-ocds-bench-{args.n}"
    if args.fresh and workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    env = node_env(workdir, args.database_url)
    marker = workdir / ("generated-pg" if args.database_url else "generated")
    if not marker.exists():
        print(f"generating {args.n} releases in {workdir} …", flush=True)
        started = time.monotonic()
        subprocess.run([str(VENV / "tangguh"), "migrate", "-v", "0"], env=env, check=True)
        count = int(django_run(GENERATE, env, str(args.n)).strip())
        marker.write_text(str(count))
        print(f"  {count} releases in {time.monotonic() - started:.0f} s", flush=True)
    n = int(marker.read_text())
    starts = {"start": 0, "middle": n // 2, "end": max(0, n - args.window)}
    cursors = json.loads(django_run(CURSORS, env, *map(str, starts.values())))

    port = free_port()
    server = subprocess.Popen(
        [str(VENV / "tangguh"), "serve", "--addr", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    results: list[dict] = []
    try:
        wait_for(port, server)
        follow_window(port, cursors["0"], args.page, args.page)  # warm-up
        for run in range(1, args.runs + 1):
            figures = {}
            for name, position in starts.items():
                figures[name] = follow_window(port, cursors[str(position)], args.window, args.page)
            figures["export"] = export_once(env, workdir / "export.json")
            figures["server_peak_rss_mib"] = tree_peak_rss_kib(server.pid) / 1024
            results.append(figures)
            print(f"run {run}:", flush=True)
            for name in starts:
                f = figures[name]
                print(
                    f"  window {name:6} {f['releases']} releases in {f['seconds']:.2f} s "
                    f"({f['mib']:.0f} MiB; page p50 {f['page_p50_ms']:.0f} ms, "
                    f"max {f['page_max_ms']:.0f} ms)",
                    flush=True,
                )
            e = figures["export"]
            print(
                f"  export {n} releases: {e['seconds']:.1f} s, {e['mib']:.0f} MiB written, "
                f"peak RSS {e['peak_rss_mib']:.0f} MiB (after start-up "
                f"{e['rss_before_mib']:.0f} MiB); node peak RSS "
                f"{figures['server_peak_rss_mib']:.0f} MiB",
                flush=True,
            )
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    print(f"medians of {len(results)} runs ({'PostgreSQL' if args.database_url else 'SQLite'}):")
    for name in starts:
        seconds = statistics.median(r[name]["seconds"] for r in results)
        p50 = statistics.median(r[name]["page_p50_ms"] for r in results)
        print(f"  window {name:6} {args.window} releases: {seconds:.2f} s, page p50 {p50:.0f} ms")
    export_s = statistics.median(r["export"]["seconds"] for r in results)
    export_rss = statistics.median(r["export"]["peak_rss_mib"] for r in results)
    before = statistics.median(r["export"]["rss_before_mib"] for r in results)
    print(
        f"  export {n} releases: {export_s:.1f} s, peak RSS {export_rss:.0f} MiB "
        f"(after start-up {before:.0f} MiB)"
    )


if __name__ == "__main__":
    sys.exit(main())
