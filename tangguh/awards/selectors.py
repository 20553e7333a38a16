"""Reads of the evaluation: the priced bids of a tender from its opening, each bid's
``penawaran.json`` read again from content storage (prices, bill of quantities, TKDN and
validity are never retyped), the arithmetic correction, the Pokja's checks and scores, and the
ranking computed by ``tangguh.domain.evaluation.ranking.rank_bids`` with its reasons.

Nothing here writes; the evaluation is recomputed from what is recorded whenever it is read,
and a minute keeps a snapshot of it (``evaluation_snapshot``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal

from tangguh import clock
from tangguh.accounts.models import RoleAssignment
from tangguh.awards.models import (
    Appeal,
    Award,
    AwardStatus,
    BidCheck,
    BidScore,
    BillItem,
    CheckStage,
    Contract,
    Failure,
    Minute,
    MinuteKind,
    MinuteStatus,
    Objection,
    PriceClarification,
    Sppbj,
    ValidityExtension,
    ValidityRequest,
)
from tangguh.bids.models import OpenedEnvelope, Opening
from tangguh.bids.selectors import BidGuaranteeRule, bid_guarantee_rule
from tangguh.bids.services.opening import FAILED_TECHNICAL
from tangguh.core.blobs import node_blobs
from tangguh.core.calendar import node_calendar
from tangguh.domain.bid_package import BidGuarantee, BidPackage, BidPackageInvalid, Problem
from tangguh.domain.evaluation.correction import (
    CorrectedBill,
    DocumentItem,
    OfferedLine,
    correct_bill,
)
from tangguh.domain.evaluation.guarantees import BID_GUARANTEE_FAILING, bid_guarantee_problems
from tangguh.domain.evaluation.ranking import (
    BidForEvaluation,
    EvaluationOutcome,
    EvaluationRules,
    EvaluationRulesError,
    rank_bids,
)
from tangguh.domain.roles import Role
from tangguh.evaluation.models import TechnicalResult
from tangguh.sealing.files import SealingFailure
from tangguh.sealing.package import read_penawaran
from tangguh.tenders.models import Tender
from tangguh.tenders.selectors import tender_schedule

PRICED_ENVELOPES = ("offer", "price")
_HUNDRED = Decimal(100)


# --- the bids -----------------------------------------------------------------------------------


def priced_opening(tender: Tender) -> Opening | None:
    """The finished opening of the envelopes that carry prices (one file: ``offer``; two
    files: ``price``), or None."""
    return (
        Opening.objects.filter(
            tender=tender, sealing_key__envelope__in=PRICED_ENVELOPES, opened_at__isnull=False
        )
        .select_related("sealing_key")
        .order_by("opened_at")
        .first()
    )


def _read_package(opened: OpenedEnvelope) -> BidPackage | None:
    if not opened.ok or not opened.plain_sha256:
        return None
    try:
        with node_blobs().open(opened.plain_sha256) as handle:
            return read_penawaran(handle)
    except (FileNotFoundError, SealingFailure, BidPackageInvalid):
        return None


@dataclass
class BidView:
    """One bid as the evaluation sees it, with every reason."""

    opened: OpenedEnvelope
    company: object
    package: BidPackage | None
    stated_total: Decimal | None
    tkdn_percent: Decimal | None
    correction: CorrectedBill | None
    price: Decimal | None  # after arithmetic correction (HP)
    submitted_at: dt.datetime
    checks: list[BidCheck] = field(default_factory=list)
    scores: list[BidScore] = field(default_factory=list)
    technical_score: Decimal | None = None
    failed_reasons: list[str] = field(default_factory=list)
    clarification: PriceClarification | None = None
    valid_until: dt.date | None = None
    lapsed: bool = False
    qualification_passed: bool | None = None  # None: not evaluated
    guarantee_required: bool = False
    guarantee: BidGuarantee | None = None  # as stated, with the latest extension's end
    guarantee_problems: list[Problem] = field(default_factory=list)


@dataclass
class Evaluation:
    tender: Tender
    rules: EvaluationRules
    bids: list[BidView]
    outcome: EvaluationOutcome | None
    rules_error: str | None
    bill: list[BillItem]

    def bid(self, company_id: int) -> BidView | None:
        return next((b for b in self.bids if b.company.pk == company_id), None)

    @property
    def winner(self) -> BidView | None:
        if self.outcome is None or self.outcome.winner is None:
            return None
        return self.bid(int(self.outcome.winner.bid_id))


def evaluation_rules(tender: Tender) -> EvaluationRules:
    package = tender.package
    return EvaluationRules(
        method=tender.evaluation_method,
        category=package.category,
        hps=package.owner_estimate,
        budget=package.budget,
        technical_weight=(
            None if tender.technical_weight is None else Decimal(tender.technical_weight)
        ),
        price_weight=None if tender.price_weight is None else Decimal(tender.price_weight),
        passing_score=None if tender.passing_score is None else Decimal(tender.passing_score),
    )


GUARANTEE_ENVELOPES = ("offer", "technical")  # the envelopes that carry the guarantee


def stated_guarantees(tender: Tender) -> dict[int, BidGuarantee | None]:
    """Each opened bid's guarantee as its package states it (the opening list recorded it from
    the ``offer`` envelope, or the ``technical`` one of a two-file tender), by company."""
    rows = OpenedEnvelope.objects.filter(
        opening__tender=tender,
        opening__sealing_key__envelope__in=GUARANTEE_ENVELOPES,
        opening__opened_at__isnull=False,
        ok=True,
    ).select_related("envelope")
    return {row.envelope.company_id: BidGuarantee.from_json(row.bid_guarantee) for row in rows}


def _guarantee_extended_until(tender: Tender, company_id: int) -> dt.date | None:
    """The latest end the vendor gave its guarantee when it extended its bid's validity."""
    return (
        ValidityExtension.objects.filter(
            tender=tender, company_id=company_id, guarantee_valid_until__isnull=False
        )
        .order_by("-guarantee_valid_until")
        .values_list("guarantee_valid_until", flat=True)
        .first()
    )


def _guarantee_in_force(
    stated: BidGuarantee | None, extended_until: dt.date | None
) -> BidGuarantee | None:
    if stated is None or extended_until is None:
        return stated
    if stated.valid_until is not None and stated.valid_until >= extended_until:
        return stated
    return replace(stated, valid_until=extended_until)


def bill_items(tender: Tender) -> list[BillItem]:
    return list(BillItem.objects.filter(tender=tender).order_by("position"))


def _valid_until(tender: Tender, package: BidPackage | None, company_id: int) -> dt.date | None:
    """The bid deadline's local date plus the stated validity days, or the vendor's latest
    written extension (standard tender documents)."""
    extension = (
        ValidityExtension.objects.filter(tender=tender, company_id=company_id)
        .order_by("-valid_until")
        .first()
    )
    deadline = tender_schedule(tender).bid_deadline
    stated = None
    if package is not None and deadline is not None:
        stated = node_calendar().local(deadline).date() + dt.timedelta(days=package.validity_days)
    if extension is not None and (stated is None or extension.valid_until > stated):
        return extension.valid_until
    return stated


def evaluation_compute(tender: Tender) -> Evaluation:
    """The evaluation of ``tender`` as it stands: every priced bid, corrected, checked and
    ranked, each exclusion with its reason (RULES.md "Money and evaluation")."""
    rules = evaluation_rules(tender)
    bill = bill_items(tender)
    opening = priced_opening(tender)
    opened_rows = (
        list(OpenedEnvelope.objects.filter(opening=opening).select_related("envelope__company"))
        if opening
        else []
    )
    technical = {r.company_id: r for r in TechnicalResult.objects.filter(tender=tender)}
    checks: dict[int, list[BidCheck]] = {}
    for check in BidCheck.objects.filter(tender=tender).order_by("stage", "id"):
        checks.setdefault(check.company_id, []).append(check)
    scores: dict[int, list[BidScore]] = {}
    for score in BidScore.objects.filter(tender=tender).order_by("id"):
        scores.setdefault(score.company_id, []).append(score)
    clarifications = {c.company_id: c for c in PriceClarification.objects.filter(tender=tender)}
    guarantee_rule = bid_guarantee_rule(tender, "technical" if tender.envelopes == 2 else "offer")
    guarantees = stated_guarantees(tender)
    today = node_calendar().local(clock.now()).date()
    document = [DocumentItem(b.item, b.unit, b.volume) for b in bill]
    views: list[BidView] = []
    for opened in opened_rows:
        company = opened.envelope.company
        package = _read_package(opened)
        stated = package.total_price if package else opened.total_price
        correction = None
        price = stated
        if package is not None and document and stated is not None:
            correction = correct_bill(
                document=document,
                offered=[
                    OfferedLine(line.item, line.volume, line.unit_price, line.total)
                    for line in package.boq
                ],
                stated_total=stated,
            )
            price = correction.corrected_total
        view = BidView(
            opened=opened,
            company=company,
            package=package,
            stated_total=stated,
            tkdn_percent=package.tkdn_percent if package else opened.tkdn_percent,
            correction=correction,
            price=price,
            submitted_at=opened.envelope.received_at,
            checks=checks.get(company.pk, []),
            scores=scores.get(company.pk, []),
            clarification=clarifications.get(company.pk),
        )
        if not opened.ok:
            if opened.reason == FAILED_TECHNICAL and company.pk in technical:
                view.failed_reasons.append(
                    f"tidak lulus evaluasi teknis / failed the technical evaluation: "
                    f"{technical[company.pk].reason}"
                )
            else:
                view.failed_reasons.append(
                    f"penawaran tidak dapat dibuka atau tidak sah / bid not opened or invalid: "
                    f"{' '.join([opened.reason, *map(str, opened.detail)]).strip()}"
                )
        for check in view.checks:
            if not check.passed:
                view.failed_reasons.append(
                    f"{check.get_stage_display()}: {check.item}: {check.reason}"
                )
        qualification = [c for c in view.checks if c.stage == CheckStage.QUALIFICATION]
        if qualification:
            view.qualification_passed = all(c.passed for c in qualification)
        if view.clarification is not None and not view.clarification.reasonable:
            view.failed_reasons.append(
                f"klarifikasi harga: tidak wajar / price clarification: not reasonable: "
                f"{view.clarification.note}"
            )
        if view.scores:
            total_weight = sum((s.weight for s in view.scores), Decimal(0))
            if total_weight > 0:
                view.technical_score = (
                    sum((s.weight * s.score for s in view.scores), Decimal(0)) / total_weight
                )
        view.valid_until = _valid_until(tender, package, company.pk)
        view.lapsed = view.valid_until is not None and today > view.valid_until
        _check_guarantee(view, guarantee_rule, guarantees.get(company.pk), tender)
        views.append(view)
    outcome, error = None, None
    try:
        outcome = rank_bids(
            rules=rules,
            bids=[
                BidForEvaluation(
                    bid_id=str(v.company.pk),
                    price=v.price if v.price is not None else Decimal(0),
                    submitted_at=v.submitted_at,
                    tkdn_percent=v.tkdn_percent,
                    passed_checks=not v.failed_reasons,
                    failed_reason="; ".join(v.failed_reasons),
                    technical_score=v.technical_score,
                )
                for v in views
            ],
        )
    except EvaluationRulesError as exc:
        error = exc.code
    return Evaluation(tender, rules, views, outcome, error, bill)


def _check_guarantee(
    view: BidView, rule: BidGuaranteeRule, stated: BidGuarantee | None, tender: Tender
) -> None:
    """The bid guarantee against the bid's validity as it stands now (extensions included): a
    required guarantee missing, below 1% of the HPS or ending before the bid fails the bid
    (``BID_GUARANTEE_FAILING``); what a version 1 package did not state is only shown."""
    view.guarantee_required = rule.required
    view.guarantee = _guarantee_in_force(stated, _guarantee_extended_until(tender, view.company.pk))
    view.guarantee_problems = bid_guarantee_problems(
        required=rule.required,
        guarantee=view.guarantee,
        hps=rule.hps,
        bid_valid_until=view.valid_until,
    )
    view.failed_reasons.extend(
        f"jaminan penawaran / bid guarantee: {p.message_id} / {p.message_en}"
        for p in view.guarantee_problems
        if p.code in BID_GUARANTEE_FAILING
    )


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def evaluation_snapshot(evaluation: Evaluation) -> dict:
    """The evaluation as plain JSON (amounts as strings): the API's answer and the content of
    a minute, whose SHA-256 each member confirms."""
    outcome = evaluation.outcome
    ranked = {r.bid_id: r for r in outcome.ranked} if outcome else {}
    excluded = {e.bid_id: e for e in outcome.excluded} if outcome else {}
    bids = []
    for view in evaluation.bids:
        key = str(view.company.pk)
        rank = ranked.get(key)
        exclusion = excluded.get(key)
        bids.append(
            {
                "company": view.company.name,
                "company_nib": view.company.nib,
                "opened": view.opened.ok,
                "stated_total": _money(view.stated_total),
                "corrected_total": _money(view.price),
                "corrections": [
                    {
                        "item": c.item,
                        "kind": c.kind,
                        "before": _money(c.before),
                        "after": _money(c.after),
                    }
                    for c in (view.correction.corrections if view.correction else ())
                ],
                "tkdn_percent": _money(view.tkdn_percent),
                "technical_score": _money(view.technical_score),
                "checks": [
                    {
                        "stage": c.stage,
                        "item": c.item,
                        "passed": c.passed,
                        "reason": c.reason,
                    }
                    for c in view.checks
                ],
                "scores": [
                    {"criterion": s.criterion, "weight": str(s.weight), "score": str(s.score)}
                    for s in view.scores
                ],
                "rank": rank.rank if rank else None,
                "evaluated_price": _money(rank.evaluated_price) if rank else None,
                "score": _money(rank.score) if rank else None,
                "below_80_percent": rank.below_80_percent if rank else False,
                "needs_negotiation": rank.needs_negotiation if rank else False,
                "clarification": (
                    None
                    if view.clarification is None
                    else {
                        "reasonable": view.clarification.reasonable,
                        "note": view.clarification.note,
                    }
                ),
                "qualification_passed": view.qualification_passed,
                "excluded": (
                    None
                    if exclusion is None
                    else {"code": exclusion.code, "reason": exclusion.reason}
                ),
                "valid_until": view.valid_until.isoformat() if view.valid_until else None,
                "lapsed": view.lapsed,
                "guarantee_required": view.guarantee_required,
                "bid_guarantee": view.guarantee.to_json() if view.guarantee else None,
                "guarantee_problems": [
                    {"code": p.code, "message_id": p.message_id, "message_en": p.message_en}
                    for p in view.guarantee_problems
                ],
            }
        )
    bids.sort(key=lambda b: (b["rank"] is None, b["rank"] or 0, b["company"]))
    winner = evaluation.winner
    return {
        "tender": evaluation.tender.code,
        "method": evaluation.rules.method,
        "category": evaluation.rules.category,
        "hps": str(evaluation.rules.hps),
        "budget": _money(evaluation.rules.budget),
        "rules_error": evaluation.rules_error,
        "bill_of_quantities": [
            {"item": b.item, "unit": b.unit, "volume": str(b.volume)} for b in evaluation.bill
        ],
        "bids": bids,
        "winner": winner.company.nib if winner else None,
        "reserves": [
            evaluation.bid(int(r.bid_id)).company.nib for r in (outcome.reserves if outcome else ())
        ],
        "failure": outcome.failure if outcome else None,
    }


# --- decisions and after ----------------------------------------------------------------------


def committee_user_ids(tender: Tender) -> list[int]:
    return sorted(
        RoleAssignment.objects.filter(
            role=Role.COMMITTEE_MEMBER.value, scope=f"committee:{tender.committee_id}"
        ).values_list("user_id", flat=True)
    )


def tender_minutes(tender: Tender) -> list[Minute]:
    return list(
        Minute.objects.filter(tender=tender)
        .select_related("proposed_by", "decided_by", "document")
        .prefetch_related("votes__member")
    )


def evaluation_reset_at(tender: Tender) -> dt.datetime | None:
    """When a failed tender was last sent back to re-evaluation or re-submission: minutes and
    awards before it no longer stand (Ps 51)."""
    return (
        Failure.objects.filter(tender=tender, follow_up__in=["re_evaluation", "re_submission"])
        .order_by("-follow_up_at")
        .values_list("follow_up_at", flat=True)
        .first()
    )


def adopted_minute(tender: Tender, kind: MinuteKind) -> Minute | None:
    """The adopted minute of ``kind`` that still stands (adopted after any re-evaluation)."""
    rows = Minute.objects.filter(tender=tender, kind=kind, status=MinuteStatus.ADOPTED)
    reset = evaluation_reset_at(tender)
    if reset is not None:
        rows = rows.filter(decided_at__gt=reset)
    return rows.order_by("-decided_at", "-id").first()


def open_minute(tender: Tender, kind: MinuteKind) -> Minute | None:
    return Minute.objects.filter(tender=tender, kind=kind, status=MinuteStatus.OPEN).first()


def current_award(tender: Tender) -> Award | None:
    return (
        Award.objects.filter(tender=tender)
        .exclude(status=AwardStatus.CANCELLED)
        .select_related("company", "minute")
        .order_by("-created_at", "-id")
        .first()
    )


def current_failure(tender: Tender) -> Failure | None:
    return (
        Failure.objects.filter(tender=tender, follow_up="").order_by("-declared_at", "-id").first()
    )


def tender_failures(tender: Tender) -> list[Failure]:
    return list(Failure.objects.filter(tender=tender).select_related("new_tender"))


def award_objections(award: Award) -> list[Objection]:
    return list(Objection.objects.filter(award=award).select_related("company", "answered_by"))


def award_appeals(award: Award) -> list[Appeal]:
    return list(
        Appeal.objects.filter(objection__award=award).select_related("company", "objection")
    )


def award_sppbj(award: Award) -> Sppbj | None:
    return Sppbj.objects.filter(award=award).first()


def tender_contract(tender: Tender) -> Contract | None:
    return Contract.objects.filter(tender=tender).select_related("sppbj").first()


def bidder_company_ids(tender: Tender) -> set[int]:
    """Companies whose priced envelope the opening listed: the participants who may object."""
    opening = priced_opening(tender)
    if opening is None:
        return set()
    return set(
        OpenedEnvelope.objects.filter(opening=opening).values_list(
            "envelope__company_id", flat=True
        )
    )


def public_evaluation(award) -> list[dict]:
    """The evaluation result as the committee adopted it (the award minute's snapshot): every
    bidder with its bid price, corrected price, evaluated price, rank or the reason it failed."""
    return [
        {
            "company": b["company"],
            "company_nib": b["company_nib"],
            "stated_total": b["stated_total"],
            "corrected_total": b["corrected_total"],
            "evaluated_price": b["evaluated_price"],
            "rank": b["rank"],
            "excluded": b["excluded"],
        }
        for b in award.minute.content["evaluation"]["bids"]
    ]


def validity_request_pending(
    tender: Tender, company_id: int, valid_until: dt.date | None
) -> ValidityRequest | None:
    """The latest request to extend this vendor's bid validity that ``valid_until`` (the bid's
    validity now, extensions included) does not meet yet."""
    request = (
        ValidityRequest.objects.filter(tender=tender, company_id=company_id)
        .order_by("-needed_until")
        .first()
    )
    if request is None or (valid_until is not None and valid_until >= request.needed_until):
        return None
    return request
