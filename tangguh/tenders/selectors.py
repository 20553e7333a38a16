"""Reads of tenders: their schedule as a domain value, their derived phase, public detail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tangguh import clock
from tangguh.domain.methods import Method, StageKind
from tangguh.domain.phase import Decisions, Phase, PhaseAt, phase
from tangguh.domain.schedule import Schedule, Stage
from tangguh.tenders.models import Tender


def tender_schedule(tender: Tender) -> Schedule:
    """The tender's stages as the domain's ``Schedule`` (template order)."""
    return Schedule(
        tuple(Stage(StageKind(s.kind), s.start, s.end) for s in tender.stages.order_by("position"))
    )


def tender_decisions(tender: Tender) -> Decisions:
    """The recorded facts the phase depends on. Opening, evaluation and award are recorded by
    later apps; until then they are not taken."""
    return Decisions(
        announced=tender.announced_at is not None, cancelled=tender.cancelled_at is not None
    )


def tender_phase_at(tender: Tender, now: datetime | None = None) -> PhaseAt:
    """The derived phase now (or at ``now``) and when it next changes."""
    return phase(tender_schedule(tender), now or clock.now(), tender_decisions(tender))


def tender_current_stage(tender: Tender, now: datetime | None = None) -> StageKind | None:
    """The stage whose window contains now, if any (the one highlighted on the page)."""
    moment = now or clock.now()
    for stage in tender.stages.all():
        if stage.start <= moment < stage.end:
            return StageKind(stage.kind)
    return None


def tender_get_public(code: str) -> Tender | None:
    """An announced tender by its public code (drafts are not public)."""
    return (
        Tender.objects.select_related("package__work_unit__agency", "committee")
        .filter(code=code, announced_at__isnull=False)
        .first()
    )


def tender_get(code: str) -> Tender | None:
    return (
        Tender.objects.select_related("package__work_unit__agency", "committee")
        .filter(code=code)
        .first()
    )


@dataclass(frozen=True)
class TenderStatus:
    phase: Phase
    next_change: datetime | None
    current_stage: StageKind | None
    bid_deadline: datetime | None


def tender_status(tender: Tender, now: datetime | None = None) -> TenderStatus:
    moment = now or clock.now()
    schedule = tender_schedule(tender)
    at = phase(schedule, moment, tender_decisions(tender))
    current = next((s.kind for s in schedule.stages if s.start <= moment < s.end), None)
    return TenderStatus(at.phase, at.next_change, current, schedule.bid_deadline)


def tender_method(tender: Tender) -> Method:
    return Method(tender.method)


def tenders_open_by_category(*, limit: int = 10) -> dict[str, list[dict]]:
    """The home page's announcements: open tenders per category, nearest bid deadline first.

    One query per category over the indexed (kind, end) of bid-submission stages; never the
    whole table."""
    from tangguh.planning.models import Category
    from tangguh.tenders.models import TenderStage

    now = clock.now()
    groups: dict[str, list[dict]] = {}
    for category, label in Category.choices:
        stages = (
            TenderStage.objects.filter(
                kind=StageKind.BID_SUBMISSION.value,
                end__gt=now,
                tender__announced_at__isnull=False,
                tender__cancelled_at__isnull=True,
                tender__package__category=category,
            )
            .select_related("tender__package__work_unit__agency")
            .order_by("end")[:limit]
        )
        rows = []
        for stage in stages:
            tender = stage.tender
            status = tender_status(tender, now)
            rows.append(
                {
                    "code": tender.code,
                    "title": tender.title,
                    "agency": tender.package.work_unit.agency.name,
                    "owner_estimate": tender.package.owner_estimate,
                    "phase_label": status.phase.label_id,
                    "bid_start": stage.start,
                    "bid_deadline": stage.end,
                }
            )
        groups[label] = rows
    return groups
