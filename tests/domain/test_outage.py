"""Outage extension: the RULES.md worked example, and the policy's examples."""

import datetime as dt

from tangguh.domain.methods import Method
from tangguh.domain.methods import StageKind as K
from tangguh.domain.outage import Outage, OutagePolicy, extend_for_outages, merge_outages
from tangguh.domain.rulesets import ruleset_in_force
from tangguh.domain.schedule import Schedule, Stage
from tangguh.domain.schedule_validation import errors, validate
from tests.domain.factories import JAKARTA, MIMIKA, proposed, wib, wit

PDNS_OUTAGE = Outage(wib(2024, 6, 20, 0, 54), wib(2024, 7, 1, 0, 0), "Pusat Data Nasional")


def _mimika_bid_window():
    return Schedule(
        (
            Stage(K.BID_SUBMISSION, wit(2024, 6, 10, 8, 0), wit(2024, 6, 24, 15, 0)),
            Stage(K.OPENING, wit(2024, 6, 24, 15, 0), wit(2024, 6, 25, 15, 0)),
        )
    )


def test_mimika_worked_example_gives_tuesday_2_july_2024_15_00_wit():
    """RULES.md worked example; the rule as written gives the same answer as the example.

    Overlap 20 June 02:54 WIT → 24 June 15:00 WIT = 4 days 12 h 6 min → 5 days → Saturday 29 June
    → Monday 1 July 15:00 WIT; service returned 1 July 02:00 WIT, leaving 7 working hours (less
    than Monday's 8) → Tuesday 2 July 2024 15:00 WIT.
    """
    result = extend_for_outages(_mimika_bid_window(), [PDNS_OUTAGE], MIMIKA)
    bid = result.schedule[K.BID_SUBMISSION]
    assert bid.end == wit(2024, 7, 2, 15, 0)
    assert bid.end.tzinfo == MIMIKA.tz
    [change, shifted] = result.changes
    assert change.kind == K.BID_SUBMISSION
    assert change.lost == dt.timedelta(days=4, hours=12, minutes=6)
    assert "Kamis, 20 Juni 2024 02:54 WIT s.d. Senin, 1 Juli 2024 02:00 WIT" in change.reason_id
    assert "Perka LKPP 1/2015" in change.reason_en
    assert shifted.kind == K.OPENING and shifted.after.length == shifted.before.length
    assert result.committee_decisions == ()


def test_without_the_full_working_day_rule_the_example_would_end_monday_1_july():
    policy = OutagePolicy(full_working_day_after_return=False)
    result = extend_for_outages(_mimika_bid_window(), [PDNS_OUTAGE], MIMIKA, policy)
    assert result.schedule[K.BID_SUBMISSION].end == wit(2024, 7, 1, 15, 0)


def test_outage_over_most_of_the_window_ending_three_days_early_still_gives_time_back():
    window = Schedule((Stage(K.BID_SUBMISSION, wib(2024, 7, 1, 8, 0), wib(2024, 7, 12, 15, 0)),))
    outage = Outage(wib(2024, 7, 1, 9, 0), wib(2024, 7, 9, 15, 0))
    result = extend_for_outages(window, [outage], JAKARTA)
    new_end = result.schedule[K.BID_SUBMISSION].end
    # 8 days 6 hours lost → 9 days → Sunday 21 July → Monday 22 July 15:00 WIB.
    assert new_end == wib(2024, 7, 22, 15, 0)
    assert new_end - window[K.BID_SUBMISSION].end >= outage.end - outage.start


def test_once_opening_has_begun_the_committee_must_decide():
    result = extend_for_outages(_mimika_bid_window(), [PDNS_OUTAGE], MIMIKA, opening_begun=True)
    assert result.schedule[K.BID_SUBMISSION] == _mimika_bid_window()[K.BID_SUBMISSION]
    [decision] = result.committee_decisions
    assert decision.code == "outage.committee_must_decide"
    assert decision.kind == K.BID_SUBMISSION
    assert "Pokja" in decision.message_id and "fresh keys" in decision.message_en


def test_objection_window_is_still_extended_after_opening():
    schedule = proposed(wib(2024, 7, 1, 9, 0), Method.TENDER_ONE_FILE, JAKARTA)
    objection = schedule[K.OBJECTION]
    outage = Outage(
        objection.start + dt.timedelta(hours=1), objection.start + dt.timedelta(hours=30)
    )
    result = extend_for_outages(schedule, [outage], JAKARTA, opening_begun=True)
    assert result.schedule[K.OBJECTION].end > objection.end
    assert result.committee_decisions == ()


def test_overlapping_outages_merge_first():
    a = Outage(wib(2024, 7, 1, 9, 0), wib(2024, 7, 2, 9, 0), "heartbeat")
    b = Outage(wib(2024, 7, 2, 8, 0), wib(2024, 7, 3, 9, 0), "probe")
    c = Outage(wib(2024, 7, 5, 8, 0), wib(2024, 7, 5, 9, 0))
    assert merge_outages([c, b, a]) == (
        Outage(wib(2024, 7, 1, 9, 0), wib(2024, 7, 3, 9, 0), "heartbeat; probe"),
        c,
    )


def test_no_outage_changes_nothing():
    schedule = proposed(wib(2024, 7, 1, 9, 0), Method.TENDER_ONE_FILE, JAKARTA)
    assert extend_for_outages(schedule, [], JAKARTA).schedule == schedule


def test_outage_before_the_tender_changes_nothing():
    schedule = proposed(wib(2024, 7, 1, 9, 0), Method.TENDER_ONE_FILE, JAKARTA)
    outage = Outage(wib(2024, 6, 1, 9, 0), wib(2024, 6, 5, 9, 0))
    result = extend_for_outages(schedule, [outage], JAKARTA)
    assert result.schedule == schedule and result.changes == ()


def test_extended_full_tender_still_validates():
    schedule = proposed(wit(2024, 6, 3, 9, 0), Method.TENDER_ONE_FILE, MIMIKA)
    ruleset = ruleset_in_force(wit(2024, 6, 3, 9, 0))
    result = extend_for_outages(
        schedule, [PDNS_OUTAGE], MIMIKA, method=Method.TENDER_ONE_FILE, ruleset=ruleset
    )
    assert errors(validate(result.schedule, MIMIKA, ruleset, Method.TENDER_ONE_FILE)) == ()
