"""Reading a tender's public facts from the database, as the plain values the OCDS mapping
takes (``tangguh.domain.ocds.facts``). Only what is public goes in: names of bodies, the plan,
the schedule, published documents and reasons, and after opening the number of bids.
Nothing about people (UU 27/2022): no user, no member, no vendor contact."""

from __future__ import annotations

from datetime import datetime

from django.apps import apps
from django.conf import settings

from tangguh.bids.models import ClosingStatement, Opening
from tangguh.core.calendar import node_calendar
from tangguh.domain.methods import StageKind
from tangguh.domain.ocds.facts import (
    AmendmentFacts,
    BidStatisticFacts,
    DocumentFacts,
    NodeFacts,
    OfflineFacts,
    PartyFacts,
    PeriodFacts,
    PlanningFacts,
    ProcessFacts,
    StageMove,
    TenderFacts,
)
from tangguh.organizations.selectors import node_get
from tangguh.outages.models import DecisionChoice, OutageDecision
from tangguh.planning.models import Category
from tangguh.tenders.models import DocumentKind, EvaluationMethod, ScheduleChange, Tender

_CATEGORY = dict(Category.choices)
_EVALUATION = dict(EvaluationMethod.choices)
_CHOICE = dict(DecisionChoice.choices)


def node_facts() -> NodeFacts:
    node = node_get()
    calendar = node_calendar()
    return NodeFacts(
        ocds_prefix=node.ocds_prefix if node else settings.TANGGUH_OCDS_PREFIX,
        name=node.name if node else settings.TANGGUH_NODE_NAME,
        public_url=settings.TANGGUH_PUBLIC_URL,
        zone=calendar.zone,
        zone_abbreviation=calendar.zone_abbreviation,
    )


def _stage_label(kind: str) -> str:
    try:
        return StageKind(kind).label_id
    except ValueError:
        return kind


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _schedule_amendments(tender: Tender) -> list[AmendmentFacts]:
    changes = ScheduleChange.objects.filter(tender=tender).order_by("at", "pk")
    return [
        AmendmentFacts(
            id=f"perubahan-jadwal-{change.pk}",
            date=change.at,
            cause=change.cause if change.cause in {"committee", "addendum", "outage"} else "",
            rationale=change.reason,
            moves=tuple(
                StageMove(
                    stage=row["stage"],
                    stage_label=_stage_label(row["stage"]),
                    before=PeriodFacts(_moment(row["before"][0]), _moment(row["before"][1])),
                    after=PeriodFacts(_moment(row["after"][0]), _moment(row["after"][1])),
                )
                for row in change.diff or []
            ),
        )
        for change in changes
    ]


def _addendum_amendments(tender: Tender) -> list[AmendmentFacts]:
    addenda = tender.documents.filter(kind=DocumentKind.ADDENDUM).order_by("uploaded_at", "pk")
    return [
        AmendmentFacts(
            id=f"adendum-{document.pk}",
            date=document.uploaded_at,
            cause="addendum_document",
            rationale=document.note,
            detail=f"{document.title} versi {document.version}",
        )
        for document in addenda
    ]


def _decision_documents(tender: Tender, page_url: str) -> list[DocumentFacts]:
    """A Pokja decision after an outage (SPEC "Outage resilience": decided publicly, with a
    reason) is published as a document of the tender, with the tender page as its link."""
    decided = OutageDecision.objects.filter(tender=tender, decided_at__isnull=False)
    return [
        DocumentFacts(
            id=f"keputusan-gangguan-{decision.pk}",
            kind="outage_decision",
            title=(
                f"Keputusan Pokja Pemilihan setelah gangguan layanan: tahap "
                f"{_stage_label(decision.stage)}"
            ),
            published=decision.decided_at,
            url=page_url,
            content_type="text/html",
            note=f"{_CHOICE.get(decision.choice, decision.choice)}. Alasan: {decision.reason}",
        )
        for decision in decided.order_by("decided_at", "pk")
    ]


def _documents(tender: Tender, node: NodeFacts) -> tuple[DocumentFacts, ...]:
    base = f"{node.public_url}/api/v1/tenders/{tender.code}/documents"
    return tuple(
        DocumentFacts(
            id=f"dokumen-{document.pk}",
            kind=document.kind,
            title=document.title,
            published=document.uploaded_at,
            url=f"{base}/{document.pk}",
            content_type=document.content_type,
            sha256=document.sha256,
            size=document.size,
            version=document.version,
            note=document.note if document.kind == DocumentKind.ADDENDUM else "",
        )
        for document in tender.documents.order_by("uploaded_at", "pk")
    )


def _bid_statistics(tender: Tender) -> tuple[tuple[BidStatisticFacts, ...], int | None]:
    """Counts from the signed closing statement, public once the bids are opened (the opening
    minutes list them): bids (a company's offer per lot) and bidders (companies)."""
    opened = (
        Opening.objects.filter(tender=tender, opened_at__isnull=False).order_by("opened_at").first()
    )
    statement = ClosingStatement.objects.filter(tender=tender).first()
    if opened is None or statement is None:
        return (), None
    envelopes = statement.document.get("envelopes") or []
    bids = {(e.get("company_nib"), e.get("lot")) for e in envelopes}
    bidders = {e.get("company_nib") for e in envelopes}
    return (
        BidStatisticFacts("penawaran", "bids", len(bids), opened.opened_at),
        BidStatisticFacts("peserta", "bidders", len(bidders), opened.opened_at),
    ), len(bidders)


def _offline(tender: Tender) -> tuple[OfflineFacts, ...]:
    """What of the tender happened offline and is public (SPEC "Offline procedure"): published
    media-receipt minutes and openings held off-line. The mapping labels every release made
    after such a record *luring*. Read only where the offline app is installed."""
    if not apps.is_installed("tangguh.offline"):
        return ()
    from tangguh.offline.models import MediaMinute, OfflineOpening

    steps = [
        OfflineFacts(
            minute.published_at,
            f"berita acara penerimaan luring {minute.number} ({minute.place}): "
            f"{minute.files.count()} berkas penawaran tersegel diterima pada media",
        )
        for minute in MediaMinute.objects.filter(tender=tender, published_at__isnull=False)
    ]
    steps += [
        OfflineFacts(opening.opened_at, f"pembukaan penawaran luring ({opening.place})")
        for opening in OfflineOpening.objects.filter(tender=tender)
    ]
    return tuple(sorted(steps, key=lambda step: step.date))


def _period(stages: dict, kind: StageKind) -> PeriodFacts | None:
    stage = stages.get(kind.value)
    return PeriodFacts(stage.start, stage.end) if stage else None


def process_facts(tender: Tender) -> ProcessFacts:
    """Everything public about ``tender`` now, read inside the caller's transaction."""
    tender = (
        Tender.objects.select_related(
            "package__work_unit__agency",
            "package__plan_item",
            "package__procurement_unit__agency",
            "committee__procurement_unit__agency",
        )
        .prefetch_related("stages")
        .get(pk=tender.pk)
    )
    node = node_facts()
    package = tender.package
    work_unit, agency = package.work_unit, package.work_unit.agency
    unit = package.procurement_unit or tender.committee.procurement_unit
    stages = {stage.kind: stage for stage in tender.stages.all()}
    statistics, bidders = _bid_statistics(tender)
    amendments = _schedule_amendments(tender) + _addendum_amendments(tender)
    page_url = f"{node.public_url}/tender/{tender.code}/"
    plan = package.plan_item
    return ProcessFacts(
        node=node,
        buyer=PartyFacts(
            id=f"satker-{agency.code}-{work_unit.code}",
            name=f"{work_unit.name}, {agency.name}",
            roles=("buyer",),
        ),
        procuring_entity=PartyFacts(
            id=f"ukpbj-{unit.agency.code}-{unit.pk}",
            name=f"{unit.name}, {unit.agency.name}",
            roles=("procuringEntity",),
        ),
        planning=PlanningFacts(
            fiscal_year=package.fiscal_year,
            budget=package.budget,
            rup_code=plan.rup_code if plan else "",
            plan_title=plan.title if plan else "",
        ),
        tender=TenderFacts(
            code=tender.code,
            title=tender.title,
            method=tender.method,
            category=package.category,
            category_label=_CATEGORY.get(package.category, package.category),
            owner_estimate=package.owner_estimate,
            location=package.location,
            evaluation_method=tender.evaluation_method,
            evaluation_label=_EVALUATION.get(tender.evaluation_method, tender.evaluation_method),
            announced_at=tender.announced_at,
            cancelled_at=tender.cancelled_at,
            cancel_reason=tender.cancel_reason,
            tender_period=_period(stages, StageKind.BID_SUBMISSION),
            enquiry_period=_period(stages, StageKind.CLARIFICATION),
            award_period=_period(stages, StageKind.AWARD),
            requirements=tuple(
                str(item.get("text", "")) for item in tender.qualification_requirements or []
            ),
            small_business_reserved=tender.small_business_reserved,
            documents=_documents(tender, node) + tuple(_decision_documents(tender, page_url)),
            amendments=tuple(amendments),
            offline=_offline(tender),
            bid_statistics=statistics,
            number_of_tenderers=bidders,
            page_url=page_url,
        ),
    )
