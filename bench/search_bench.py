"""Public tender search benchmark: N synthetic tenders, ~200 typical searches through the HTTP
API of a real node (``tangguh serve``, granian, on 127.0.0.1), p50/p95/p99 per run.

    .venv/bin/python bench/search_bench.py --db sqlite --n 1000000 --runs 5
    .venv/bin/python bench/search_bench.py --db postgres --n 1000000 --runs 5

The generator bulk-loads the search projection (``search_searchentry``) and its full-text
index directly (the API reads nothing else); the database is kept under --workdir and reused
by later runs with the same N (--fresh to regenerate). PostgreSQL is a throwaway 15 cluster
started here as the ``postgres`` user and stopped at the end. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tangguh.search import fts, text  # noqa: E402  (pure Python: no Django needed)

VENV = ROOT / ".venv" / "bin"
PGBIN = Path("/usr/lib/postgresql/15/bin")
TIME_BUDGET_S = 40 * 60  # the whole benchmark stops after this, whatever happens

# --- vocabulary ---------------------------------------------------------------------------

SYLLABLES = [
    "ba",
    "bi",
    "bu",
    "ka",
    "ki",
    "ko",
    "ma",
    "mi",
    "mu",
    "na",
    "ni",
    "no",
    "pa",
    "pi",
    "po",
    "ra",
    "ri",
    "ro",
    "sa",
    "si",
    "so",
    "ta",
    "ti",
    "to",
    "wa",
    "wi",
    "ya",
    "ja",
    "la",
    "li",
    "lo",
    "da",
    "di",
    "do",
    "ga",
    "gu",
    "ha",
    "ke",
    "me",
    "ne",
    "pe",
    "re",
    "se",
    "te",
    "we",
    "ngu",
    "nga",
    "tu",
    "su",
    "lu",
    "ku",
]
REAL_PLACES = [
    "Mimika",
    "Jayapura",
    "Merauke",
    "Nabire",
    "Paniai",
    "Biak",
    "Sorong",
    "Manokwari",
    "Timika",
    "Kwamki",
    "Wamena",
    "Makassar",
    "Kupang",
    "Ambon",
    "Ternate",
    "Palu",
    "Kendari",
    "Mataram",
    "Denpasar",
    "Banjarmasin",
    "Pontianak",
    "Medan",
    "Padang",
    "Jambi",
    "Bengkulu",
    "Lampung",
    "Serang",
    "Bandung",
    "Semarang",
    "Yogyakarta",
    "Surabaya",
    "Malang",
]

WORK_UNITS = [
    "Dinas Pekerjaan Umum dan Penataan Ruang",
    "Dinas Kesehatan",
    "RSUD",
    "Dinas Pendidikan dan Kebudayaan",
    "Dinas Perhubungan",
    "Badan Penanggulangan Bencana Daerah",
    "Sekretariat Daerah",
    "Dinas Perumahan dan Kawasan Permukiman",
    "Dinas Pertanian dan Ketahanan Pangan",
    "Dinas Lingkungan Hidup",
    "Dinas Kelautan dan Perikanan",
    "Dinas Sosial",
    "Badan Perencanaan Pembangunan Daerah",
    "Dinas Komunikasi dan Informatika",
    "Satuan Polisi Pamong Praja",
    "Dinas Pariwisata",
    "Dinas Pemuda dan Olahraga",
    "Sekretariat DPRD",
    "Badan Pengelolaan Keuangan dan Aset Daerah",
    "Dinas Kependudukan dan Pencatatan Sipil",
    "Dinas Perindustrian dan Perdagangan",
    "Dinas Tenaga Kerja",
    "Dinas Pemadam Kebakaran",
    "Kantor Kecamatan",
]

# (category, activities, objects)
TEMPLATES = [
    (
        "works",
        ["Pembangunan", "Peningkatan", "Rehabilitasi", "Pemeliharaan", "Rekonstruksi"],
        [
            "Jalan",
            "Jalan Lingkar",
            "Jembatan",
            "Drainase",
            "Talud",
            "Saluran Irigasi",
            "Gedung Kantor",
            "Sekolah Dasar",
            "SMP Negeri",
            "Puskesmas",
            "Pasar",
            "Dermaga",
            "Terminal",
            "Rumah Layak Huni",
            "Jaringan Air Bersih",
            "Tanggul Sungai",
            "Lapangan Olahraga",
            "Gedung Rawat Inap",
        ],
    ),
    (
        "goods",
        ["Pengadaan", "Belanja", "Penyediaan"],
        [
            "Alat Kesehatan",
            "Obat-obatan",
            "Kendaraan Dinas",
            "Ambulans",
            "Komputer dan Laptop",
            "Genset",
            "Meubelair Sekolah",
            "Alat Tulis Kantor",
            "Bahan Makanan Pasien",
            "Seragam Sekolah",
            "Perahu Motor",
            "Pupuk dan Bibit",
            "Barang/Jasa Pendukung",
            "Reagen Laboratorium",
            "Buku Pelajaran",
        ],
    ),
    (
        "consultancy",
        ["Jasa Konsultansi", "Konsultan"],
        [
            "Perencanaan Jalan",
            "Pengawasan Jembatan",
            "Perencanaan Gedung",
            "Pengawasan Irigasi",
            "Studi Kelayakan Pelabuhan",
            "Penyusunan Rencana Tata Ruang",
            "Kajian Lingkungan Hidup",
            "Supervisi Air Bersih",
        ],
    ),
    (
        "other_services",
        ["Jasa", "Penyelenggaraan", "Layanan"],
        [
            "Kebersihan Gedung",
            "Keamanan Kantor",
            "Katering",
            "Sewa Kendaraan",
            "Pemeliharaan Taman",
            "Asuransi Kesehatan",
            "Pengangkutan Sampah",
            "Cleaning Service",
            "Percetakan dan Penggandaan",
        ],
    ),
]
QUALIFIERS = [
    "",
    "",
    "Tahap I",
    "Tahap II",
    "Lanjutan",
    "Ruas {place}",
    "{place}",
    "Kampung {place}",
]
CATEGORY_LABEL = {
    "goods": "Pengadaan Barang",
    "works": "Pekerjaan Konstruksi",
    "consultancy": "Jasa Konsultansi",
    "other_services": "Jasa Lainnya",
}


def place_names(rng: random.Random, count: int) -> list[str]:
    names: set[str] = set(REAL_PLACES)
    while len(names) < count:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4))))
        names.add(word.capitalize())
    return sorted(names)


class World:
    """Agencies, work units and places, fixed by the seed."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        self.places = place_names(rng, 6000)
        self.agencies: list[tuple[int, str, str]] = []  # id, name, home place
        homes = rng.sample(self.places, 540)
        for i, home in enumerate(homes):
            kind = (
                "Pemerintah Provinsi"
                if i < 38
                else rng.choice(["Pemerintah Kabupaten", "Pemerintah Kabupaten", "Pemerintah Kota"])
            )
            self.agencies.append((i + 1, f"{kind} {home}", home))
        for j, name in enumerate(
            [
                "Kementerian Pekerjaan Umum",
                "Kementerian Kesehatan",
                "Kementerian Perhubungan",
                "Kementerian Pendidikan",
                "Kementerian Agama",
                "Badan Pusat Statistik",
            ]
        ):
            self.agencies.append((len(homes) + j + 1, name, rng.choice(self.places)))
        self.units: dict[int, list[tuple[int, str]]] = {}
        for agency_id, _name, home in self.agencies:
            chosen = rng.sample(WORK_UNITS, rng.randint(12, len(WORK_UNITS)))
            self.units[agency_id] = [
                (
                    agency_id * 100 + k,
                    f"{unit} {home}" if unit in ("RSUD", "Kantor Kecamatan") else unit,
                )
                for k, unit in enumerate(chosen)
            ]
        # Big agencies publish more (a few provinces and cities carry much of the volume).
        self.agency_weights = [1.0 / (rank + 5) ** 0.6 for rank in range(len(self.agencies))]


def generate_rows(n: int, seed: int, now: datetime):
    """Yield N tender rows for search_searchentry (a tuple per row, in COLUMNS order)."""
    world = World(seed)
    rng = random.Random(seed + 1)
    span = timedelta(days=7 * 365)
    start = now - span
    for i in range(n):
        tender_id = i + 1
        agency_id, agency_name, home = rng.choices(world.agencies, world.agency_weights)[0]
        work_unit_id, work_unit_name = rng.choice(world.units[agency_id])
        category, activities, objects = rng.choices(TEMPLATES, (45, 30, 12, 13))[0]
        place = rng.choice(world.places) if rng.random() < 0.7 else home
        qualifier = rng.choice(QUALIFIERS).format(place=place)
        title = " ".join(
            part for part in (rng.choice(activities), rng.choice(objects), qualifier) if part
        )
        location = f"Distrik {place}, {agency_name.split(' ', 2)[-1]}"
        # announcements spread over seven years, denser lately; deadlines 1-5 weeks later
        announced = start + span * (rng.random() ** 0.8) - timedelta(days=1)
        bid_start = announced + timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 8))
        bid_end = bid_start + timedelta(days=rng.randint(6, 30), hours=rng.randint(0, 8))
        fiscal_year = announced.year if rng.random() < 0.9 else announced.year + 1
        hps = round(10 ** rng.uniform(7.7, 11), -3)
        cancelled = rng.random() < 0.02
        code = f"{10_000_000 + tender_id}"
        yield (
            tender_id,
            tender_id,
            code,
            title,
            agency_id,
            agency_name,
            work_unit_id,
            work_unit_name,
            location,
            category,
            fiscal_year,
            hps,
            announced,
            bid_start,
            bid_end,
            cancelled,
            text.sort_key(int(bid_end.timestamp()), tender_id),
            text.normalize(f"{title} {code}"),
            text.normalize(f"{agency_name} {work_unit_name} {location} {CATEGORY_LABEL[category]}"),
            text.tags(
                category=category,
                agency_id=agency_id,
                work_unit_id=work_unit_id,
                fiscal_year=fiscal_year,
                cancelled=cancelled,
            ),
        )


COLUMNS = [
    "id",
    "tender_id",
    "code",
    "title",
    "agency_id",
    "agency_name",
    "work_unit_id",
    "work_unit_name",
    "location",
    "category",
    "fiscal_year",
    "owner_estimate",
    "announced_at",
    "bid_start",
    "bid_end",
    "cancelled",
    "sort_key",
    "search_title",
    "search_body",
    "search_tags",
]


# --- typical searches ---------------------------------------------------------------------


def make_queries(count: int, seed: int, now: datetime) -> list[dict]:
    """Searches people make: 1-3 words (things, places, activities), often a filter or two."""
    world = World(seed)
    rng = random.Random(seed + 2)
    things = [o for _c, _a, objects in TEMPLATES for o in objects]
    activities = [a for _c, acts, _o in TEMPLATES for a in acts]
    queries = []
    for _ in range(count):
        params: dict[str, str] = {}
        shape = rng.random()
        agency_id, _agency_name, home = rng.choices(world.agencies, world.agency_weights)[0]
        if shape < 0.35:  # a thing: "jalan", "alat kesehatan"
            words = text.words(rng.choice(things))[:2]
        elif shape < 0.6:  # a thing and a place: "jembatan mimika"
            words = [*text.words(rng.choice(things))[:2], text.normalize(home)][:3]
        elif shape < 0.75:  # an activity and a thing: "rehabilitasi puskesmas"
            words = [*text.words(rng.choice(activities))[-1:], *text.words(rng.choice(things))[:1]]
        elif shape < 0.9:  # a place
            words = [text.normalize(rng.choice([home, rng.choice(world.places)]))]
        else:  # filters only
            words = []
        if words:
            params["q"] = " ".join(words[:3])
        if rng.random() < 0.3:
            params["category"] = rng.choice(["goods", "works", "consultancy", "other_services"])
        if rng.random() < 0.25:
            params["agency"] = str(agency_id)
        if rng.random() < 0.4:
            params["year"] = str(rng.choice(range(now.year - 6, now.year + 1)))
        if rng.random() < 0.2:
            low = rng.choice([0, 50_000_000, 200_000_000, 1_000_000_000])
            params["min"] = str(low)
            if rng.random() < 0.6:
                params["max"] = str(low * 10 or 500_000_000)
        if rng.random() < 0.3:
            params["status"] = rng.choice(["bidding", "bidding", "announced", "closed"])
        if not params:
            params["category"] = "works"
        params["sort"] = "relevance" if ("q" in params and rng.random() < 0.4) else "deadline"
        if rng.random() < 0.3:
            params["page"] = "2"
        queries.append(params)
    return queries


# --- databases ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """A throwaway PostgreSQL 15 cluster (as the postgres user), stopped by ``stop``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/tangguh_bench"

    def _as_postgres(self, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *args], check=True, stdout=subprocess.DEVNULL
        )

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.root, "postgres")
        data = self.root / "data"
        if not data.exists():
            self._as_postgres(
                str(PGBIN / "initdb"),
                "-D",
                str(data),
                "--auth=trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
            )
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c shared_buffers=1GB -c effective_cache_size=8GB -c work_mem=16MB "
            "-c maintenance_work_mem=1GB -c random_page_cost=1.1 -c jit=off "
            "-c synchronous_commit=off -c max_connections=50"
        )
        self._as_postgres(
            str(PGBIN / "pg_ctl"),
            "-D",
            str(data),
            "-w",
            "-l",
            str(self.root / "log"),
            "-o",
            options,
            "start",
        )
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(PGBIN / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "tangguh_bench",
            ],
            stderr=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            check=False,
        )

    def stop(self) -> None:
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(PGBIN / "pg_ctl"),
                "-D",
                str(self.root / "data"),
                "-m",
                "fast",
                "stop",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )


def node_env(workdir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TANGGUH_", "DATABASE_"))}
    env.update(
        TANGGUH_ENV="production",
        TANGGUH_DATA_DIR=str(workdir / "data"),
        TANGGUH_ALLOWED_HOSTS="127.0.0.1",
        TANGGUH_TIME_ZONE="Asia/Jayapura",
        TANGGUH_SIGNING_KEY_DIR=str(workdir / "data" / "keys"),
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def rows_present(db: str, workdir: Path, url: str | None) -> int:
    try:
        if db == "sqlite":
            path = workdir / "data" / "tangguh.sqlite3"
            if not path.exists():
                return 0
            with sqlite3.connect(path) as conn:
                return conn.execute("SELECT count(*) FROM search_searchentry").fetchone()[0]
        import psycopg

        with psycopg.connect(url) as conn:
            return conn.execute("SELECT count(*) FROM search_searchentry").fetchone()[0]
    except Exception:
        return 0


def load_sqlite(workdir: Path, n: int, seed: int, now: datetime) -> None:
    path = workdir / "data" / "tangguh.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")
    for trigger in ("search_entry_ai", "search_entry_ad", "search_entry_au"):
        conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    conn.execute("BEGIN")
    conn.execute("DELETE FROM search_searchentry")
    placeholders = ", ".join("?" for _ in COLUMNS)
    sql = f"INSERT INTO search_searchentry ({', '.join(COLUMNS)}) VALUES ({placeholders})"  # noqa: S608

    def adapt(row):
        row = list(row)
        for index in (12, 13, 14):  # Django's SQLite format: naive UTC text
            row[index] = row[index].astimezone(UTC).replace(tzinfo=None).isoformat(" ")
        row[15] = int(row[15])
        return row

    conn.executemany(sql, (adapt(r) for r in generate_rows(n, seed, now)))
    conn.execute("COMMIT")
    print("  rows inserted; building the FTS5 index …", flush=True)
    conn.execute(fts.SQLITE_REBUILD)
    conn.execute(fts.SQLITE_OPTIMIZE)
    for trigger in fts.sqlite_triggers():
        conn.execute(trigger)
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def load_postgres(url: str, n: int, seed: int, now: datetime) -> None:
    import psycopg

    create_gins = [s for s in fts.POSTGRES_INSTALL if "USING gin" in s]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE search_searchentry")
        conn.execute("DROP INDEX IF EXISTS search_document_filters")
        conn.execute(fts.POSTGRES_TITLE_INDEX_DROP)
        with (
            conn.cursor() as cursor,
            cursor.copy(f"COPY search_searchentry ({', '.join(COLUMNS)}) FROM STDIN") as copy,
        ):
            for row in generate_rows(n, seed, now):
                copy.write_row(row)
        print("  rows copied; building the GIN indexes …", flush=True)
        conn.execute("SET maintenance_work_mem = '1GB'")
        for create_gin in create_gins:
            conn.execute(create_gin)
        conn.execute("VACUUM ANALYZE search_searchentry")


# --- the run ------------------------------------------------------------------------------


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


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def run_queries(port: int, queries: list[dict]) -> tuple[list[float], list[dict]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    timings, bodies = [], []
    for params in queries:
        path = "/api/v1/tenders?" + urllib.parse.urlencode(params)
        started = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        payload = response.read()
        timings.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            raise SystemExit(f"{path}: HTTP {response.status} {payload[:300]!r}")
        bodies.append(json.loads(payload))
    conn.close()
    return timings, bodies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--fresh", action="store_true", help="regenerate the data")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    signal.alarm(TIME_BUDGET_S)

    default = f"/tmp/tangguh-search-bench-{args.db}-{args.n}"  # noqa: S108 - throwaway data
    workdir = args.workdir or Path(default)
    if args.fresh and workdir.exists():
        shutil.rmtree(workdir)
    (workdir / "data").mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    pg = Postgres(workdir / "pg") if args.db == "postgres" else None
    server = None
    try:
        if pg:
            pg.start()
        url = pg.url if pg else None
        env = node_env(workdir, url)
        subprocess.run([str(VENV / "tangguh"), "migrate", "-v", "0"], env=env, check=True)
        present = rows_present(args.db, workdir, url)
        meta = workdir / "generated.json"
        if present != args.n or not meta.exists():
            print(f"generating {args.n:,} tenders on {args.db} …", flush=True)
            started = time.monotonic()
            if pg:
                load_postgres(url, args.n, args.seed, now)
            else:
                load_sqlite(workdir, args.n, args.seed, now)
            meta.write_text(json.dumps({"n": args.n, "seed": args.seed, "at": now.isoformat()}))
            print(f"  generated in {time.monotonic() - started:.0f} s", flush=True)
        generated_at = datetime.fromisoformat(json.loads(meta.read_text())["at"])

        port = free_port()
        server = subprocess.Popen(
            [str(VENV / "tangguh"), "serve", "--addr", f"127.0.0.1:{port}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        wait_for(port, server)
        queries = make_queries(args.queries, args.seed, generated_at)
        run_queries(port, queries)  # warm-up: caches, connections, imports
        runs = []
        for number in range(1, args.runs + 1):
            timings, bodies = run_queries(port, queries)
            figures = {p: percentile(timings, p) for p in (50, 95, 99)}
            runs.append({"timings": timings, **{f"p{p}": v for p, v in figures.items()}})
            print(
                f"run {number}: p50 {figures[50]:.1f} ms  p95 {figures[95]:.1f} ms  "
                f"p99 {figures[99]:.1f} ms  max {max(timings):.1f} ms",
                flush=True,
            )
        medians = {f"p{p}": statistics.median(r[f"p{p}"] for r in runs) for p in (50, 95, 99)}
        slowest = sorted(zip(runs[-1]["timings"], queries, strict=True), key=lambda pair: -pair[0])[
            :5
        ]
        hits = [b["count"] for b in bodies]
        print(
            f"\n{args.db}, {args.n:,} tenders, {len(queries)} searches x {args.runs} runs: "
            f"median p50 {medians['p50']:.1f} ms, p95 {medians['p95']:.1f} ms, "
            f"p99 {medians['p99']:.1f} ms"
        )
        print(
            f"results per search: median {statistics.median(hits):.0f}, "
            f"capped (1.000+) {sum(b['count_capped'] for b in bodies)}, "
            f"empty {sum(h == 0 for h in hits)}"
        )
        print("slowest searches of the last run:")
        for ms, params in slowest:
            print(f"  {ms:7.1f} ms  {urllib.parse.urlencode(params)}")
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "db": args.db,
                        "n": args.n,
                        "queries": queries,
                        "medians": medians,
                        "runs": [{k: v for k, v in r.items() if k != "timings"} for r in runs],
                    },
                    indent=1,
                )
            )
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        if pg:
            pg.stop()


if __name__ == "__main__":
    main()
