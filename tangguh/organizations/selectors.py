"""Reads of the organization tree, and the chain of scopes enclosing a target."""

from __future__ import annotations

import datetime as dt

from tangguh.domain.calendar import national_holidays
from tangguh.organizations.models import (
    Agency,
    Committee,
    LocalHoliday,
    Node,
    ProcurementUnit,
    WorkUnit,
)


def node_get() -> Node | None:
    return Node.objects.filter(pk=1).first()


def scope_chain(scope: str) -> list[str]:
    """The scope and every scope enclosing it, innermost first (``node`` is implied)."""
    kind, _, raw_id = scope.partition(":")
    if not raw_id.isdigit():
        return [scope]
    pk = int(raw_id)
    if kind == "work_unit":
        unit = WorkUnit.objects.filter(pk=pk).only("agency_id").first()
        return [scope] + ([f"agency:{unit.agency_id}"] if unit else [])
    if kind == "procurement_unit":
        pu = ProcurementUnit.objects.filter(pk=pk).only("agency_id").first()
        return [scope] + ([f"agency:{pu.agency_id}"] if pu else [])
    if kind == "committee":
        committee = Committee.objects.filter(pk=pk).select_related("procurement_unit").first()
        if committee is None:
            return [scope]
        pu = committee.procurement_unit
        return [scope, f"procurement_unit:{pu.pk}", f"agency:{pu.agency_id}"]
    return [scope]


def scope_label(scope: str) -> str:
    """A human name for a scope, for pages and the role list."""
    kind, _, raw_id = scope.partition(":")
    model = {
        "agency": Agency,
        "work_unit": WorkUnit,
        "procurement_unit": ProcurementUnit,
        "committee": Committee,
    }.get(kind)
    if model is not None and raw_id.isdigit():
        obj = model.objects.filter(pk=int(raw_id)).first()
        if obj is not None:
            return str(obj)
    if kind == "company" and raw_id.isdigit():
        from tangguh.vendors.models import VendorCompany

        company = VendorCompany.objects.filter(pk=int(raw_id)).first()
        if company is not None:
            return company.name
    return scope


def recovery_recipient_for_committee(committee_id: int) -> str | None:
    """The offline recovery recipient of the UKPBJ a Pokja belongs to, or None."""
    unit = ProcurementUnit.objects.filter(committees__pk=committee_id).first()
    return (unit.recovery_recipient or None) if unit else None


def local_holidays() -> dict[dt.date, str]:
    """The node's local days off (date → name), every year."""
    return dict(LocalHoliday.objects.values_list("day", "name"))


def holidays_of_year(year: int) -> list[dict]:
    """Every day off of ``year`` by date: national holidays and cuti bersama (``national``) and
    the node's local days (``local``, with the reason given when it was added)."""
    rows = [
        {"date": day, "name": name, "kind": "national", "reason": ""}
        for day, name in national_holidays(year).items()
    ]
    rows += [
        {"date": h.day, "name": h.name, "kind": "local", "reason": h.reason}
        for h in LocalHoliday.objects.filter(day__year=year)
    ]
    return sorted(rows, key=lambda row: (row["date"], row["kind"]))
