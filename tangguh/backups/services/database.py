"""The database part of a backup: a consistent snapshot with the audit head *of that
snapshot*, loading a snapshot into a scratch or target database, and reading a restored
database through a temporary Django connection alias.

- SQLite: the online backup API (``sqlite3.Connection.backup``) copies the committed state in
  one step from a separate connection; the audit head is then read from the copy itself.
- PostgreSQL: one REPEATABLE READ, READ ONLY transaction exports its snapshot, reads the audit
  head, and ``pg_dump --snapshot`` dumps exactly that state (custom format), streamed to the
  caller so the plain dump never touches the disk.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.db import connections
from django.db.utils import load_backend

from tangguh.audit.models import AuditEvent, AuditHead
from tangguh.backups.services import errors
from tangguh.bids.models import Envelope
from tangguh.domain.audit_chain import GENESIS_HASH, ChainEvent, ChainProblem, verify_chain
from tangguh.tenders.models import TenderDocument

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
PG_BIN_DIRS = ("/usr/lib/postgresql/{major}/bin", "/usr/lib/postgresql/15/bin")
# Django OPTIONS that are not libpq connection parameters.
_NOT_LIBPQ = {
    "pool",
    "server_side_binding",
    "isolation_level",
    "assume_role",
    "context",
    "cursor_factory",
    "prepare_threshold",
}


@dataclass(frozen=True)
class AuditHeadValue:
    size: int
    hash: str


def engine_of(database: dict) -> str:
    engine = database.get("ENGINE", "")
    if engine.endswith("sqlite3"):
        return SQLITE
    if "postgresql" in engine:
        return POSTGRESQL
    raise errors.database_dump_failed(f"unsupported database engine {engine!r}")


def default_database() -> dict:
    """The settings of the node's database (the test database while tests run)."""
    return connections["default"].settings_dict


# --- SQLite -----------------------------------------------------------------------------------


def _head_of_sqlite(path: Path) -> AuditHeadValue:
    con = sqlite3.connect(path)
    try:
        row = con.execute(
            f"SELECT seq, hash FROM {AuditHead._meta.db_table} WHERE id = 1"  # noqa: S608
        ).fetchone()
    except sqlite3.OperationalError:
        row = None  # no audit table yet: an empty node
    finally:
        con.close()
    return AuditHeadValue(row[0], row[1]) if row else AuditHeadValue(0, GENESIS_HASH)


def sqlite_snapshot(database: dict, target: Path) -> AuditHeadValue:
    """Copy the committed state of the node's SQLite database into ``target`` (a new file)."""
    source_path = Path(database["NAME"])
    if not source_path.is_file():
        raise errors.database_dump_failed(f"{source_path} does not exist")
    source = sqlite3.connect(source_path, timeout=30)
    try:
        copy = sqlite3.connect(target)
        try:
            # pages=-1 (the default): one step under one read lock, so a consistent state.
            source.backup(copy)
            # A standalone file: no -wal beside it to lose when it is encrypted and moved.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    except sqlite3.Error as exc:
        raise errors.database_dump_failed(f"SQLite backup failed: {exc}") from exc
    finally:
        source.close()
    return _head_of_sqlite(target)


def sqlite_install(staged: Path, database: dict) -> None:
    """Put a verified SQLite file in place of the node's database (which the caller moved
    aside or found absent). Stale ``-wal``/``-shm`` files would corrupt it: they go first."""
    target = Path(database["NAME"])
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(staged, target)
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sqlite_siblings(path: Path) -> list[Path]:
    return [Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm", "-journal")]


def sqlite_audit_events(path: Path) -> int:
    """How many audit events the SQLite file holds (0 when absent or without the table);
    opened read-only, so looking never creates a database."""
    if not path.is_file():
        return 0
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        row = con.execute(f"SELECT count(*) FROM {AuditEvent._meta.db_table}").fetchone()  # noqa: S608
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()
    return int(row[0])


# --- PostgreSQL -------------------------------------------------------------------------------


def _pg_params(database: dict) -> tuple[dict, dict]:
    """libpq keyword parameters (without the password) and the environment with it."""
    params = {
        key: str(database[setting])
        for key, setting in (("dbname", "NAME"), ("user", "USER"), ("host", "HOST"))
        if database.get(setting)
    }
    if database.get("PORT"):
        params["port"] = str(database["PORT"])
    for key, value in (database.get("OPTIONS") or {}).items():
        if key not in _NOT_LIBPQ and isinstance(value, (str, int)):
            params[key] = str(value)
    env = dict(os.environ)
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])  # never on a command line (ps shows it)
    return params, env


def _pg_connect(database: dict, *, autocommit: bool):
    import psycopg

    params, _ = _pg_params(database)
    if database.get("PASSWORD"):
        params["password"] = str(database["PASSWORD"])
    return psycopg.connect(**params, autocommit=autocommit)


def _conninfo(database: dict) -> str:
    from psycopg.conninfo import make_conninfo

    params, _ = _pg_params(database)
    return make_conninfo(**params)


def pg_tool(name: str, major: int | None = None) -> str:
    """``pg_dump``/``pg_restore`` of the server's major version if installed, else on PATH,
    else PostgreSQL 15's (the version these machines carry)."""
    candidates = []
    if major:
        candidates.append(Path(PG_BIN_DIRS[0].format(major=major)) / name)
    found = shutil.which(name)
    if found:
        candidates.append(Path(found))
    candidates.append(Path(PG_BIN_DIRS[1]) / name)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise errors.tool_missing(name)


def pg_dump_into[T](database: dict, consume: Callable[[BinaryIO], T]) -> tuple[T, AuditHeadValue]:
    """Dump the node's PostgreSQL database (custom format) to ``consume`` as a stream, with
    the audit head of exactly the dumped snapshot."""
    import psycopg

    try:
        con = _pg_connect(database, autocommit=False)
    except psycopg.Error as exc:
        raise errors.database_dump_failed(f"cannot connect: {exc}") from exc
    try:
        con.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        con.read_only = True
        snapshot = con.execute("SELECT pg_export_snapshot()").fetchone()[0]
        try:
            row = con.execute(
                f"SELECT seq, hash FROM {AuditHead._meta.db_table} WHERE id = 1"  # noqa: S608
            ).fetchone()
        except psycopg.errors.UndefinedTable:
            row = None
        head = AuditHeadValue(row[0], row[1]) if row else AuditHeadValue(0, GENESIS_HASH)
        major = con.info.server_version // 10000
        _, env = _pg_params(database)
        command = [
            pg_tool("pg_dump", major),
            "--format=custom",
            f"--snapshot={snapshot}",
            "--no-password",
            f"--dbname={_conninfo(database)}",
        ]
        with tempfile.TemporaryFile() as stderr:
            process = subprocess.Popen(  # noqa: S603 - fixed program, no shell
                command, stdout=subprocess.PIPE, stderr=stderr, env=env
            )
            try:
                result = consume(process.stdout)
            except BaseException:
                process.kill()
                process.wait()
                raise
            process.stdout.close()
            code = process.wait()
            if code != 0:
                stderr.seek(0)
                message = stderr.read().decode(errors="replace").strip()[-2000:]
                raise errors.database_dump_failed(f"pg_dump exited {code}: {message}")
        return result, head
    finally:
        con.rollback()
        con.close()


def pg_restore(database: dict, dump: Path, *, clean: bool) -> None:
    """Load a custom-format dump into ``database`` in one transaction: all or nothing."""
    _, env = _pg_params(database)
    command = [
        pg_tool("pg_restore"),
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        "--no-password",
        f"--dbname={_conninfo(database)}",
    ]
    if clean:
        command += ["--clean", "--if-exists"]
    result = subprocess.run(  # noqa: S603 - fixed program, no shell
        [*command, str(dump)], capture_output=True, env=env, check=False
    )
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip()[-2000:]
        raise errors.database_dump_failed(f"pg_restore exited {result.returncode}: {message}")


def pg_audit_events(database: dict) -> int:
    import psycopg

    with _pg_connect(database, autocommit=True) as con:
        try:
            row = con.execute(
                f"SELECT count(*) FROM {AuditEvent._meta.db_table}"  # noqa: S608
            ).fetchone()
        except psycopg.errors.UndefinedTable:
            return 0
    return int(row[0])


def pg_has_tables(database: dict) -> bool:
    with _pg_connect(database, autocommit=True) as con:
        row = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    return bool(row and row[0])


@contextmanager
def pg_scratch_database(database: dict) -> Iterator[dict]:
    """A new, empty database beside ``database`` (needs CREATEDB), dropped afterwards."""
    from psycopg import sql

    name = f"{str(database['NAME'])[:40]}_scratch_{secrets.token_hex(4)}"
    with _pg_connect(database, autocommit=True) as con:
        con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield {**database, "NAME": name}
    finally:
        with _pg_connect(database, autocommit=True) as con:
            con.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# --- reading a restored database through Django -----------------------------------------------


def sqlite_settings(path: Path) -> dict:
    """Connection settings for a standalone SQLite file (a restored copy being checked)."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "OPTIONS": {},
        "TIME_ZONE": None,
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "TEST": {},
    }


@contextmanager
def database_alias(database: dict) -> Iterator[str]:
    """A temporary connection alias for ``database`` so the ORM (and the audit chain logic)
    can read a scratch or freshly restored database; closed and forgotten afterwards. The
    connection is registered for this thread only and never added to ``DATABASES``."""
    alias = f"backup_{secrets.token_hex(4)}"
    wrapper = load_backend(database["ENGINE"]).DatabaseWrapper(
        {**database, "TEST": dict(database.get("TEST") or {})}, alias
    )
    connections[alias] = wrapper
    try:
        yield alias
    finally:
        wrapper.close()
        del connections[alias]


def _chain_events(alias: str) -> Iterator[tuple[ChainEvent, str]]:
    for row in AuditEvent.objects.using(alias).order_by("seq").iterator(chunk_size=2000):
        yield (
            ChainEvent(
                seq=row.seq,
                at=row.at,
                actor=row.actor,
                action=row.action,
                object_type=row.object_type,
                object_id=row.object_id,
                payload=row.payload,
                prev_hash=row.prev_hash,
            ),
            row.hash,
        )


@dataclass(frozen=True)
class ChainCheck:
    count: int
    head_hash: str
    problem: ChainProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def chain_check(alias: str) -> ChainCheck:
    """``tangguh audit verify`` on the database behind ``alias``: the whole chain
    (``verify_chain``), then that the head row agrees with the last event."""
    report = verify_chain(_chain_events(alias))
    if not report.ok:
        return ChainCheck(report.count, report.head_hash, report.problem)
    head = AuditHead.objects.using(alias).filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    if head_seq != report.count or head_hash != report.head_hash:
        return ChainCheck(
            report.count,
            report.head_hash,
            ChainProblem(report.count + 1, "events after the last valid one are missing"),
        )
    return ChainCheck(report.count, report.head_hash, None)


def hash_at(alias: str, seq: int) -> str | None:
    if seq == 0:
        return GENESIS_HASH
    return AuditEvent.objects.using(alias).filter(seq=seq).values_list("hash", flat=True).first()


def referenced_blobs(alias: str) -> set[str]:
    """The stored files the restored database points at: sealed envelopes and tender
    documents (each must be in the backup)."""
    shas = set(Envelope.objects.using(alias).values_list("sha256", flat=True))
    shas |= set(TenderDocument.objects.using(alias).values_list("sha256", flat=True))
    return shas


def audit_event_count(alias: str) -> int:
    return AuditEvent.objects.using(alias).count()
