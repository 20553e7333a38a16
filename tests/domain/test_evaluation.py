"""Evaluation rules: table tests with worked numbers per method, and properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tangguh.domain.evaluation.correction import DocumentItem, OfferedLine, correct_bill
from tangguh.domain.evaluation.guarantees import performance_guarantee
from tangguh.domain.evaluation.preference import evaluated_price, preference_factor
from tangguh.domain.evaluation.ranking import (
    BidForEvaluation,
    EvaluationRules,
    EvaluationRulesError,
    rank_bids,
)

T0 = datetime(2024, 7, 2, 5, 0, tzinfo=UTC)


def bid(bid_id, price, minutes=0, **kw):
    return BidForEvaluation(
        bid_id=bid_id, price=D(price), submitted_at=T0 + timedelta(minutes=minutes), **kw
    )


def ids(outcome):
    return [r.bid_id for r in outcome.ranked]


# --- arithmetic correction -------------------------------------------------------------------

DOC = [
    DocumentItem("1.1", "m3", D("120")),  # galian tanah
    DocumentItem("1.2", "m3", D("80")),  # urugan pasir
    DocumentItem("2.1", "m2", D("500")),  # lapis penetrasi
]


def test_correction_fixes_unit_prices_and_uses_the_document_volumes():
    offered = [
        OfferedLine("1.1", D("120"), D("85000"), D("10200000")),
        OfferedLine("1.2", D("70"), D("150000"), D("10500000")),  # wrong volume
        OfferedLine("2.1", D("500"), D("95000"), D("4750000")),  # 500 x 95,000 = 47,500,000
    ]
    result = correct_bill(document=DOC, offered=offered, stated_total=D("25450000"))
    assert result.corrected_total == D("10200000") + D("12000000") + D("47500000")
    kinds = {(c.item, c.kind) for c in result.corrections}
    assert kinds == {("1.2", "volume"), ("1.2", "line_total"), ("2.1", "line_total")}


def test_unpriced_items_count_as_included_and_extra_items_are_struck():
    offered = [
        OfferedLine("1.1", D("120"), D("85000"), D("10200000")),
        OfferedLine("2.1", D("500"), D("0"), D("0")),
        OfferedLine("9.9", D("1"), D("5000000"), D("5000000")),
    ]
    result = correct_bill(document=DOC, offered=offered, stated_total=D("15200000"))
    assert result.corrected_total == D("10200000")
    kinds = {(c.item, c.kind) for c in result.corrections}
    assert ("1.2", "unpriced") in kinds and ("2.1", "unpriced") in kinds
    assert ("9.9", "extra_item") in kinds


def test_a_construction_correction_moves_the_ranking():
    """Works, lowest price, HPS Rp80 juta. B's stated total is lowest but its 2.1 line is
    mis-multiplied; corrected, A wins."""
    a = correct_bill(
        document=DOC,
        offered=[
            OfferedLine("1.1", D("120"), D("80000"), D("9600000")),
            OfferedLine("1.2", D("80"), D("140000"), D("11200000")),
            OfferedLine("2.1", D("500"), D("90000"), D("45000000")),
        ],
        stated_total=D("65800000"),
    )
    b = correct_bill(
        document=DOC,
        offered=[
            OfferedLine("1.1", D("120"), D("78000"), D("9360000")),
            OfferedLine("1.2", D("80"), D("135000"), D("10800000")),
            OfferedLine("2.1", D("500"), D("99000"), D("40500000")),  # should be 49,500,000
        ],
        stated_total=D("60660000"),
    )
    rules = EvaluationRules(method="lowest_price", category="works", hps=D("80000000"))
    stated = rank_bids(rules=rules, bids=[bid("A", a.stated_total), bid("B", b.stated_total)])
    corrected = rank_bids(
        rules=rules, bids=[bid("A", a.corrected_total), bid("B", b.corrected_total)]
    )
    assert ids(stated) == ["B", "A"]
    assert (a.corrected_total, b.corrected_total) == (D("65800000"), D("69660000"))
    assert ids(corrected) == ["A", "B"]


# --- lowest price, HPS ceiling, 80% rule, failure ------------------------------------------


def test_lowest_price_excludes_above_hps_and_flags_a_bid_at_75_percent():
    rules = EvaluationRules(method="lowest_price", category="works", hps=D("1000000000"))
    outcome = rank_bids(
        rules=rules,
        bids=[
            bid("A", "750000000"),  # 75% of HPS: needs a clarification record
            bid("B", "920000000"),
            bid("C", "1000000001"),  # above HPS
            bid("D", "700000000", passed_checks=False, failed_reason="SBU tidak sesuai"),
        ],
    )
    assert ids(outcome) == ["A", "B"]
    assert outcome.winner.below_80_percent is True
    assert outcome.ranked[1].below_80_percent is False
    assert {(e.bid_id, e.code) for e in outcome.excluded} == {
        ("C", "above_hps"),
        ("D", "failed_checks"),
    }
    assert outcome.failure is None


def test_all_bids_above_hps_fail_the_tender():
    rules = EvaluationRules(method="lowest_price", category="goods", hps=D("500000000"))
    outcome = rank_bids(rules=rules, bids=[bid("A", "510000000"), bid("B", "600000000")])
    assert outcome.winner is None and outcome.failure == "all_above_hps"
    mixed = rank_bids(
        rules=rules,
        bids=[bid("A", "510000000"), bid("B", "400000000", passed_checks=False)],
    )
    assert mixed.failure == "none_passed"
    assert rank_bids(rules=rules, bids=[]).failure == "no_bids"


def test_reserves_are_the_next_two():
    rules = EvaluationRules(method="lowest_price", category="other_services", hps=D("900"))
    outcome = rank_bids(
        rules=rules, bids=[bid(x, p) for x, p in zip("ABCD", [800, 700, 850, 600], strict=True)]
    )
    assert outcome.winner.bid_id == "D"
    assert [r.bid_id for r in outcome.reserves] == ["B", "A"]


# --- domestic-content preference -------------------------------------------------------------


def test_hea_ranks_but_the_contract_price_stays_the_bid():
    """Goods, HPS Rp2 miliar. A: Rp1.80 M, TKDN 40% -> KP 10% -> HEA Rp1.62 M.
    B: Rp1.70 M, TKDN 10% (below 25%, no preference) -> HEA = Rp1.70 M. A wins at Rp1.80 M."""
    assert preference_factor(D(40)) == D("0.1")
    rules = EvaluationRules(method="lowest_price", category="goods", hps=D("2000000000"))
    outcome = rank_bids(
        rules=rules,
        bids=[
            bid("A", "1800000000", tkdn_percent=D(40)),
            bid("B", "1700000000", tkdn_percent=D(10)),
        ],
    )
    assert ids(outcome) == ["A", "B"]
    assert outcome.winner.evaluated_price == D("1620000000")
    assert outcome.winner.price == D("1800000000")


def test_no_preference_for_works_or_small_goods_tenders():
    for category, hps in (("works", D("5000000000")), ("goods", D("1000000000"))):
        assert evaluated_price(
            price=D("900000000"), category=category, hps=hps, tkdn_percent=D(60)
        ) == D("900000000")


# --- ties ---------------------------------------------------------------------------------


def test_ties_go_to_higher_tkdn_then_earlier_submission():
    rules = EvaluationRules(method="lowest_price", category="works", hps=D("1000"))
    outcome = rank_bids(
        rules=rules,
        bids=[
            bid("late-high", "900", minutes=30, tkdn_percent=D(50)),
            bid("early-low", "900", minutes=0, tkdn_percent=D(20)),
            bid("early-high", "900", minutes=10, tkdn_percent=D(50)),
        ],
    )
    assert ids(outcome) == ["early-high", "late-high", "early-low"]


# --- merit point and life-cycle cost ----------------------------------------------------------


def test_merit_point_weights_technical_and_price():
    """Weights 70/30; the lowest price scores 100 on price, others in proportion."""
    rules = EvaluationRules(
        method="merit_point",
        category="works",
        hps=D("1000"),
        technical_weight=D(70),
        price_weight=D(30),
    )
    outcome = rank_bids(
        rules=rules,
        bids=[
            bid("A", "1000", technical_score=D(95)),
            bid("B", "800", technical_score=D(80)),
        ],
    )
    # A: 0.7*95 + 0.3*(800/1000*100) = 66.5 + 24 = 90.5; B: 0.7*80 + 0.3*100 = 56 + 30 = 86
    scores = {r.bid_id: r.score for r in outcome.ranked}
    assert scores == {"A": D("90.5"), "B": D("86")}
    assert ids(outcome) == ["A", "B"]
    with pytest.raises(EvaluationRulesError):
        rank_bids(
            rules=EvaluationRules(
                method="merit_point",
                category="works",
                hps=D(1),
                technical_weight=D(60),
                price_weight=D(30),
            ),
            bids=[],
        )


def test_life_cycle_cost_adds_operating_costs():
    rules = EvaluationRules(method="life_cycle_cost", category="goods", hps=D("900000000"))
    outcome = rank_bids(
        rules=rules,
        bids=[
            bid("cheap-to-buy", "600000000", life_cycle_costs=D("250000000")),
            bid("cheap-to-run", "700000000", life_cycle_costs=D("100000000")),
        ],
    )
    assert ids(outcome) == ["cheap-to-run", "cheap-to-buy"]
    assert outcome.winner.evaluated_price == D("800000000")


# --- consultancy --------------------------------------------------------------------------


def _consultancy(method, **kw):
    return EvaluationRules(
        method=method, category="consultancy", hps=D("500"), budget=D("550"), **kw
    )


def test_quality_and_cost_passing_score_budget_and_negotiation():
    rules = _consultancy("quality_and_cost", technical_weight=D(80), price_weight=D(20))
    outcome = rank_bids(
        rules=rules,
        bids=[
            bid("A", "520", technical_score=D(85)),  # above HPS, within budget: negotiate
            bid("B", "400", technical_score=D(72)),
            bid("C", "300", technical_score=D(65)),  # below the default passing score 70
            bid("D", "560", technical_score=D(95)),  # above the budget: fails
        ],
    )
    # A: 0.8*85 + 0.2*(400/520*100) = 68 + 15.38... = 83.38; B: 0.8*72 + 0.2*100 = 77.6
    assert ids(outcome) == ["A", "B"]
    assert outcome.winner.needs_negotiation is True
    assert {(e.bid_id, e.code) for e in outcome.excluded} == {
        ("C", "below_passing_score"),
        ("D", "above_budget"),
    }


def test_quality_fixed_budget_and_least_cost():
    bids = [
        bid("A", "540", technical_score=D(90)),
        bid("B", "450", technical_score=D(90)),
        bid("C", "300", technical_score=D(75)),
    ]
    assert ids(rank_bids(rules=_consultancy("quality"), bids=bids)) == ["B", "A", "C"]
    assert ids(rank_bids(rules=_consultancy("fixed_budget"), bids=bids)) == ["B", "A", "C"]
    assert ids(rank_bids(rules=_consultancy("least_cost"), bids=bids)) == ["C", "B", "A"]


def test_a_method_for_the_wrong_category_is_refused():
    with pytest.raises(EvaluationRulesError) as caught:
        rank_bids(rules=EvaluationRules(method="quality", category="goods", hps=D(1)), bids=[])
    assert caught.value.code == "evaluation.method_category"


# --- performance guarantee -------------------------------------------------------------------


def test_performance_guarantee_amounts():
    hps = D("1000000000")
    assert performance_guarantee(contract_value=D("150000000"), hps=hps) is None
    assert performance_guarantee(contract_value=D("900000000"), hps=hps) == D("45000000")
    assert performance_guarantee(contract_value=D("750000000"), hps=hps) == D("50000000")


# --- properties -----------------------------------------------------------------------------

prices = st.integers(min_value=1, max_value=2_000_000_000).map(D)
tkdns = st.one_of(st.none(), st.integers(min_value=0, max_value=100).map(D))
bids_strategy = st.lists(
    st.tuples(prices, tkdns, st.integers(0, 600), st.booleans(), st.integers(0, 100).map(D)),
    max_size=8,
).map(
    lambda rows: [
        bid(f"b{i}", p, minutes=m, tkdn_percent=t, passed_checks=ok, technical_score=s)
        for i, (p, t, m, ok, s) in enumerate(rows)
    ]
)
rules_strategy = st.sampled_from(
    [
        EvaluationRules(method="lowest_price", category="goods", hps=D("1500000000")),
        EvaluationRules(method="lowest_price", category="works", hps=D("800000000")),
        EvaluationRules(
            method="merit_point",
            category="goods",
            hps=D("1500000000"),
            technical_weight=D(60),
            price_weight=D(40),
        ),
        EvaluationRules(method="life_cycle_cost", category="goods", hps=D("1200000000")),
        EvaluationRules(
            method="quality_and_cost",
            category="consultancy",
            hps=D("900000000"),
            budget=D("1000000000"),
            technical_weight=D(80),
            price_weight=D(20),
        ),
        EvaluationRules(method="least_cost", category="consultancy", hps=D("900000000")),
    ]
)


@settings(max_examples=200, deadline=None)
@given(rules=rules_strategy, bids=bids_strategy, data=st.data())
def test_ranking_is_deterministic_and_independent_of_input_order(rules, bids, data):
    shuffled = data.draw(st.permutations(bids))
    assert rank_bids(rules=rules, bids=bids) == rank_bids(rules=rules, bids=shuffled)


@settings(max_examples=200, deadline=None)
@given(rules=rules_strategy, bids=bids_strategy)
def test_no_bid_above_the_ceiling_or_failing_a_check_ever_wins(rules, bids):
    outcome = rank_bids(rules=rules, bids=bids)
    ceiling = rules.budget if rules.category == "consultancy" and rules.budget else rules.hps
    by_id = {b.bid_id: b for b in bids}
    for ranked in outcome.ranked:
        assert ranked.price <= ceiling
        assert by_id[ranked.bid_id].passed_checks
    assert len(outcome.ranked) + len(outcome.excluded) == len(bids)


@settings(max_examples=200, deadline=None)
@given(rules=rules_strategy, bids=bids_strategy)
def test_the_contract_price_is_always_the_bid_never_the_hea(rules, bids):
    by_id = {b.bid_id: b for b in bids}
    for ranked in rank_bids(rules=rules, bids=bids).ranked:
        assert ranked.price == by_id[ranked.bid_id].price


@settings(max_examples=200, deadline=None)
@given(price=prices, tkdns=st.lists(st.integers(0, 100).map(D), min_size=2, max_size=5))
def test_equal_prices_resolve_by_tkdn_then_submission(price, tkdns):
    rules = EvaluationRules(method="lowest_price", category="works", hps=D("2000000000"))
    bids = [bid(f"b{i}", price, minutes=i, tkdn_percent=t) for i, t in enumerate(tkdns)]
    order = ids(rank_bids(rules=rules, bids=bids))
    expected = sorted(bids, key=lambda b: (-b.tkdn_percent, b.submitted_at))
    assert order == [b.bid_id for b in expected]
