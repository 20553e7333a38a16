"""Backup manifests: what one backup holds, where each item lies in the backup directory, and
how a manifest is read back strictly.

A backup directory (``DEST``) holds::

    TANGGUH-BACKUP                         what this directory is (plain text, for a person)
    objects/<set>/<aa>/<sha256>.age        every item, age-encrypted, named by its plain SHA-256
    manifests/<id>.jws                     one signed manifest per backup (written last)

``<set>`` names the recipient set (the first 16 hex digits of the SHA-256 of the sorted
recipients): an object is reused only by a backup to the very same recipients, so changing the
recovery keys re-encrypts everything once, and an old recovery key never opens a new backup.

The manifest is the payload of a compact JWS signed by the node key. It is not encrypted: it
states digests and sizes (of sealed envelopes these are public in the closing statement anyway)
and the audit head, never a file's contents. Pure: no Django, no I/O.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

MANIFEST_TYPE = "tangguh.backup-manifest/1"
MARKER_NAME = "TANGGUH-BACKUP"
MANIFEST_DIR = "manifests"
OBJECT_DIR = "objects"
MANIFEST_SUFFIX = ".jws"

ROLE_DATABASE = "database"
ROLE_BLOB = "blob"
ROLE_KEY = "key"
ROLE_FILE = "file"
ROLES = (ROLE_DATABASE, ROLE_BLOB, ROLE_KEY, ROLE_FILE)

DATABASE_FORMATS = {"sqlite": "sqlite3", "postgresql": "pg_dump-custom"}
DATABASE_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}

_HEX64 = re.compile(r"[0-9a-f]{64}")
_BACKUP_ID = re.compile(r"[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}")
_SET_ID = re.compile(r"[0-9a-f]{16}")
_KEY_NAME = re.compile(r"[A-Za-z0-9_-]{1,100}(\.pub)?\.pem|active")


class ManifestError(ValueError):
    """A manifest (or a name in it) that cannot be trusted as written; ``code`` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def is_sha256(value: object) -> bool:
    return isinstance(value, str) and _HEX64.fullmatch(value) is not None


def is_backup_id(value: object) -> bool:
    return isinstance(value, str) and _BACKUP_ID.fullmatch(value) is not None


def backup_id(moment: datetime, suffix: str) -> str:
    """``20240624T010000Z-000000``: UTC time first, so names sort by age; ``suffix`` (six hex
    digits, counting up) keeps backups made in the same second apart and in order."""
    if moment.tzinfo is None:
        raise ValueError("backup times must be aware")
    value = moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + suffix
    if not is_backup_id(value):
        raise ValueError(f"not a backup id: {value!r}")
    return value


def recipient_set_id(recipients: Iterable[str]) -> str:
    """The name of a set of recipients, independent of their order and repetition."""
    unique = sorted({r.strip() for r in recipients if r.strip()})
    if not unique:
        raise ValueError("at least one recipient")
    return hashlib.sha256("\n".join(unique).encode("ascii")).hexdigest()[:16]


def object_name(recipient_set: str, sha256: str) -> str:
    """Where the encrypted copy of the plain bytes ``sha256`` lies, relative to ``DEST``."""
    if not _SET_ID.fullmatch(recipient_set) or not is_sha256(sha256):
        raise ValueError("bad recipient set or digest")
    return f"{OBJECT_DIR}/{recipient_set}/{sha256[:2]}/{sha256}.age"


def manifest_name(backup: str) -> str:
    if not is_backup_id(backup):
        raise ValueError(f"not a backup id: {backup!r}")
    return f"{MANIFEST_DIR}/{backup}{MANIFEST_SUFFIX}"


def safe_relative_name(name: object) -> str:
    """A relative POSIX path with no ``..``, no absolute start, no empty or hidden tricks: the
    only kind of name a restore may write under the data directory."""
    if not isinstance(name, str) or not name or len(name) > 1000:
        raise ManifestError("backup.bad_name", f"not a usable file name: {name!r}")
    if "\\" in name or "\x00" in name or name.startswith("/"):
        raise ManifestError("backup.bad_name", f"not a relative name: {name!r}")
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ManifestError("backup.bad_name", f"not a plain relative name: {name!r}")
    return name


@dataclass(frozen=True)
class Item:
    """One thing in a backup: its role, the name it is restored under, the plain bytes' digest
    and size, and the encrypted object's digest, size and place."""

    role: str
    name: str
    sha256: str
    size: int
    cipher_sha256: str
    cipher_size: int
    object: str
    mode: int | None = None

    def payload(self) -> dict:
        body = {
            "role": self.role,
            "name": self.name,
            "sha256": self.sha256,
            "size": self.size,
            "cipher_sha256": self.cipher_sha256,
            "cipher_size": self.cipher_size,
            "object": self.object,
        }
        if self.mode is not None:
            body["mode"] = self.mode
        return body

    @property
    def label(self) -> str:
        """How a report names the item: ``blob 3fa4…``, ``key active``, ``database``."""
        if self.role == ROLE_BLOB:
            return f"blob {self.name}"
        if self.role == ROLE_DATABASE:
            return f"database ({self.name})"
        return f"{self.role} {self.name}"


@dataclass(frozen=True)
class Manifest:
    id: str
    node: str
    ocds_prefix: str
    created_at: str  # RFC 3339 with the node's offset
    version: str
    database_engine: str
    audit_size: int
    audit_head: str
    recipients: tuple[str, ...]
    items: tuple[Item, ...]
    damaged: tuple[str, ...] = ()
    env: str | None = None

    @property
    def recipient_set(self) -> str:
        return recipient_set_id(self.recipients)

    def payload(self) -> dict:
        body = {
            "typ": MANIFEST_TYPE,
            "id": self.id,
            "node": self.node,
            "ocds_prefix": self.ocds_prefix,
            "created_at": self.created_at,
            "version": self.version,
            "database": {
                "engine": self.database_engine,
                "format": DATABASE_FORMATS[self.database_engine],
            },
            "audit_head": {"size": self.audit_size, "hash": self.audit_head},
            "recipients": list(self.recipients),
            "recipient_set": self.recipient_set,
            "items": [item.payload() for item in self.items],
            "damaged": list(self.damaged),
            "totals": {
                "items": len(self.items),
                "size": sum(i.size for i in self.items),
                "cipher_size": sum(i.cipher_size for i in self.items),
            },
        }
        return body

    def of_role(self, role: str) -> list[Item]:
        return [item for item in self.items if item.role == role]

    @property
    def database(self) -> Item:
        return self.of_role(ROLE_DATABASE)[0]


def _need(condition: bool, message: str) -> None:
    if not condition:
        raise ManifestError("backup.manifest_malformed", message)


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _parse_item(raw: object, recipient_set: str, index: int) -> Item:
    _need(isinstance(raw, dict), f"item {index} is not an object")
    role, name = raw.get("role"), raw.get("name")
    _need(role in ROLES, f"item {index}: unknown role {role!r}")
    sha, cipher_sha = raw.get("sha256"), raw.get("cipher_sha256")
    size, cipher_size = raw.get("size"), raw.get("cipher_size")
    _need(is_sha256(sha) and is_sha256(cipher_sha), f"item {index}: digests must be hex SHA-256")
    _need(_int(size) and _int(cipher_size), f"item {index}: sizes must be whole numbers")
    _need(
        raw.get("object") == object_name(recipient_set, sha),
        f"item {index}: the object is not where its digest puts it",
    )
    if role == ROLE_BLOB:
        _need(name == sha, f"item {index}: a blob is named by its SHA-256")
    elif role == ROLE_KEY:
        _need(
            isinstance(name, str) and _KEY_NAME.fullmatch(name) is not None,
            f"item {index}: not a key file name: {name!r}",
        )
    else:
        safe_relative_name(name)
    mode = raw.get("mode")
    _need(mode is None or (_int(mode) and mode <= 0o777), f"item {index}: bad file mode")
    return Item(
        role=str(role),
        name=str(name),
        sha256=sha,
        size=int(size),
        cipher_sha256=str(cipher_sha),
        cipher_size=int(cipher_size),
        object=str(raw["object"]),
        mode=mode,
    )


def parse_manifest(payload: object) -> Manifest:
    """The manifest a (signature-checked) JWS payload states, or ``ManifestError`` naming the
    first thing wrong. Every object path must follow from its digest, so a manifest cannot make
    a restore read or write outside the places this module names."""
    _need(isinstance(payload, dict), "the manifest is not a JSON object")
    if payload.get("typ") != MANIFEST_TYPE:
        raise ManifestError("backup.not_a_manifest", "not a Tangguh backup manifest")
    _need(is_backup_id(payload.get("id")), "bad backup id")
    for key in ("node", "ocds_prefix", "created_at", "version"):
        _need(isinstance(payload.get(key), str), f"{key} must be text")
    database = payload.get("database")
    _need(
        isinstance(database, dict) and database.get("engine") in DATABASE_FORMATS,
        "database.engine must be sqlite or postgresql",
    )
    head = payload.get("audit_head")
    _need(
        isinstance(head, dict) and _int(head.get("size")) and is_sha256(head.get("hash")),
        "audit_head needs a size and a SHA-256 hash",
    )
    recipients = payload.get("recipients")
    _need(
        isinstance(recipients, list)
        and bool(recipients)
        and all(isinstance(r, str) and r.startswith("age1") for r in recipients),
        "recipients must be a list of age1… recipients",
    )
    recipient_set = recipient_set_id(recipients)
    _need(payload.get("recipient_set") == recipient_set, "recipient_set does not match")
    raw_items = payload.get("items")
    _need(isinstance(raw_items, list), "items must be a list")
    items = tuple(_parse_item(raw, recipient_set, i) for i, raw in enumerate(raw_items))
    databases = [i for i in items if i.role == ROLE_DATABASE]
    _need(len(databases) == 1, "a backup holds exactly one database item")
    expected = DATABASE_NAMES[database["engine"]]
    _need(databases[0].name == expected, f"the database item must be named {expected}")
    names = [(i.role, i.name) for i in items]
    _need(len(names) == len(set(names)), "an item is listed twice")
    damaged = payload.get("damaged", [])
    _need(isinstance(damaged, list) and all(is_sha256(d) for d in damaged), "bad damaged list")
    return Manifest(
        id=payload["id"],
        node=payload["node"],
        ocds_prefix=payload["ocds_prefix"],
        created_at=payload["created_at"],
        version=payload["version"],
        database_engine=database["engine"],
        audit_size=head["size"],
        audit_head=head["hash"],
        recipients=tuple(recipients),
        items=items,
        damaged=tuple(damaged),
        env=payload.get("env") if isinstance(payload.get("env"), str) else None,
    )
