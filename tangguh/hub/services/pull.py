"""``tangguh hub pull``: refresh the local copies from the national services that are
connected. Business code reads only these copies (participation reads the blacklist copy,
verifiers the registry copy, credentials the trust list), so a service that is down leaves the
last good copy in place and delays nothing; its failure is recorded and shown."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction

from tangguh import clock
from tangguh.audit.services import audit_append
from tangguh.core.errors import ServiceError
from tangguh.hub.adapters import DAFTAR_HITAM, HUB, SIKAP, SIRUP, AdapterError
from tangguh.hub.models import HubCursor, RegistryVendor, RupLine
from tangguh.hub.services.state import adapter_failed, adapter_ok
from tangguh.hub.services.trust import trust_import_unchecked, trust_parse
from tangguh.participation.selectors import blacklist_last_sync
from tangguh.participation.services.blacklist import blacklist_sync_unchecked

ACTOR = "hub"


@dataclass
class PullReport:
    results: dict[str, str] = field(default_factory=dict)  # service -> what happened
    failed: list[str] = field(default_factory=list)


def _cursor(name: str) -> str:
    row = HubCursor.objects.filter(name=name).first()
    return row.value if row else ""


def _cursor_set(name: str, value: str) -> None:
    HubCursor.objects.update_or_create(
        name=name, defaults={"value": value, "updated_at": clock.now()}
    )


class _BadData(Exception):
    pass


def _pull_blacklist() -> str:
    data = DAFTAR_HITAM.export()
    last = blacklist_last_sync()
    if last is not None and last.sha256 == hashlib.sha256(data).hexdigest():
        return "unchanged"
    try:
        sync = blacklist_sync_unchecked(actor=ACTOR, data=data, filename="daftar-hitam-nasional")
    except ServiceError as exc:
        # A broken export replaces nothing: the last good copy stays in force.
        raise _BadData(f"{exc.code}: {exc.message_en}") from exc
    return f"{sync.entries} entries"


def _pull_registry() -> str:
    body = SIKAP.changes(since=_cursor("sikap.since"))
    vendors, cursor = body.get("vendors"), body.get("cursor")
    if not isinstance(vendors, list) or not isinstance(cursor, str | int):
        raise _BadData("sikap: expected {vendors: [...], cursor}")
    now = clock.now()
    with transaction.atomic():
        for raw in vendors:
            nib = str(raw.get("nib", "")).strip() if isinstance(raw, dict) else ""
            if not nib.isdigit() or len(nib) != 13:
                raise _BadData(f"sikap: a vendor without a 13-digit NIB: {str(raw)[:80]}")
            RegistryVendor.objects.update_or_create(
                nib=nib,
                defaults={
                    "name": str(raw.get("name", ""))[:200],
                    "status": str(raw.get("status", ""))[:40],
                    "data": raw,
                    "synced_at": now,
                },
            )
        _cursor_set("sikap.since", str(cursor))
        if vendors:
            audit_append(
                actor=ACTOR,
                action="hub.registry_pulled",
                object_type="hub_copy",
                object_id="sikap",
                payload={"vendors": len(vendors), "cursor": str(cursor)},
            )
    return f"{len(vendors)} vendors"


def _pull_rup() -> str:
    body = SIRUP.changes(since=_cursor("sirup.since"))
    items, cursor = body.get("items"), body.get("cursor")
    if not isinstance(items, list) or not isinstance(cursor, str | int):
        raise _BadData("sirup: expected {items: [...], cursor}")
    now = clock.now()
    with transaction.atomic():
        for raw in items:
            try:
                code = str(raw["rup_code"]).strip()
                values = {
                    "fiscal_year": int(raw["fiscal_year"]),
                    "title": str(raw["title"])[:300],
                    "work_unit": str(raw.get("work_unit", ""))[:200],
                    "category": str(raw.get("category", ""))[:20],
                    "budget": Decimal(str(raw["budget"])),
                    "data": raw,
                    "synced_at": now,
                }
            except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
                raise _BadData(f"sirup: a malformed item: {str(raw)[:80]}") from exc
            if not code or len(code) > 30:
                raise _BadData(f"sirup: a malformed RUP code: {code[:40]!r}")
            RupLine.objects.update_or_create(rup_code=code, defaults=values)
        _cursor_set("sirup.since", str(cursor))
        if items:
            audit_append(
                actor=ACTOR,
                action="hub.rup_pulled",
                object_type="hub_copy",
                object_id="sirup",
                payload={"items": len(items), "cursor": str(cursor)},
            )
    return f"{len(items)} plan lines"


def _pull_trust() -> str:
    import json

    body = HUB.trust_list()
    try:
        entries = trust_parse(json.dumps(body).encode())
    except ServiceError as exc:
        raise _BadData(f"{exc.code}: {exc.message_en}") from exc
    result = trust_import_unchecked(actor=ACTOR, entries=entries, source="hub")
    return f"{len(entries)} nodes ({len(result['added'])} new, {len(result['dropped'])} dropped)"


PULLS = (
    (DAFTAR_HITAM, _pull_blacklist),
    (SIKAP, _pull_registry),
    (SIRUP, _pull_rup),
    (HUB, _pull_trust),
)


def hub_pull() -> PullReport:
    """Pull every connected service; one failing does not stop the others."""
    report = PullReport()
    for adapter, pull in PULLS:
        if not adapter.connected:
            report.results[adapter.service] = "not connected"
            continue
        try:
            report.results[adapter.service] = pull()
        except (AdapterError, _BadData) as exc:
            adapter_failed(service=adapter.service, error=str(exc))
            report.results[adapter.service] = f"failed: {exc}"
            report.failed.append(adapter.service)
        else:
            adapter_ok(service=adapter.service)
    return report
