"""Replacing the node's copy of the national blacklist (Daftar Hitam, Perpres 16/2018 Ps 78-82)
from an export, as JSON or CSV. The copy is replaced whole or not at all: a partial copy would
silently let sanctioned vendors in.

Columns (CSV header) or keys (JSON objects, a list or ``{"entries": [...]}``): ``npwp``, ``nib``
(at least one), ``name``, ``starts_on``, ``ends_on`` (empty: until lifted), ``decree_reference``,
``source``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date

from django.db import transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.accounts.services.permissions import permission_require
from tangguh.audit.services import audit_append
from tangguh.core.errors import InvalidInput
from tangguh.domain.identifiers import IdentifierError, normalize_nib, normalize_npwp
from tangguh.domain.roles import Permission
from tangguh.participation.models import BlacklistEntry, BlacklistSync

MAX_EXPORT_BYTES = 50 * 1024 * 1024
MAX_ROWS = 500_000
COLUMNS = ("npwp", "nib", "name", "starts_on", "ends_on", "decree_reference", "source")


def _refuse(code: str, message_id: str, message_en: str) -> InvalidInput:
    return InvalidInput(f"blacklist.{code}", message_id, message_en, field="file")


def _rows(data: bytes) -> list[dict]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refuse("encoding", "Berkas harus UTF-8.", "The file must be UTF-8.") from exc
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        try:
            parsed = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise _refuse(
                "malformed", "Berkas JSON tidak sah.", "The JSON file is malformed."
            ) from exc
        rows = parsed.get("entries") if isinstance(parsed, dict) else parsed
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise _refuse(
                "malformed",
                'JSON harus berupa daftar objek (atau {"entries": [...]}).',
                'The JSON must be a list of objects (or {"entries": [...]}).',
            )
        return rows
    reader = csv.DictReader(io.StringIO(text))
    missing = {"name", "starts_on", "decree_reference"} - set(reader.fieldnames or ())
    if missing:
        raise _refuse(
            "malformed",
            f"Kolom CSV wajib tidak ada: {', '.join(sorted(missing))}.",
            f"Required CSV columns are missing: {', '.join(sorted(missing))}.",
        )
    return list(reader)


def _date(value: object) -> date | None:
    text = str(value or "").strip()
    return date.fromisoformat(text) if text else None


def _entry(row: dict) -> dict:
    """One row as entry fields; ValueError naming the field and rule."""
    values = {key: str(row.get(key) or "").strip() for key in COLUMNS}
    try:
        npwp = normalize_npwp(values["npwp"]) if values["npwp"] else ""
        nib = normalize_nib(values["nib"]) if values["nib"] else ""
    except IdentifierError as exc:
        raise ValueError(f"{exc.field}: {exc.rule_en}") from exc
    if not npwp and not nib:
        raise ValueError("npwp/nib: at least one is required")
    for key, limit in (("name", 200), ("decree_reference", 200)):
        if not values[key] or len(values[key]) > limit:
            raise ValueError(f"{key}: required, at most {limit} characters")
    if len(values["source"]) > 200:
        raise ValueError("source: at most 200 characters")
    try:
        starts_on = _date(values["starts_on"])
        ends_on = _date(values["ends_on"])
    except ValueError as exc:
        raise ValueError("starts_on/ends_on: must be dates YYYY-MM-DD") from exc
    if starts_on is None:
        raise ValueError("starts_on: required")
    if ends_on is not None and ends_on < starts_on:
        raise ValueError("ends_on: before starts_on")
    return {
        "npwp": npwp,
        "nib": nib,
        "name": values["name"],
        "starts_on": starts_on,
        "ends_on": ends_on,
        "decree_reference": values["decree_reference"],
        "source": values["source"],
    }


def blacklist_parse(data: bytes) -> list[dict]:
    """Every row checked; any bad row refuses the whole file, naming up to five rows."""
    if len(data) > MAX_EXPORT_BYTES:
        raise _refuse("too_large", "Berkas melebihi 50 MB.", "The file is larger than 50 MB.")
    rows = _rows(data)
    if not rows:
        raise _refuse(
            "empty",
            "Berkas tidak berisi satu pun entri; salinan tidak diganti.",
            "The file has no entries; the copy was not replaced.",
        )
    if len(rows) > MAX_ROWS:
        raise _refuse("too_large", "Terlalu banyak baris.", "Too many rows.")
    entries, problems = [], []
    for number, row in enumerate(rows, start=1):
        try:
            entries.append(_entry(row))
        except ValueError as exc:
            problems.append(f"{number}: {exc}")
    if problems:
        listed = "; ".join(problems[:5]) + (" …" if len(problems) > 5 else "")
        raise _refuse(
            "rows_invalid",
            f"{len(problems)} baris tidak sah, salinan tidak diganti (baris {listed}).",
            f"{len(problems)} rows are invalid; the copy was not replaced (rows {listed}).",
        )
    return entries


def blacklist_sync_unchecked(*, actor: User | str, data: bytes, filename: str) -> BlacklistSync:
    """Replace the local copy with the export ``data`` (for the CLI; callers check rights)."""
    entries = blacklist_parse(data)
    digest = hashlib.sha256(data).hexdigest()
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1][:200]
    with transaction.atomic():
        now = clock.now()
        removed = BlacklistEntry.objects.count()
        BlacklistEntry.objects.all().delete()
        BlacklistEntry.objects.bulk_create(
            [BlacklistEntry(synced_at=now, **entry) for entry in entries], batch_size=1000
        )
        label = actor if isinstance(actor, str) else f"user:{actor.username}"
        sync = BlacklistSync.objects.create(
            at=now, actor=label, filename=name, sha256=digest, entries=len(entries)
        )
        audit_append(
            actor=actor,
            action="blacklist.synced",
            object_type="blacklist_sync",
            object_id=sync.pk,
            payload={
                "filename": name,
                "sha256": digest,
                "entries": len(entries),
                "replaced": removed,
            },
        )
    return sync


def blacklist_sync(*, actor: User, data: bytes, filename: str) -> BlacklistSync:
    """An administrator replaces the local blacklist copy from a national export."""
    permission_require(user=actor, permission=Permission.MANAGE_NODE, action="blacklist.sync")
    return blacklist_sync_unchecked(actor=actor, data=data, filename=filename)
