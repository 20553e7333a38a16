"""Ranking bids by the tender's evaluation method, with exclusions and reasons.

Methods (Perpres 16/2018 Ps 39 for goods, works and other services; Ps 42(1) for consultancy):
``lowest_price``, ``merit_point`` (technical + price weights), ``life_cycle_cost`` (price +
operating + maintenance - residual); consultancy ``quality_and_cost``, ``quality``,
``fixed_budget``, ``least_cost``.

Rules applied here (RULES.md "Money and evaluation" and "Failure"):
- a bid that failed its administrative/technical checks is excluded with the Pokja's reason;
- goods, works, other services: a (corrected) price above the HPS fails (Ps 26);
- consultancy: a price above the budget (pagu) fails, above the HPS it goes to negotiation (Ps 26);
- consultancy technical passing score: set per tender, default 70 (D);
- goods with the domestic-content preference rank by HEA (Ps 67, see ``preference``);
- ties: higher TKDN first, then the tender document's rule, by default the earlier complete
  submission (Ps 67; D); the bid id last, only so the order is total;
- up to two reserve winners (S);
- a bid below 80% of the HPS needs a price-reasonableness clarification before it can win
  (Ps 33) — flagged here, enforced by the award service;
- all bids above the HPS: the tender fails (Ps 51).
The order of the input never changes the outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tangguh.domain.evaluation.preference import evaluated_price

PRICE_METHODS = ("lowest_price", "merit_point", "life_cycle_cost")
CONSULTANCY_METHODS = ("quality_and_cost", "quality", "fixed_budget", "least_cost")
SCORED_METHODS = ("merit_point", "quality_and_cost", "quality", "fixed_budget", "least_cost")
DEFAULT_PASSING_SCORE = Decimal(70)  # consultancy, D (RULES.md)
RESERVES = 2  # cadangan 1 and 2 (S)
LOW_PRICE_THRESHOLD = Decimal("0.8")  # Ps 33: below 80% of HPS needs clarification
_HUNDRED = Decimal(100)


class EvaluationRulesError(ValueError):
    """The tender's evaluation settings are incomplete (e.g. merit point without weights)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class BidForEvaluation:
    bid_id: str
    price: Decimal  # after arithmetic correction (HP); the contract price if it wins
    submitted_at: datetime  # complete submission (tie-break default)
    tkdn_percent: Decimal | None = None
    passed_checks: bool = True  # administrative and technical (and qualification when done)
    failed_reason: str = ""
    technical_score: Decimal | None = None  # 0-100 (merit point, consultancy)
    life_cycle_costs: Decimal = Decimal(0)  # operating + maintenance - residual


@dataclass(frozen=True)
class EvaluationRules:
    method: str
    category: str  # goods | works | consultancy | other_services
    hps: Decimal
    budget: Decimal | None = None  # pagu (consultancy: above it fails)
    technical_weight: Decimal | None = None  # percent
    price_weight: Decimal | None = None  # percent
    passing_score: Decimal | None = None


@dataclass(frozen=True)
class RankedBid:
    bid_id: str
    rank: int
    price: Decimal  # the bid's own (corrected) price: the contract price
    evaluated_price: Decimal  # HEA or life-cycle total: ranks only
    score: Decimal | None  # combined or technical score for scored methods
    below_80_percent: bool  # needs a clarification record before it can win (Ps 33)
    needs_negotiation: bool  # consultancy above HPS (Ps 26)


@dataclass(frozen=True)
class Exclusion:
    bid_id: str
    code: str  # failed_checks | above_hps | above_budget | below_passing_score | no_score
    reason: str


@dataclass(frozen=True)
class EvaluationOutcome:
    ranked: tuple[RankedBid, ...]
    excluded: tuple[Exclusion, ...]
    failure: str | None  # no_bids | all_above_hps | none_passed | None

    @property
    def winner(self) -> RankedBid | None:
        return self.ranked[0] if self.ranked else None

    @property
    def reserves(self) -> tuple[RankedBid, ...]:
        return self.ranked[1 : 1 + RESERVES]


def _check_rules(rules: EvaluationRules) -> None:
    if rules.method not in PRICE_METHODS + CONSULTANCY_METHODS:
        raise EvaluationRulesError("evaluation.method_unknown", f"unknown method {rules.method}")
    if (rules.method in CONSULTANCY_METHODS) != (rules.category == "consultancy"):
        raise EvaluationRulesError(
            "evaluation.method_category",
            f"{rules.method} is not a method for {rules.category} (Ps 39, Ps 42)",
        )
    if rules.method in ("merit_point", "quality_and_cost"):
        tw, pw = rules.technical_weight, rules.price_weight
        if tw is None or pw is None or tw < 0 or pw < 0 or tw + pw != _HUNDRED:
            raise EvaluationRulesError(
                "evaluation.weights", "technical and price weights must add up to 100%"
            )
    if rules.hps <= 0:
        raise EvaluationRulesError("evaluation.hps", "the HPS must be positive")


def _passing(rules: EvaluationRules) -> Decimal | None:
    if rules.passing_score is not None:
        return rules.passing_score
    return DEFAULT_PASSING_SCORE if rules.category == "consultancy" else None


def _ceiling(rules: EvaluationRules) -> Decimal:
    """What a price must not exceed: the budget for consultancy, else the HPS (Ps 26)."""
    if rules.method in CONSULTANCY_METHODS:
        return rules.budget if rules.budget is not None else rules.hps
    return rules.hps


def _tie_key(bid: BidForEvaluation) -> tuple:
    # Higher TKDN first (Ps 67), then the earlier complete submission (D), then the id.
    return (-(bid.tkdn_percent or Decimal(0)), bid.submitted_at, bid.bid_id)


def _exclusion(bid: BidForEvaluation, rules: EvaluationRules) -> Exclusion | None:
    if not bid.passed_checks:
        return Exclusion(bid.bid_id, "failed_checks", bid.failed_reason or "failed a check")
    if bid.price > _ceiling(rules):
        code = "above_budget" if rules.method in CONSULTANCY_METHODS else "above_hps"
        return Exclusion(bid.bid_id, code, f"price {bid.price} > {_ceiling(rules)}")
    if rules.method in SCORED_METHODS:
        if bid.technical_score is None:
            return Exclusion(bid.bid_id, "no_score", "no technical score recorded")
        passing = _passing(rules)
        if passing is not None and bid.technical_score < passing:
            return Exclusion(
                bid.bid_id,
                "below_passing_score",
                f"technical score {bid.technical_score} < passing score {passing}",
            )
    return None


def _evaluated(bid: BidForEvaluation, rules: EvaluationRules) -> Decimal:
    price = evaluated_price(
        price=bid.price, category=rules.category, hps=rules.hps, tkdn_percent=bid.tkdn_percent
    )
    if rules.method == "life_cycle_cost":
        return price + bid.life_cycle_costs
    return price


def _scores(
    bids: Sequence[BidForEvaluation], evaluated: dict[str, Decimal], rules: EvaluationRules
) -> dict[str, Decimal | None]:
    if rules.method in ("merit_point", "quality_and_cost"):
        lowest = min(evaluated[b.bid_id] for b in bids)
        scores: dict[str, Decimal | None] = {}
        for b in bids:
            # Price score: the lowest evaluated price scores 100, others in proportion
            # (standard tender documents' formula).
            price_score = lowest / evaluated[b.bid_id] * _HUNDRED
            assert b.technical_score is not None  # noqa: S101 (excluded otherwise)
            assert rules.technical_weight is not None and rules.price_weight is not None  # noqa: S101
            scores[b.bid_id] = (
                rules.technical_weight * b.technical_score + rules.price_weight * price_score
            ) / _HUNDRED
        return scores
    if rules.method in ("quality", "fixed_budget", "least_cost"):
        return {b.bid_id: b.technical_score for b in bids}
    return {b.bid_id: None for b in bids}


def _sort_key(
    bid: BidForEvaluation, evaluated: Decimal, score: Decimal | None, method: str
) -> tuple:
    if method in ("merit_point", "quality_and_cost", "quality"):
        return (-(score or Decimal(0)), evaluated, *_tie_key(bid))
    if method == "fixed_budget":
        # The best technical proposal within the budget; equal scores: the lower price.
        return (-(score or Decimal(0)), bid.price, *_tie_key(bid))
    return (evaluated, *_tie_key(bid))  # lowest_price, life_cycle_cost, least_cost


def rank_bids(*, rules: EvaluationRules, bids: Sequence[BidForEvaluation]) -> EvaluationOutcome:
    """Exclude, evaluate and rank ``bids`` under ``rules``; see the module docstring."""
    _check_rules(rules)
    if len({b.bid_id for b in bids}) != len(bids):
        raise EvaluationRulesError("evaluation.duplicate_bid", "each bid appears once")
    ordered = sorted(bids, key=lambda b: b.bid_id)
    excluded = [e for b in ordered if (e := _exclusion(b, rules)) is not None]
    out = {e.bid_id for e in excluded}
    eligible = [b for b in ordered if b.bid_id not in out]
    failure = None
    if not bids:
        failure = "no_bids"
    elif not eligible:
        ceiling = _ceiling(rules)
        failure = "all_above_hps" if all(b.price > ceiling for b in bids) else "none_passed"
    evaluated = {b.bid_id: _evaluated(b, rules) for b in eligible}
    scores = _scores(eligible, evaluated, rules) if eligible else {}
    eligible.sort(key=lambda b: _sort_key(b, evaluated[b.bid_id], scores[b.bid_id], rules.method))
    threshold = rules.hps * LOW_PRICE_THRESHOLD
    ranked = tuple(
        RankedBid(
            bid_id=b.bid_id,
            rank=i,
            price=b.price,
            evaluated_price=evaluated[b.bid_id],
            score=scores[b.bid_id],
            below_80_percent=rules.category != "consultancy" and b.price < threshold,
            needs_negotiation=rules.category == "consultancy" and b.price > rules.hps,
        )
        for i, b in enumerate(eligible, start=1)
    )
    return EvaluationOutcome(ranked=ranked, excluded=tuple(excluded), failure=failure)
