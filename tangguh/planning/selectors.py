"""Reads for planning pages: the UKPBJ backlog, packages a person works on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.accounts.selectors import user_grants
from tangguh.domain.roles import Role
from tangguh.hub.models import RupLine
from tangguh.organizations.models import WorkUnit
from tangguh.planning.models import Package, PlanItem


@dataclass(frozen=True)
class BacklogRow:
    package: Package
    waiting_days: int
    committee: str
    work_unit: str
    stage: str  # "unassigned" | "assigned" | "draft"


def backlog(*, procurement_unit_id: int, now: datetime | None = None) -> list[BacklogRow]:
    """Delegated packages not yet announced, oldest delegation first, with days waiting."""
    moment = now or clock.now()
    packages = (
        Package.objects.filter(procurement_unit_id=procurement_unit_id, delegated_at__isnull=False)
        .filter(Q(tender__isnull=True) | Q(tender__announced_at__isnull=True))
        .exclude(tender__cancelled_at__isnull=False)
        .select_related("work_unit", "committee")
        .order_by("delegated_at")
    )
    rows = []
    for package in packages:
        if package.committee_id is None:
            stage = "unassigned"
        elif getattr(package, "tender", None) is None:
            stage = "assigned"
        else:
            stage = "draft"
        rows.append(
            BacklogRow(
                package=package,
                waiting_days=(moment - package.delegated_at).days,
                committee=package.committee.name if package.committee else "",
                work_unit=package.work_unit.name,
                stage=stage,
            )
        )
    return rows


def backlog_summary(rows: list[BacklogRow]) -> dict[str, dict[str, dict]]:
    """Per Pokja and per work unit: how many packages wait and the oldest wait in days."""
    summary: dict[str, dict[str, dict]] = {"committee": {}, "work_unit": {}}
    for row in rows:
        for key, name in (("committee", row.committee or "—"), ("work_unit", row.work_unit)):
            entry = summary[key].setdefault(name, {"count": 0, "oldest_days": 0})
            entry["count"] += 1
            entry["oldest_days"] = max(entry["oldest_days"], row.waiting_days)
    return summary


def packages_for(user: User) -> list[Package]:
    """Packages a PPK (their work units) or a Pokja member (their committees) works on."""
    work_units, committees = [], []
    for grant in user_grants(user):
        kind, _, raw = grant.scope.partition(":")
        if grant.role == Role.COMMITMENT_OFFICER and kind == "work_unit":
            work_units.append(int(raw))
        elif grant.role == Role.COMMITTEE_MEMBER and kind == "committee":
            committees.append(int(raw))
    return list(
        Package.objects.filter(Q(work_unit_id__in=work_units) | Q(committee_id__in=committees))
        .select_related("work_unit", "committee", "procurement_unit")
        .order_by("-created_at")[:200]
    )


def _unit_key(text: str) -> str:
    return " ".join((text or "").split()).casefold()


def rup_line_belongs_to(line: RupLine, unit: WorkUnit) -> bool:
    """Whether a line of the SiRUP copy is the work unit's: SiRUP names the work unit (satker) by
    name; a code given in the line's data (``work_unit_code``) matches the unit's code too."""
    code = str((line.data or {}).get("work_unit_code", "")).strip()
    if code and code == unit.code:
        return True
    return _unit_key(line.work_unit) == _unit_key(unit.name)


@dataclass(frozen=True)
class RupCopyRow:
    line: RupLine
    imported: bool  # a plan item with this RUP code already exists


def rup_copy_for_work_unit(unit: WorkUnit) -> list[RupCopyRow]:
    """The work unit's lines in the local copy of SiRUP, with whether each is already a plan
    item. The copy is what ``tangguh hub pull`` last fetched; no national service is called."""
    # The copy may hold a whole region's plan: narrow in the database by the name's longest word
    # (or the unit's code), then match exactly.
    word = max(unit.name.split(), key=len, default=unit.name)
    candidates = RupLine.objects.filter(
        Q(work_unit__icontains=word) | Q(data__work_unit_code=unit.code)
    )
    lines = [line for line in candidates if rup_line_belongs_to(line, unit)]
    taken = set(
        PlanItem.objects.filter(rup_code__in=[line.rup_code for line in lines]).values_list(
            "rup_code", flat=True
        )
    )
    return [RupCopyRow(line, line.rup_code in taken) for line in lines]
