"""Red flags, each shown to fire on its pattern and stay quiet otherwise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from tangguh.domain.red_flags import BidFacts, TenderFacts, red_flags

ANNOUNCED = datetime(2024, 6, 10, 1, 0, tzinfo=UTC)


def facts(**kw) -> TenderFacts:
    base = {
        "code": "T1",
        "price_only": True,
        "hps": D("1000"),
        "announced_at": ANNOUNCED,
        "bid_deadline": ANNOUNCED + timedelta(days=14),
        "bids": (
            BidFacts("a", D("900"), False, winner=True),
            BidFacts("b", D("950"), False),
        ),
        "awarded": True,
    }
    base.update(kw)
    return TenderFacts(**base)


def codes(f: TenderFacts) -> set[str]:
    return {flag.code for flag in red_flags(f)}


def test_a_clean_tender_has_no_flags():
    assert codes(facts()) == set()


def test_each_flag_fires_on_its_pattern():
    assert "single_bid" in codes(facts(bids=(BidFacts("a", D("900"), False, winner=True),)))
    assert "short_submission_period" in codes(facts(bid_deadline=ANNOUNCED + timedelta(days=5)))
    near = facts(bids=(BidFacts("a", D("991"), False, winner=True), BidFacts("b", D("995"), False)))
    assert "winning_price_near_hps" in codes(near)
    rigged = facts(
        bids=(
            BidFacts("a", D("950"), False, winner=True),
            BidFacts("b", D("800"), True),
            BidFacts("c", D("850"), True),
        )
    )
    assert {"all_but_winner_disqualified", "lowest_bid_disqualified"} <= codes(rigged)
    same = facts(bids=(BidFacts("a", D("900"), False, winner=True), BidFacts("b", D("900"), False)))
    assert "identical_bid_prices" in codes(same)
    assert "repeated_schedule_changes" in codes(facts(schedule_changes=3))
    assert "repeated_schedule_changes" not in codes(facts(schedule_changes=2))
    assert "award_after_outage_extension" in codes(facts(outage_extensions=1))
    assert "award_after_outage_extension" not in codes(facts(outage_extensions=1, awarded=False))


def test_lowest_bid_disqualified_only_on_price_only_tenders():
    bids = (BidFacts("a", D("950"), False, winner=True), BidFacts("b", D("800"), True))
    assert "lowest_bid_disqualified" in codes(facts(bids=bids))
    assert "lowest_bid_disqualified" not in codes(facts(bids=bids, price_only=False))


def test_every_flag_is_bilingual_and_cites_its_source():
    flags = red_flags(
        facts(
            bid_deadline=ANNOUNCED + timedelta(days=3),
            bids=(BidFacts("a", D("1000"), False, winner=True),),
            schedule_changes=5,
            outage_extensions=1,
        )
    )
    assert len(flags) == 5
    for flag in flags:
        assert flag.title_id and flag.title_en and flag.detail_id and flag.detail_en
        assert flag.cardinal and flag.evidence
