"""Identifiers of open data: the ocid, release ids, RFC 3339 dates, and the feed cursor.

- ocid = the node's registered prefix (``ocds-`` + 6 lowercase letters or digits, OCDS
  "Identifiers") + ``-`` + the tender code, which never changes.
- release id = ``<ocid>-<kind>-<n>``: the n-th release of that kind for the process; stable
  (stored once, never recomputed), unique within the ocid, never containing ``#``.
- cursor: where a reader stands in the feed, as an opaque token naming the feed position and
  the first hex digits of the SHA-256 of the release at that position. A node that lost
  releases (a restore from an older backup) or another node cannot mistake it for one of its
  own: the check fails instead of silently skipping what the reader never saw.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

PREFIX_PATTERN = re.compile(r"^ocds-[a-z0-9]{6}$")
OCID_PATTERN = re.compile(r"^ocds-[a-z0-9]{6}-\S+$")
RFC3339_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_CURSOR_VERSION = "1"
_HASH_CHARS = 16


def valid_prefix(prefix: str) -> bool:
    """True for a prefix of the registered form, e.g. ``ocds-abc123``."""
    return bool(PREFIX_PATTERN.match(prefix or ""))


def ocid_for(prefix: str, tender_code: str) -> str:
    return f"{prefix}-{tender_code}"


def release_id(ocid: str, kind: str, number: int) -> str:
    return f"{ocid}-{kind}-{number}"


def rfc3339(moment: datetime, zone: str) -> str:
    """``moment`` in the node's zone with its offset, to the second: 2024-06-24T10:00:00+09:00."""
    if moment.tzinfo is None:
        raise ValueError("a moment without zone cannot be published")
    return moment.astimezone(ZoneInfo(zone)).isoformat(timespec="seconds")


class CursorError(ValueError):
    """A cursor that is not one of ours."""


@dataclass(frozen=True)
class Cursor:
    position: int
    digest: str = ""  # first hex digits of the SHA-256 of the release at ``position``

    def encode(self) -> str:
        raw = f"{_CURSOR_VERSION}:{self.position}:{self.digest}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


START = Cursor(0, "")


def cursor_for(position: int, sha256: str) -> Cursor:
    return Cursor(position, sha256[:_HASH_CHARS] if position else "")


def decode_cursor(token: str | None) -> Cursor:
    """The cursor a token names; an empty token is the start of the feed. Raises CursorError."""
    if not token:
        return START
    if len(token) > 120:
        raise CursorError("too long")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise CursorError("not base64") from exc
    parts = raw.split(":")
    if len(parts) != 3 or parts[0] != _CURSOR_VERSION or not parts[1].isdigit():
        raise CursorError("unknown form")
    position, digest = int(parts[1]), parts[2]
    if position == 0 and digest:
        raise CursorError("the start carries no digest")
    if position > 0 and not re.fullmatch(f"[0-9a-f]{{{_HASH_CHARS}}}", digest):
        raise CursorError("bad digest")
    return Cursor(position, digest)
