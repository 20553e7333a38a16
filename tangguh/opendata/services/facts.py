"""Reading a tender's public facts from the database, as the plain values the OCDS mapping
takes (``tangguh.domain.ocds.facts``). Only what is public goes in: names of bodies, the plan,
the schedule, published documents and reasons, after opening the number of bids, from the
award announcement the adopted evaluation result (every bidder, its price, rank or reason),
the winner and reserves, objections and appeals with their answers, then the contract; a
failed tender with its reason. Nothing about people (UU 27/2022): no user, no member, no
vendor contact, no signatory of the contract."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.apps import apps
from django.conf import settings

from tangguh.awards.models import Award, AwardStatus, Contract, Failure, FailureReason, Objection
from tangguh.bids.models import ClosingStatement, Opening, SealingKey
from tangguh.core.calendar import node_calendar
from tangguh.domain.methods import StageKind
from tangguh.domain.ocds.facts import (
    AmendmentFacts,
    AwardFacts,
    BidFacts,
    BidStatisticFacts,
    ContractFacts,
    DocumentFacts,
    FailureFacts,
    NodeFacts,
    OfflineFacts,
    PartyFacts,
    PeriodFacts,
    PlanningFacts,
    ProcessFacts,
    ReviewFacts,
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
_FAILURE = dict(FailureReason.choices)
# An award is public once announced (up to the PA/KPA threshold at once, above it after the
# PA/KPA approved); a cancelled one stays public as cancelled (the tender failed after it).
_AWARD_STATUS = {AwardStatus.ANNOUNCED: "active", AwardStatus.CANCELLED: "cancelled"}


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


def company_party(nib: str, name: str) -> PartyFacts:
    """A vendor company as a party: its business registration number (NIB, Online Single
    Submission) identifies it; nothing about its people or contacts."""
    return PartyFacts(
        id=f"nib-{nib}", name=name, roles=("tenderer",), scheme="ID-NIB", legal_id=nib
    )


def _money(text) -> Decimal | None:
    return None if text in (None, "") else Decimal(str(text))


def _public_awards(tender: Tender) -> list[Award]:
    return list(
        Award.objects.filter(tender=tender, announced_at__isnull=False, status__in=_AWARD_STATUS)
        .select_related("minute", "company")
        .order_by("announced_at", "pk")
    )


def _bids(award: Award | None) -> tuple[BidFacts, ...]:
    """The evaluated bids as the committee adopted them in the award minute (its snapshot),
    public from the announcement: price after arithmetic correction, valid or disqualified."""
    if award is None:
        return ()
    rows = (award.minute.content.get("evaluation") or {}).get("bids") or []
    return tuple(
        BidFacts(
            id=f"penawaran-{row['company_nib']}",
            tenderer=company_party(row["company_nib"], row["company"]),
            price=_money(row.get("corrected_total")),
            status="valid" if row.get("excluded") is None and row.get("opened") else "disqualified",
            rank=row.get("rank"),
            reason=(row.get("excluded") or {}).get("reason")
            or ("" if row.get("opened") else "penawaran tidak dapat dibuka"),
        )
        for row in rows
    )


def _reviews(award: Award, names: dict[str, str]) -> tuple[ReviewFacts, ...]:
    reviews = []
    for objection in Objection.objects.filter(award=award).select_related("company"):
        company = company_party(
            objection.company.nib, names.get(objection.company.nib, objection.company.name)
        )
        reviews.append(
            ReviewFacts(
                id=f"sanggah-{objection.pk}",
                kind="objection",
                filed=objection.filed_at,
                party=company,
                text=objection.text,
                answered=objection.answered_at,
                upheld=objection.upheld,
                answer=objection.answer,
            )
        )
        appeal = getattr(objection, "appeal", None)
        if appeal is not None:
            reviews.append(
                ReviewFacts(
                    id=f"sanggah-banding-{appeal.pk}",
                    kind="appeal",
                    filed=appeal.filed_at,
                    party=company,
                    text=appeal.text,
                    answered=appeal.answered_at,
                    upheld=appeal.upheld,
                    answer=appeal.answer,
                )
            )
    return tuple(reviews)


def _award_facts(award: Award, buyer: PartyFacts, review_body: PartyFacts, page_url: str):
    content = award.minute.content
    names = {b["company_nib"]: b["company"] for b in content["evaluation"]["bids"]}
    winner = content["winner"]
    reviews = _reviews(award, names)
    return AwardFacts(
        id=f"penetapan-{award.pk}",
        status=_AWARD_STATUS[award.status],
        date=award.announced_at,
        supplier=company_party(winner["company_nib"], winner["company"]),
        price=award.price,
        evaluated_price=award.evaluated_price,
        reserves=tuple(
            (number, company_party(r["company_nib"], r["company"]), _money(r["price"]))
            for number, r in enumerate(content.get("reserves") or [], start=1)
        ),
        objection_end=award.objection_end,
        reviews=reviews,
        # Appeals (construction) go to the PA/KPA of the buyer's work unit: published as the
        # office, never as the person holding it.
        review_body=review_body if any(r.kind == "appeal" for r in reviews) else None,
        page_url=page_url,
    )


def _contracts(tender: Tender) -> tuple[ContractFacts, ...]:
    return tuple(
        ContractFacts(
            id=f"kontrak-{contract.pk}",
            award_id=f"penetapan-{contract.sppbj.award_id}",
            number=contract.number,
            value=contract.value,
            signed_on=contract.signed_on,
            start_on=contract.start_on,
            end_on=contract.end_on,
            recorded_at=contract.recorded_at,
            performance_guarantee=contract.performance_guarantee,
        )
        for contract in Contract.objects.filter(tender=tender).select_related("sppbj")
    )


def _failure(tender: Tender) -> FailureFacts | None:
    """The failure that still stands: none after a re-evaluation or re-submission reopened the
    tender; a re-tender leaves this tender failed (the new one is another process)."""
    failure = Failure.objects.filter(tender=tender).order_by("-declared_at", "-pk").first()
    if failure is None or failure.follow_up not in ("", "re_tender"):
        return None
    return FailureFacts(
        date=failure.declared_at,
        reason=failure.reason,
        reason_label=_FAILURE.get(failure.reason, failure.reason),
        note=failure.note,
    )


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
    buyer = PartyFacts(
        id=f"satker-{agency.code}-{work_unit.code}",
        name=f"{work_unit.name}, {agency.name}",
        roles=("buyer",),
    )
    review_body = PartyFacts(
        id=f"pa-kpa-{agency.code}-{work_unit.code}",
        name=f"PA/KPA {work_unit.name}, {agency.name}",
        roles=("reviewBody",),
    )
    awards = _public_awards(tender)
    bids = _bids(awards[-1] if awards else None)
    return ProcessFacts(
        node=node,
        buyer=buyer,
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
            tenderers=tuple(b.tenderer for b in bids),
            page_url=page_url,
            bids=bids,
            failure=_failure(tender),
            sealing_fingerprints=tuple(
                SealingKey.objects.filter(tender=tender)
                .order_by("lot", "envelope")
                .values_list("envelope", "fingerprint")
            ),
        ),
        awards=tuple(_award_facts(a, buyer, review_body, f"{page_url}pemenang/") for a in awards),
        contracts=_contracts(tender),
    )
