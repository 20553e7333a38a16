"""Reads of the hub's local copies and of the outbox."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min, Q

from tangguh.hub.adapters import ADAPTERS
from tangguh.hub.models import AdapterState, Outbox, RegistryVendor, RupLine, TrustedNode


def registry_lookup(nib: str) -> RegistryVendor | None:
    """The vendor registry's record of a NIB, from the local copy (never a live call)."""
    return RegistryVendor.objects.filter(nib=nib).first()


@dataclass(frozen=True)
class RegistryField:
    field: str  # name | npwp | city
    declared: str
    registry: str
    same: bool


@dataclass(frozen=True)
class RegistryComparison:
    """What the local registry copy says about a declared company: ``not_in_copy``, ``match``
    or ``mismatch``, field by field, with the copy's date and the registry's status."""

    verdict: str
    fields: tuple[RegistryField, ...] = ()
    registry_name: str = ""
    registry_status: str = ""
    synced_at: datetime | None = None


def _plain(text: str) -> str:
    # "PT. Maju  Jaya" and "pt maju jaya" are the same name; punctuation and case do not count.
    return " ".join(re.sub(r"[^\w\s]", " ", text or "").split()).casefold()


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text or "")


def registry_compare(*, nib: str, name: str, npwp: str = "", city: str = "") -> RegistryComparison:
    """Compare what a vendor declared with the local copy of SIKaP (never a live call). Only
    fields the copy holds are compared; the NIB is the key, so it always matches when found."""
    found = registry_lookup(nib)
    if found is None:
        return RegistryComparison("not_in_copy")
    data = found.data if isinstance(found.data, dict) else {}
    fields = [RegistryField("name", name, found.name, _plain(name) == _plain(found.name))]
    if data.get("npwp"):
        theirs = str(data["npwp"])
        fields.append(RegistryField("npwp", npwp, theirs, _digits(npwp) == _digits(theirs)))
    if data.get("city"):
        theirs = str(data["city"])
        fields.append(RegistryField("city", city, theirs, _plain(city) == _plain(theirs)))
    verdict = "match" if all(f.same for f in fields) else "mismatch"
    return RegistryComparison(verdict, tuple(fields), found.name, found.status, found.synced_at)


def rup_lookup(rup_code: str) -> RupLine | None:
    """A published plan line, from the local copy of SiRUP."""
    return RupLine.objects.filter(rup_code=rup_code).first()


def trusted_nodes() -> list[TrustedNode]:
    return list(TrustedNode.objects.all())


def hub_status() -> dict:
    """Per service: connected or not, last contact, last error; the outbox by kind."""
    states = {state.service: state for state in AdapterState.objects.all()}
    services = []
    for adapter in ADAPTERS:
        state = states.get(adapter.service)
        services.append(
            {
                "service": adapter.service,
                "name_id": adapter.label_id,
                "name_en": adapter.label_en,
                "connected": adapter.connected,
                "last_attempt_at": state.last_attempt_at if state else None,
                "last_ok_at": state.last_ok_at if state else None,
                "last_error": state.last_error if state else "",
            }
        )
    outbox = [
        {
            "kind": row["kind"],
            "waiting": row["waiting"],
            "delivered": row["delivered"],
            "oldest_waiting_at": row["oldest"],
        }
        for row in Outbox.objects.values("kind")
        .annotate(
            waiting=Count("id", filter=Q(delivered_at__isnull=True)),
            delivered=Count("id", filter=Q(delivered_at__isnull=False)),
            oldest=Min("created_at", filter=Q(delivered_at__isnull=True)),
        )
        .order_by("kind")
    ]
    return {"services": services, "outbox": outbox}
