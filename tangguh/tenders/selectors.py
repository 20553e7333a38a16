"""Reads of tenders: their schedule as a domain value, their derived phase, public detail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tangguh import clock
from tangguh.accounts.selectors import user_grants
from tangguh.core.calendar import node_calendar
from tangguh.core.errors import NotFound
from tangguh.domain.evaluation.guarantees import bid_guarantee_required
from tangguh.domain.methods import Method, StageKind
from tangguh.domain.phase import Decisions, Phase, PhaseAt, phase
from tangguh.domain.roles import Permission, is_allowed
from tangguh.domain.rulesets import RuleSet, ruleset_by_code, ruleset_in_force
from tangguh.domain.schedule import Schedule, Stage
from tangguh.organizations.selectors import scope_chain
from tangguh.tenders.models import Tender


def tender_ruleset(tender: Tender) -> RuleSet:
    """The rule set the tender pinned at its announcement (RULES.md), or, for a tender that
    has none recorded, the one in force at its announcement."""
    if tender.ruleset_code:
        return ruleset_by_code(tender.ruleset_code)
    return ruleset_in_force(node_calendar().local(tender.announced_at))


def tender_bid_guarantee_required(*, tender: Tender, ruleset: RuleSet) -> bool:
    """Whether the tender's bids must carry a bid guarantee under ``ruleset`` (RULES.md "Bid
    guarantee": works with an HPS, the package's owner estimate, above the rule set's
    threshold): its schedule then needs the bid window for a guarantee, its sealing page says
    so, and its opening and evaluation check each guarantee."""
    package = tender.package
    return bid_guarantee_required(
        hps=Decimal(package.owner_estimate), category=package.category, ruleset=ruleset
    )


def tender_schedule(tender: Tender) -> Schedule:
    """The tender's stages as the domain's ``Schedule`` (template order)."""
    rows = tender.stages.order_by("position").values_list("kind", "start", "end")
    return Schedule(tuple(Stage(StageKind(kind), start, end) for kind, start, end in rows))


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


def tender_get(code: str, *, related: bool = True) -> Tender | None:
    """Any tender by code, drafts included, whoever asks: for the node's own tools (the
    command line). A caller's request goes through ``tender_get_visible``/``tender_find``.

    ``related=False`` leaves out the package, work unit, agency and committee (loaded when
    touched): the bid upload needs none of them, and building the five-table query costs it
    about a millisecond, which counts when twenty vendors upload at once."""
    query = Tender.objects.filter(code=code)
    if related:
        query = query.select_related("package__work_unit__agency", "committee")
    return query.first()


# Who may know that a draft exists: the people who work on it before it is announced. Its
# Pokja prepares it (PREPARE_TENDER over its committee, the check every draft service makes),
# the UKPBJ head assigned the package to that Pokja (ASSIGN_PACKAGE over the committee's
# procurement unit) and the PPK owns the package (MANAGE_PLAN over its work unit). Grants held
# higher up (the agency, the node) cover a scope as everywhere else (``is_allowed``).
_DRAFT_READERS = (
    (Permission.PREPARE_TENDER, "committee"),
    (Permission.ASSIGN_PACKAGE, "committee"),
    (Permission.MANAGE_PLAN, "work_unit"),
)


def tender_visible_to(tender: Tender, user) -> bool:
    """Whether ``user`` may learn that ``tender`` exists. An announced tender is public; a
    draft only to its ``_DRAFT_READERS``. Codes are sequential, so anyone else must get the
    very answer a code that does not exist gets (docs/security.md "Drafts are not seen")."""
    if tender.announced_at is not None:
        return True
    grants = user_grants(user) if user is not None else []
    if not grants:
        return False
    scopes = {
        "committee": scope_chain(f"committee:{tender.committee_id}"),
        "work_unit": scope_chain(f"work_unit:{tender.package.work_unit_id}"),
    }
    return any(is_allowed(grants, permission, scopes[kind]) for permission, kind in _DRAFT_READERS)


def tender_get_visible(code: str, user, *, related: bool = True) -> Tender | None:
    """The tender ``code`` as ``user`` may see it: a draft they may not know of is ``None``,
    exactly like a code that does not exist (``related`` as in ``tender_get``)."""
    tender = tender_get(code, related=related)
    if tender is None or not tender_visible_to(tender, user):
        return None
    return tender


def tender_not_found() -> NotFound:
    """The one answer for a tender code that does not exist, or names a hidden draft."""
    return NotFound(
        "tender.not_found", "Tender tidak ditemukan.", "Tender not found.", field="code"
    )


def tender_find(code: str, *, viewer) -> Tender:
    """``tender_get_visible`` or ``tender.not_found``: the lookup of every endpoint that acts
    on a tender by code before or after its announcement (the services then check the
    action itself, a 403 for a caller who may see the tender but not do this)."""
    tender = tender_get_visible(code, viewer)
    if tender is None:
        raise tender_not_found()
    return tender


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
