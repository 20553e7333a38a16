"""Guarantee amounts and the bid guarantee's checks.

Performance guarantee (jaminan pelaksanaan), Perpres 16/2018 Ps 33 (V): required for contracts
above Rp200 juta; 5% of the contract value when the corrected bid is 80-100% of the HPS, 5% of
the HPS when it is below 80%.

Bid guarantee (jaminan penawaran), RULES.md "Bid guarantee" (V): only when the HPS is above
Rp10 miliar (the rule set's ``bid_guarantee_hps_threshold``), for construction or integrated
works; 1-3% of the HPS. RULES.md "Bid validity" (S, standard tender documents): each bid states
its validity and its guarantee's, so the guarantee must not end before the bid does.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, Decimal

from tangguh.domain.bid_package import BidGuarantee, Problem
from tangguh.domain.money import percent_of, round_rupiah
from tangguh.domain.rulesets import RuleSet

PERFORMANCE_GUARANTEE_ABOVE = Decimal(200_000_000)
PERFORMANCE_GUARANTEE_PERCENT = Decimal(5)

# The planning model's categories (tangguh.planning.models.Category) are goods, works,
# consultancy and other_services. Integrated works (pekerjaan terintegrasi: design and build)
# are construction works and have no category of their own, so "works" covers both.
BID_GUARANTEE_CATEGORIES = frozenset({"works"})
# The legal floor. The tender document sets the exact percentage (1-3% of the HPS); the node
# does not model that choice yet, so only the 1% floor is checked and a guarantee between 1%
# and the document's figure is not flagged: the Pokja checks it against the document.
BID_GUARANTEE_MIN_PERCENT = Decimal(1)
_HUNDRED = Decimal(100)
# The problems that make a bid fail the administrative evaluation: a required guarantee that is
# not there, below the legal floor, or ending before the bid (RULES.md "Bid guarantee", V, and
# "Bid validity", S). The *_unknown problems of a version 1 package are not among them: the
# package never asked for those facts, so the Pokja reads them on the guarantee itself.
BID_GUARANTEE_FAILING = frozenset(
    {"bid_guarantee.missing", "bid_guarantee.amount_below_minimum", "bid_guarantee.validity_short"}
)


def performance_guarantee(*, contract_value: Decimal, hps: Decimal) -> Decimal | None:
    """The amount, or None when no performance guarantee is required."""
    if contract_value <= PERFORMANCE_GUARANTEE_ABOVE:
        return None
    if contract_value < hps * Decimal("0.8"):
        return percent_of(hps, PERFORMANCE_GUARANTEE_PERCENT)
    return percent_of(contract_value, PERFORMANCE_GUARANTEE_PERCENT)


def bid_guarantee_required(*, hps: Decimal, category: str, ruleset: RuleSet) -> bool:
    """Whether bids must carry a bid guarantee: construction (or integrated) works with an HPS
    above the rule set's threshold (RULES.md "Bid guarantee", V)."""
    return category in BID_GUARANTEE_CATEGORIES and hps > ruleset.amount(
        "bid_guarantee_hps_threshold"
    )


def bid_guarantee_minimum(*, hps: Decimal) -> Decimal:
    """The smallest whole-rupiah amount that is at least 1% of the HPS (the legal floor).

    Rounded up, not half up: a guarantee of 1% of the HPS rounded down would be below 1%."""
    return round_rupiah(hps * BID_GUARANTEE_MIN_PERCENT / _HUNDRED, ROUND_CEILING)


def bid_guarantee_problems(
    *,
    required: bool,
    guarantee: BidGuarantee | None,
    hps: Decimal,
    bid_valid_until: dt.date | None,
) -> list[Problem]:
    """What is wrong with a bid's guarantee, each with a stable code; [] when none is required.

    ``bid_valid_until``: the last day of the bid's stated validity (None when unknown, then
    the dates are not compared). A version 1 package states only the reference, so its amount
    and validity are reported as unknown: the Pokja checks them on the guarantee itself.
    """
    if not required:
        return []
    if guarantee is None:
        return [
            Problem(
                "bid_guarantee.missing",
                "bid_guarantee",
                "jaminan penawaran disyaratkan tetapi tidak dicantumkan",
                "a bid guarantee is required but none is stated",
            )
        ]
    problems = []
    minimum = bid_guarantee_minimum(hps=hps)
    if guarantee.amount is None:
        problems.append(
            Problem(
                "bid_guarantee.amount_unknown",
                "bid_guarantee.amount",
                "nilai jaminan tidak dicantumkan; periksa pada jaminan",
                "the guarantee's amount is not stated; check it on the guarantee",
            )
        )
    elif guarantee.amount < minimum:
        problems.append(
            Problem(
                "bid_guarantee.amount_below_minimum",
                "bid_guarantee.amount",
                f"nilai jaminan di bawah 1% HPS (paling sedikit {minimum})",
                f"the guarantee is below 1% of the HPS (at least {minimum})",
            )
        )
    if guarantee.valid_until is None:
        problems.append(
            Problem(
                "bid_guarantee.validity_unknown",
                "bid_guarantee.valid_until",
                "masa berlaku jaminan tidak dicantumkan; periksa pada jaminan",
                "the guarantee's validity is not stated; check it on the guarantee",
            )
        )
    elif bid_valid_until is not None and guarantee.valid_until < bid_valid_until:
        problems.append(
            Problem(
                "bid_guarantee.validity_short",
                "bid_guarantee.valid_until",
                f"jaminan berakhir sebelum masa berlaku penawaran ({bid_valid_until.isoformat()})",
                f"the guarantee ends before the bid's validity ({bid_valid_until.isoformat()})",
            )
        )
    return problems
