"""Reads of the hub's local copies and of the outbox."""

from __future__ import annotations

from django.db.models import Count, Min, Q

from tangguh.hub.adapters import ADAPTERS
from tangguh.hub.models import AdapterState, Outbox, RegistryVendor, RupLine, TrustedNode


def registry_lookup(nib: str) -> RegistryVendor | None:
    """The vendor registry's record of a NIB, from the local copy (never a live call)."""
    return RegistryVendor.objects.filter(nib=nib).first()


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
