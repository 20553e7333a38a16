"""Sealed-bid ingest benchmark: envelopes uploaded through the HTTP API of a real node
(``tangguh serve``, granian WSGI, production settings, on 127.0.0.1) vs the machine's raw
ingest (a Python loop of read + SHA-256 + write + fsync over the same bytes), same run, same
concurrency, same disk; and the server's RSS growth while it receives the 1 GiB envelope.

    .venv/bin/python bench/bids_ingest.py --runs 5

Two scenarios: one 1 GiB stream, and 20 concurrent 50 MiB streams (20 vendors, each
registered, each with a token). Before each measurement the outputs of the previous one are
deleted, dirty pages are synced, and 1 GiB of memory is touched and freed (this VM returns
freed memory to the host; a cold page costs a host fault, which would make the first writer
slow). Each run measures raw, node, raw, node, …, raw, and each node's ratio is taken against
the mean of the two raw loops beside it: other tenants of this shared machine come and go
within seconds. The nodes' order alternates from run to run. The envelopes are real age files
sealed with pyrage to the tender's recipient. Every byte stays under --workdir (in /tmp),
deleted at the end unless --keep.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
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
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyrage
from search_bench import VENV, free_port, node_env, wait_for  # bench/ is sys.path[0]

TIME_BUDGET_S = 30 * 60  # the whole benchmark stops after this, whatever happens
MIB = 1024 * 1024
MB = 1_000_000  # figures are in MB/s (10^6 bytes per second)
BLOCK = 512 * 1024  # the raw loop reads and writes in the blocks the upload service uses
CODE = "T2024-BENCH"

# Runs in the node's environment (DJANGO_SETTINGS_MODULE) before the server starts: a tender in
# its bid window (real clock: the window opened a day ago and closes in a day), its sealing key,
# and BENCH_VENDORS approved vendors, each registered, each with a bearer token.
SEED = r"""
import json, os
from datetime import timedelta
from decimal import Decimal
import django
django.setup()
from tangguh import clock
from tangguh.accounts.services.tokens import token_issue
from tangguh.bids.models import SealingKey
from tangguh.domain.methods import StageKind
from tangguh.domain.roles import Role
from tangguh.domain.sealing.fingerprint import recipient_fingerprint
from tangguh.participation.models import Participation
from tangguh.planning.models import Category, Package
from tangguh.tenders.models import Tender, TenderStage
from tangguh.testing import factories
from tangguh.vendors.services import vendor_approve

now = clock.now()
recipient = os.environ["BENCH_RECIPIENT"]
agency = factories.make_agency("Pemkab Bench")
work_unit = factories.make_work_unit(agency)
unit = factories.make_procurement_unit(agency)
committee = factories.make_committee(unit, member_keys=False)
verifier = factories.make_user("verif.bench", [(Role.VERIFIER, "node")])
package = Package.objects.create(
    work_unit=work_unit, fiscal_year=now.year, title="Jalan", category=Category.WORKS,
    budget=Decimal("3000000000"), owner_estimate=Decimal("2500000000"), location="Mimika",
    created_by=verifier, created_at=now, procurement_unit=unit, delegated_at=now,
    committee=committee, assigned_at=now)
tender = Tender.objects.create(
    package=package, committee=committee, code=os.environ["BENCH_CODE"], title="Jalan",
    method="tender_one_file", envelopes=1, evaluation_method="lowest_price",
    created_at=now, announced_at=now)
for position, kind in enumerate([StageKind.ANNOUNCEMENT, StageKind.BID_SUBMISSION]):
    TenderStage.objects.create(tender=tender, kind=kind, position=position,
                               start=now - timedelta(days=1), end=now + timedelta(days=1))
SealingKey.objects.create(tender=tender, envelope="offer", recipient=recipient,
                          fingerprint=recipient_fingerprint(recipient), k=2, n=3, dealt_at=now)
tokens = []
for i in range(int(os.environ["BENCH_VENDORS"])):
    username = f"vendor.bench{i}"
    company, vendor = factories.make_vendor(username)
    vendor_approve(actor=verifier, company_id=company.pk)
    Participation.objects.create(tender=tender, company=company, registered_by=vendor,
                                 registered_at=now, pact_accepted_at=now, pact_version="1",
                                 pact_sha256="0" * 64)
    raw, _ = token_issue(username=username, password=factories.PASSWORD, otp=None,
                         address="127.0.0.1", label="bench", lifetime_hours=2)
    tokens.append(raw)
print(json.dumps({"code": tender.code, "tokens": tokens}))
"""

# The control node of --minimal: the least a WSGI view under granian can do with an upload
# (read 512 KiB blocks + SHA-256 + write + fsync, no Django, no checks, no database).
MINIMAL_APP = r"""
import hashlib, json, os, tempfile

OUT = os.environ["BENCH_MINIMAL_OUT"]


def application(environ, start_response):
    if environ["REQUEST_METHOD"] != "PUT":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]
    stream, left = environ["wsgi.input"], int(environ["CONTENT_LENGTH"])
    digest, size = hashlib.sha256(), 0
    fd, _name = tempfile.mkstemp(dir=OUT)
    with os.fdopen(fd, "wb") as out:
        while left > 0:
            block = stream.read(min(512 * 1024, left))
            if not block:
                break
            left -= len(block)
            size += len(block)
            digest.update(block)
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    body = json.dumps({"sha256": digest.hexdigest(), "size": size}).encode()
    start_response("201 Created", [("Content-Type", "application/json")])
    return [body]
"""

# The ceiling of --ceiling: the raw loop's own work (SHA-256 + write + fsync, 512 KiB blocks) on
# bytes received from a plain TCP socket (recv_into a reused buffer, no HTTP, no framework, no
# copy beyond the kernel's), with the node store's writeback hint, one thread per connection,
# in its own process. It answers with the
# hex digest. What it reaches is the most any HTTP server can reach on this machine when the
# client shares its cores: the transport's cost with nothing else on top.
SOCKET_SERVER = r"""
import hashlib, os, socket, sys, tempfile, threading

OUT = sys.argv[2]
WRITEBACK_EVERY = 8 * 1024 * 1024  # the node's store asks for writeback as often (blobs.py)


def serve(conn):
    buffer = memoryview(bytearray(512 * 1024))
    digest = hashlib.sha256()
    fd, _name = tempfile.mkstemp(dir=OUT)
    size = written_back = 0
    while received := conn.recv_into(buffer):
        digest.update(buffer[:received])
        os.write(fd, buffer[:received])
        size += received
        if size - written_back >= WRITEBACK_EVERY:
            os.posix_fadvise(fd, written_back, size - written_back, os.POSIX_FADV_DONTNEED)
            written_back = size
    os.fsync(fd)
    os.close(fd)
    conn.sendall(digest.hexdigest().encode())
    conn.close()


listener = socket.create_server(("127.0.0.1", int(sys.argv[1])), backlog=128)
while True:
    conn, _ = listener.accept()
    if conn.recv(1, socket.MSG_PEEK) == b"":  # a probe that only connected
        conn.close()
        continue
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
"""

# Touch (write every page of) GiB of memory in a child process, then exit and free it.
TOUCH = (
    "import sys; n = int(float(sys.argv[1]) * 2**30); b = bytearray(n); "
    "b[::4096] = b'\\1' * len(range(0, n, 4096))"
)


# --- data -----------------------------------------------------------------------------------


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


def seal_random(path: Path, plain_size: int, recipient) -> dict:
    """A real age file: ``plain_size`` random bytes sealed with pyrage to ``recipient``."""
    with open(path, "wb", buffering=BLOCK) as out:
        writer = _HashingWriter(out)
        pyrage.encrypt_io(_RandomReader(plain_size), writer, [recipient])
    return {"path": str(path), "size": path.stat().st_size, "sha256": writer.digest.hexdigest()}


def make_envelopes(directory: Path, recipient, big_mib: int, small_mib: int, count: int) -> dict:
    """The 1 big and ``count`` small envelopes (reused when a manifest for the same sizes and
    recipient is there: --keep)."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest_path = directory / "manifest.json"
    wanted = {"recipient": str(recipient), "big_mib": big_mib, "small_mib": small_mib}
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if {k: manifest.get(k) for k in wanted} == wanted and len(manifest["small"]) >= count:
            manifest["small"] = manifest["small"][:count]
            return manifest
    started = time.monotonic()
    manifest = dict(wanted)
    manifest["big"] = seal_random(directory / "big.age", big_mib * MIB, recipient)
    manifest["small"] = [
        seal_random(directory / f"small-{i:02d}.age", small_mib * MIB, recipient)
        for i in range(count)
    ]
    manifest_path.write_text(json.dumps(manifest, indent=1))
    print(f"sealed the envelopes in {time.monotonic() - started:.0f} s", flush=True)
    return manifest


def load_identity(workdir: Path) -> pyrage.x25519.Identity:
    path = workdir / "identity.txt"
    if path.exists():
        return pyrage.x25519.Identity.from_str(path.read_text().strip())
    identity = pyrage.x25519.Identity.generate()
    path.write_text(str(identity) + "\n")
    path.chmod(0o600)
    return identity


# --- the machine ------------------------------------------------------------------------------


def settle(warm_gib: float) -> None:
    """Sync dirty pages, then touch and free ``warm_gib`` GiB (see the module docstring)."""
    os.sync()
    if warm_gib > 0:
        subprocess.run([sys.executable, "-c", TOUCH, str(warm_gib)], check=True)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def raw_ingest_one(src: str, out_dir: Path) -> str:
    """read + SHA-256 + write + fsync, in a Python loop, into a new file on the same disk."""
    digest = hashlib.sha256()
    fd, _name = tempfile.mkstemp(dir=out_dir)
    with open(src, "rb", buffering=0) as source, os.fdopen(fd, "wb") as out:
        while block := source.read(BLOCK):
            digest.update(block)
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def raw_ingest(files: list[dict], out_dir: Path) -> float:
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(files)) as pool:
        digests = list(pool.map(lambda f: raw_ingest_one(f["path"], out_dir), files))
    elapsed = time.perf_counter() - started
    for digest, file in zip(digests, files, strict=True):
        assert digest == file["sha256"], "raw ingest: digest mismatch"
    return elapsed


# --- the node -------------------------------------------------------------------------------


def put_envelope(port: int, code: str, token: str, file: dict) -> dict:
    """One whole-file ``PUT`` with ``Content-Digest``; the body goes with ``sendfile`` (the
    client costs the machine as little as possible: the server is what is measured)."""
    digest = base64.b64encode(bytes.fromhex(file["sha256"])).decode()
    head = (
        f"PUT /api/v1/tenders/{code}/bids/mine/offer HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\n"
        "Content-Type: application/octet-stream\r\n"
        f"Content-Length: {file['size']}\r\n"
        f"Content-Digest: sha-256=:{digest}:\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    with (
        socket.create_connection(("127.0.0.1", port), timeout=600) as sock,
        open(file["path"], "rb") as body,
    ):
        sock.sendall(head)
        with contextlib.suppress(OSError):  # the server answered early (an error): read it
            sock.sendfile(body)
        response = http.client.HTTPResponse(sock)
        response.begin()
        payload = response.read()
    if response.status not in (200, 201):
        raise SystemExit(f"upload refused: HTTP {response.status} {payload[:400]!r}")
    answer = json.loads(payload)
    assert answer["sha256"] == file["sha256"] and answer["size"] == file["size"], answer
    return answer


def send_plain(port: int, file: dict) -> None:
    """The file over a plain TCP connection (``sendfile``, then half-close) to the ceiling
    server; checks the digest it answers."""
    with (
        socket.create_connection(("127.0.0.1", port), timeout=600) as sock,
        open(file["path"], "rb") as body,
    ):
        sock.sendfile(body)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(128):
            answer += chunk
    assert answer.decode() == file["sha256"], "ceiling: digest mismatch"


def api_ingest(node: Node, pairs: list[tuple[str, dict]]) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(pairs)) as pool:
        list(pool.map(lambda pair: node.send(*pair), pairs))
    return time.perf_counter() - started


def withdraw_envelope(port: int, code: str, token: str) -> None:
    """``DELETE`` the vendor's current envelope, so that its next upload is a new bid (a repeat
    of the current envelope would only answer with the receipt it already has)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            "DELETE",
            f"/api/v1/tenders/{code}/bids/mine/offer",
            headers={"Authorization": f"Bearer {token}"},
        )
        response = connection.getresponse()
        payload = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise SystemExit(f"withdrawal refused: HTTP {response.status} {payload[:400]!r}")


def forget_blobs(data_dir: Path, files: list[dict]) -> None:
    """Delete the stored envelopes so that the next run stores them again."""
    root = data_dir / "files"
    for file in files:
        sha = file["sha256"]
        (root / "sha256" / sha[:2] / sha[2:4] / sha).unlink(missing_ok=True)
    leftovers = list((root / "incoming").glob("*")) if (root / "incoming").exists() else []
    assert not leftovers, f"temporary files left behind: {leftovers}"


def process_tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (those still alive), in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / ticks


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def memory_of(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of one process, in bytes ({} once it is gone)."""
    figures = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                figures[line.split(":")[0]] = int(line.split()[1]) * 1024
    except OSError:
        return {}
    return figures


class RssSampler(threading.Thread):
    """Samples VmRSS of every process of the server's tree every ``interval`` seconds."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pids = process_tree(pid)
        self.interval = interval
        self.before = {p: memory_of(p) for p in self.pids}
        self.peak_rss = {p: m.get("VmRSS", 0) for p, m in self.before.items()}
        self.peak_total = sum(self.peak_rss.values())
        self.samples = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self.interval):
            total = 0
            for pid in self.pids:
                rss = memory_of(pid).get("VmRSS", 0)
                total += rss
                self.peak_rss[pid] = max(self.peak_rss[pid], rss)
            self.peak_total = max(self.peak_total, total)
            self.samples += 1

    def finish(self) -> dict:
        self._done.set()
        self.join()
        after = {p: memory_of(p) for p in self.pids}
        rss_growth = {
            p: self.peak_rss[p] - self.before[p].get("VmRSS", 0) for p in self.pids if after[p]
        }
        hwm_growth = {
            p: after[p].get("VmHWM", 0) - self.before[p].get("VmHWM", 0)
            for p in self.pids
            if after[p]
        }
        return {
            "rss_growth": max(rss_growth.values()),  # the process that grew most
            "tree_rss_growth": self.peak_total
            - sum(m.get("VmRSS", 0) for m in self.before.values()),
            "hwm_growth": max(hwm_growth.values()),
            "rss_before": {p: m.get("VmRSS", 0) for p, m in self.before.items()},
            "samples": self.samples,
        }


def seed_node(env: dict, recipient: str, vendors: int) -> dict:
    seed_env = dict(
        env,
        DJANGO_SETTINGS_MODULE="tangguh.settings",
        BENCH_RECIPIENT=recipient,
        BENCH_VENDORS=str(vendors),
        BENCH_CODE=CODE,
    )
    seeded = subprocess.run(
        [str(VENV / "python"), "-c", SEED],
        env=seed_env,
        capture_output=True,
        text=True,
        check=False,
    )
    if seeded.returncode != 0:
        raise SystemExit(f"seeding the node failed:\n{seeded.stderr[-3000:]}")
    return json.loads(seeded.stdout.strip().splitlines()[-1])


def start_server(env: dict, log: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    server = subprocess.Popen(
        [str(VENV / "tangguh"), "serve", "--addr", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(log, "ab"),  # noqa: SIM115 - closed with the process
    )
    wait_for(port, server)
    return server, port


def wait_for_listener(port: int, server: subprocess.Popen, timeout: float = 60) -> None:
    """Listening yet? (a connection that opens is enough)"""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"nothing listens on port {port}") from None
            time.sleep(0.1)


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# --- the run ------------------------------------------------------------------------------


def mbps(files: list[dict], seconds: float) -> float:
    return sum(f["size"] for f in files) / seconds / MB


# The raw loop does the same work every time, so its CPU seconds per GiB show when another
# tenant of this shared machine was on our cores: CPU time then stretches (the caches and the
# core are shared), and a ratio taken next to such a loop says more about the neighbour than
# about the node.
QUIET_FACTOR = 1.25


def spread(values: list[float]) -> str:
    return f"{min(values):.2f}–{max(values):.2f}" if values else "-"


def parse_variant(text: str) -> tuple[str, dict[str, str]]:
    """``NAME:KEY=VALUE,KEY=VALUE`` (environment of that node; PYTHONPATH serves the package
    from another directory, TANGGUH_THREADS sets granian's threads)."""
    name, _, spec = text.partition(":")
    if not name or name in ("raw", "api"):
        raise SystemExit(f"--variant: a name other than raw/api is needed: {text!r}")
    extra = {}
    for item in filter(None, spec.split(",")):
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--variant: expected KEY=VALUE, got {item!r}")
        extra[key] = str(Path(value).resolve()) if key == "PYTHONPATH" else value
    return name, extra


class Node:
    """One node under test: its own data directory, seeded tender and vendors, server."""

    def __init__(
        self, name: str, workdir: Path, extra_env: dict[str, str], *, kind: str = "node"
    ) -> None:
        self.name = name
        # node (tangguh serve, uploads to granian), receiver (tangguh serve with the upload
        # receiver, uploads to it), minimal (bare WSGI view), socket (ceiling)
        self.kind = kind
        self.data_dir = workdir / f"node-{name}" / "data"
        if self.data_dir.parent.exists():
            shutil.rmtree(self.data_dir.parent)  # a new node every time
        self.data_dir.mkdir(parents=True)
        self.env = node_env(self.data_dir.parent, None) | extra_env
        self.log = self.data_dir.parent / "server.log"
        self.server: subprocess.Popen | None = None
        self.port = 0

    def start(self, recipient: str, vendors: int) -> None:
        if self.kind == "minimal":
            return self._start_minimal(vendors)
        if self.kind == "socket":
            return self._start_socket(vendors)
        subprocess.run([str(VENV / "tangguh"), "migrate", "-v", "0"], env=self.env, check=True)
        info = seed_node(self.env, recipient, vendors)
        self.code, self.tokens = info["code"], info["tokens"]
        upload_port = free_port()
        if self.kind == "receiver":
            self.env["TANGGUH_UPLOAD_ADDR"] = f"127.0.0.1:{upload_port}"
        self.server, self.port = start_server(self.env, self.log)
        if self.kind == "receiver":
            wait_for_listener(upload_port, self.server)
            self.port = upload_port  # the uploads go to the receiver

    def _start_minimal(self, vendors: int) -> None:
        app_dir = self.data_dir.parent
        (app_dir / "bench_minimal_app.py").write_text(MINIMAL_APP)
        (self.data_dir / "out").mkdir()
        env = self.env | {"BENCH_MINIMAL_OUT": str(self.data_dir / "out")}
        threads = env.get("TANGGUH_THREADS", "64")  # as tangguh serve
        self.code, self.tokens = "minimal", ["-"] * vendors
        self.port = free_port()
        self.server = subprocess.Popen(
            [
                str(VENV / "granian"),
                "--interface",
                "wsgi",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--blocking-threads",
                threads,
                "--workers",
                env.get("TANGGUH_WORKERS", "1"),  # as tangguh serve
                "--no-access-log",
                "bench_minimal_app:application",
            ],
            cwd=app_dir,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.log, "ab"),  # noqa: SIM115 - closed with the process
        )
        wait_for(self.port, self.server)

    def _start_socket(self, vendors: int) -> None:
        (self.data_dir / "out").mkdir()
        self.code, self.tokens = "socket", ["-"] * vendors
        self.port = free_port()
        self.server = subprocess.Popen(
            [sys.executable, "-c", SOCKET_SERVER, str(self.port), str(self.data_dir / "out")],
            stdout=subprocess.DEVNULL,
            stderr=open(self.log, "ab"),  # noqa: SIM115 - closed with the process
        )
        wait_for_listener(self.port, self.server)

    def send(self, token: str, file: dict) -> None:
        if self.kind == "socket":
            send_plain(self.port, file)
        else:
            put_envelope(self.port, self.code, token, file)

    def forget(self, files: list[dict], tokens: list[str]) -> None:
        """After a measurement: its files go, and each vendor withdraws its envelope, so that
        every measured upload is a new bid (audit event, signed receipt, new row)."""
        if self.kind not in ("node", "receiver"):
            for path in (self.data_dir / "out").iterdir():
                path.unlink()
            return
        for token in tokens:
            withdraw_envelope(self.port, self.code, token)
        forget_blobs(self.data_dir, files)

    def stop(self) -> None:
        if self.server is not None:
            stop_server(self.server)


def measure(node: Node | None, scenario: str, files: list[dict], args, number: int) -> dict:
    """One measurement of the raw loop (``node`` None) or of a node, after ``settle``."""
    gib = sum(f["size"] for f in files) / 2**30
    settle(args.warm_gib)
    raw_out = args.workdir / "raw-out"
    pids = process_tree(node.server.pid) if node else []
    own_before, server_before = own_cpu_seconds(), cpu_seconds(pids)
    taken: dict = {}
    if node is None:
        seconds = raw_ingest(files, raw_out)
        own_cpu, server_cpu = own_cpu_seconds() - own_before, 0.0
        shutil.rmtree(raw_out)
    else:
        # the big envelope has a vendor of its own; the others one each
        tokens = node.tokens[-1:] if scenario == "one" else node.tokens
        sampler = RssSampler(node.server.pid)
        sampler.start()
        pairs = list(zip(tokens, files, strict=False))
        seconds = api_ingest(node, pairs)
        taken["memory"] = sampler.finish()
        own_cpu, server_cpu = own_cpu_seconds() - own_before, cpu_seconds(pids) - server_before
        node.forget(files, [token for token, _ in pairs])
    taken |= {
        "mbps": mbps(files, seconds),
        "cpu": (own_cpu + server_cpu) / gib,
        "server_cpu": server_cpu / gib,
    }
    name = node.name if node else "raw"
    extra = ""
    if node is not None:
        memory = taken["memory"]
        extra = (
            f", server {taken['server_cpu']:.2f})  server RSS +{memory['rss_growth'] / MIB:.1f}"
            f" MiB (all its processes +{memory['tree_rss_growth'] / MIB:.1f} MiB"
        )
    print(
        f"run {number} {scenario:4} {name:5}: {taken['mbps']:7.1f} MB/s ({seconds:.2f} s, "
        f"CPU {taken['cpu']:.2f} s/GiB{extra})",
        flush=True,
    )
    return taken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--big-mib", type=int, default=1024, help="the single stream (MiB)")
    parser.add_argument("--small-mib", type=int, default=50, help="each concurrent one (MiB)")
    parser.add_argument("--streams", type=int, default=20, help="concurrent streams")
    parser.add_argument(
        "--scenarios", default="one,many", help="one (1 big stream), many (concurrent)"
    )
    parser.add_argument(
        "--warm-gib",
        type=float,
        default=1.0,
        help="memory touched and freed before each measurement (ADR 0706: 3 GiB right before "
        "a measurement cost the CPU-bound servers 12-20%% and made every figure noisier)",
    )
    parser.add_argument("--threads", type=int, help="TANGGUH_THREADS of the node (default 64)")
    parser.add_argument(
        "--malloc",
        action="store_true",
        help="serve with MALLOC_TRIM_THRESHOLD_/MALLOC_MMAP_THRESHOLD_ set (ARCHITECTURE.md)",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME:KEY=VALUE,…",
        help="measure another node too, in the same runs, with this environment "
        "(e.g. t20:TANGGUH_THREADS=20 or fix:PYTHONPATH=/tmp/patched-copy; UPLOADS=receiver "
        "sends its uploads to the upload receiver, e.g. r1:UPLOADS=receiver,"
        "TANGGUH_UPLOAD_WORKERS=1)",
    )
    parser.add_argument(
        "--receiver",
        action="store_true",
        help="measure the node's upload receiver too (TANGGUH_UPLOAD_ADDR, tangguh receive): "
        "the same node, the uploads sent to the receiver instead of granian",
    )
    parser.add_argument(
        "--minimal",
        action="store_true",
        help="measure a control node too: a bare WSGI view under granian (read + SHA-256 + "
        "write + fsync), to tell the transport's cost from the node's",
    )
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="measure the ceiling too: the raw loop's work on bytes from a plain TCP socket "
        "(no HTTP), the most any server can reach here with its client on the same cores",
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tangguh-bids-bench"))  # noqa: S108
    parser.add_argument("--keep", action="store_true", help="keep the sealed envelopes")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    signal.alarm(TIME_BUDGET_S)
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]

    workdir = args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    raw_out = workdir / "raw-out"
    identity = load_identity(workdir)
    recipient = identity.to_public()
    manifest = make_envelopes(
        workdir / "envelopes", recipient, args.big_mib, args.small_mib, args.streams
    )
    big, small = [manifest["big"]], manifest["small"]

    base_env = {}
    if args.threads:
        base_env["TANGGUH_THREADS"] = str(args.threads)
    if args.malloc:
        base_env.update(MALLOC_TRIM_THRESHOLD_="268435456", MALLOC_MMAP_THRESHOLD_="33554432")
    nodes = [Node("api", workdir, base_env)]
    for name, extra in map(parse_variant, args.variant):
        kind = "receiver" if extra.pop("UPLOADS", "granian") == "receiver" else "node"
        nodes.append(Node(name, workdir, base_env | extra, kind=kind))
    if args.receiver:
        nodes.append(Node("recv", workdir, base_env, kind="receiver"))
    if args.minimal:
        nodes.append(Node("min", workdir, base_env, kind="minimal"))
    if args.ceiling:
        nodes.append(Node("sock", workdir, base_env, kind="socket"))
    modes = ["raw"] + [node.name for node in nodes]
    results: dict[str, dict[str, list[dict]]] = {s: {m: [] for m in modes} for s in scenarios}
    print(
        f"load average before: {load_average()}; node threads "
        f"{args.threads or '64 (default)'}, malloc env {'on' if args.malloc else 'off'}; "
        + "; ".join(args.variant)
        + ("; recv: the node's upload receiver" if args.receiver else "")
        + ("; min: a bare WSGI view under granian" if args.minimal else "")
        + ("; sock: the raw work on a plain TCP socket (ceiling)" if args.ceiling else ""),
        flush=True,
    )
    try:
        for node in nodes:
            node.start(str(recipient), args.streams + 1)
            # warm-up: imports, first allocations, the database connection of the upload path
            node.send(node.tokens[0], small[0])
            node.forget(small[:1], node.tokens[:1])
        for number in range(1, args.runs + 1):
            order = nodes if number % 2 else list(reversed(nodes))
            for scenario in scenarios:
                files = big if scenario == "one" else small
                record = results[scenario]
                # raw, node, raw, node, …, raw: each node's ratio is against the mean of the
                # raw loops just before and just after it (the neighbours come and go within
                # seconds; a raw figure from another moment would measure them instead)
                before = measure(None, scenario, files, args, number)
                record["raw"].append(before)
                for node in order:
                    taken = measure(node, scenario, files, args, number)
                    after = measure(None, scenario, files, args, number)
                    record["raw"].append(after)
                    taken["ratio"] = taken["mbps"] / statistics.mean(
                        [before["mbps"], after["mbps"]]
                    )
                    taken["raw_cpu"] = max(before["cpu"], after["cpu"])
                    record[node.name].append(taken)
                    print(f"      ratio {taken['ratio']:.2f}", flush=True)
                    before = after
    finally:
        for node in nodes:
            node.stop()
        shutil.rmtree(raw_out, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    print(f"\nload average after: {load_average()}")
    summary = {}
    for scenario in scenarios:
        files = big if scenario == "one" else small
        label = f"{len(files)} x {files[0]['size'] / MIB:.0f} MiB"
        summary[scenario] = {"streams": len(files), "bytes": sum(f["size"] for f in files)}
        raw = results[scenario]["raw"]
        best_raw = max(m["mbps"] for m in raw)
        cheapest = min(m["cpu"] for m in raw)
        print(f"{label}, {args.runs} runs (medians [min–max]):")
        for mode in modes:
            taken = results[scenario][mode]
            rates = [m["mbps"] for m in taken]
            cpu = [m["cpu"] for m in taken]
            line = (
                f"  {mode:5} {statistics.median(rates):6.0f} MB/s [{spread(rates)}]  "
                f"CPU {statistics.median(cpu):.2f} s/GiB"
            )
            figures = {"mbps": rates, "median_mbps": statistics.median(rates), "cpu": cpu}
            if mode != "raw":
                ratios = [m["ratio"] for m in taken]
                quiet = [m["ratio"] for m in taken if m["raw_cpu"] <= cheapest * QUIET_FACTOR]
                growth = [m["memory"]["rss_growth"] / MIB for m in taken]
                figures |= {
                    "ratios": ratios,
                    "median_ratio": statistics.median(ratios),
                    "quiet_ratios": quiet,
                    "best_ratio": max(rates) / best_raw,
                    "server_cpu": [m["server_cpu"] for m in taken],
                    "rss_growth_mib": growth,
                    "memory": [m["memory"] for m in taken],
                }
                line += (
                    f" (server {statistics.median(figures['server_cpu']):.2f})"
                    f"  ratio {statistics.median(ratios):.2f} [{spread(ratios)}]"
                    + (f", quiet {statistics.median(quiet):.2f} ({len(quiet)})" if quiet else "")
                    + f", best/best {figures['best_ratio']:.2f} (target >= 0.8)"
                    f"  server RSS growth {statistics.median(growth):.1f} MiB "
                    f"[{spread(growth)}] (target < 64 MB for the 1 GiB envelope)"
                )
            summary[scenario][mode] = figures
            print(line)
    print(
        "ratio: against the mean of the raw loops just before and after; quiet: only where "
        f"both cost at most {QUIET_FACTOR:.2f}x the cheapest raw loop's CPU per GiB; best/best: "
        "the fastest run against the fastest raw loop (a neighbour only ever slows a run down)."
    )
    print(
        "CPU: this process (raw loop or client) + the node's processes; kernel writeback "
        "threads not counted."
    )
    if args.json:
        args.json.write_text(json.dumps({"args": vars(args)} | summary, indent=1, default=str))


if __name__ == "__main__":
    main()
