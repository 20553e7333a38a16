"""Node configuration read from the environment, with safe defaults for an embedded node.

Kept apart from ``settings.py`` so it can be tested with any environment mapping and so that
the refusal of unsafe production settings lives in one place.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tangguh.domain.ocds.identifiers import valid_prefix

SANDBOX = "sandbox"
PRODUCTION = "production"
# The ocid prefix of a node that has not registered one yet: of the registered form (``ocds-``
# + 6 lowercase letters or digits, OCDS "Identifiers"), so its releases validate, and plainly
# not a real publisher's. A node publishing for real sets TANGGUH_OCDS_PREFIX to the prefix
# the Open Contracting Partnership registered for it.
DEFAULT_OCDS_PREFIX = "ocds-tgsbox"
INDONESIAN_ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")


class UnsafeConfiguration(Exception):
    """A setting that would make a production node unsafe, or a value that cannot be used."""


@dataclass(frozen=True)
class Config:
    env: str
    data_dir: Path
    database_url: str
    time_zone: str
    secret_key: str
    debug: bool
    clock_start: datetime | None
    allowed_hosts: list[str]
    https: bool
    node_name: str
    ocds_prefix: str
    signing_key_dir: Path
    csrf_trusted_origins: list[str] = field(default_factory=list)

    @property
    def is_sandbox(self) -> bool:
        return self.env == SANDBOX


def _flag(value: str | None, default: bool, name: str) -> bool:
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise UnsafeConfiguration(f"{name}: expected 1/0, true/false, yes/no or on/off, got {value!r}")


def _secret_key(environ: Mapping[str, str], data_dir: Path) -> str:
    """The configured secret, or one generated into the data dir on first run (owner-only)."""
    configured = environ.get("TANGGUH_SECRET_KEY")
    if configured:
        return configured
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    # O_EXCL: two processes starting at once must not overwrite each other's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    return key


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Read the node's configuration; refuse settings that are unsafe for production."""
    environ = os.environ if environ is None else environ
    env = environ.get("TANGGUH_ENV", PRODUCTION).strip().lower() or PRODUCTION
    if env not in {PRODUCTION, SANDBOX}:
        raise UnsafeConfiguration(f"TANGGUH_ENV: must be 'production' or 'sandbox', got {env!r}")
    sandbox = env == SANDBOX

    data_dir = Path(environ.get("TANGGUH_DATA_DIR") or "var").expanduser().resolve()
    database_url = environ.get("DATABASE_URL") or f"sqlite:///{data_dir / 'tangguh.sqlite3'}"

    time_zone = environ.get("TANGGUH_TIME_ZONE") or "Asia/Jayapura"
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnsafeConfiguration(f"TANGGUH_TIME_ZONE: unknown time zone {time_zone!r}") from exc
    if time_zone not in INDONESIAN_ZONES and not sandbox:
        raise UnsafeConfiguration(
            f"TANGGUH_TIME_ZONE: a production node runs in WIB, WITA or WIT "
            f"({', '.join(INDONESIAN_ZONES)}), got {time_zone!r}"
        )

    debug = _flag(environ.get("TANGGUH_DEBUG"), False, "TANGGUH_DEBUG")
    if debug and not sandbox:
        raise UnsafeConfiguration("TANGGUH_DEBUG: debug is refused on a production node")

    clock_start = None
    raw_clock = environ.get("TANGGUH_CLOCK")
    if raw_clock:
        if not sandbox:
            raise UnsafeConfiguration(
                "TANGGUH_CLOCK: only a sandbox node may run on a shifted clock"
            )
        try:
            clock_start = datetime.fromisoformat(raw_clock)
        except ValueError as exc:
            raise UnsafeConfiguration(
                f"TANGGUH_CLOCK: expected an ISO 8601 moment with offset, got {raw_clock!r}"
            ) from exc
        if clock_start.tzinfo is None:
            raise UnsafeConfiguration("TANGGUH_CLOCK: the moment must carry its UTC offset")

    hosts_raw = environ.get("TANGGUH_ALLOWED_HOSTS") or "localhost,127.0.0.1,[::1]"
    allowed_hosts = [h.strip() for h in hosts_raw.split(",") if h.strip()]
    if "*" in allowed_hosts and not sandbox:
        raise UnsafeConfiguration("TANGGUH_ALLOWED_HOSTS: '*' is refused on a production node")

    secret_key = _secret_key(environ, data_dir)
    if len(secret_key) < 40 and not sandbox:
        raise UnsafeConfiguration("TANGGUH_SECRET_KEY: must be at least 40 characters")

    ocds_prefix = (environ.get("TANGGUH_OCDS_PREFIX") or DEFAULT_OCDS_PREFIX).strip()
    if not valid_prefix(ocds_prefix) and not sandbox:
        # Every ocid would be refused by the OCDS validator (and by readers that check it).
        raise UnsafeConfiguration(
            "TANGGUH_OCDS_PREFIX: must be 'ocds-' followed by 6 lowercase letters or digits "
            f"(the registered form), got {ocds_prefix!r}"
        )

    origins_raw = environ.get("TANGGUH_CSRF_TRUSTED_ORIGINS", "")
    return Config(
        env=env,
        data_dir=data_dir,
        database_url=database_url,
        time_zone=time_zone,
        secret_key=secret_key,
        debug=debug,
        clock_start=clock_start,
        allowed_hosts=allowed_hosts,
        https=_flag(environ.get("TANGGUH_HTTPS"), not sandbox, "TANGGUH_HTTPS"),
        node_name=environ.get("TANGGUH_NODE_NAME") or "LPSE Tangguh",
        ocds_prefix=ocds_prefix,
        signing_key_dir=Path(environ.get("TANGGUH_SIGNING_KEY_DIR") or data_dir / "keys")
        .expanduser()
        .resolve(),
        csrf_trusted_origins=[o.strip() for o in origins_raw.split(",") if o.strip()],
    )
