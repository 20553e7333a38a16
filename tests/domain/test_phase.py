"""Phase derivation: a pure function of schedule, clock and decisions."""

import datetime as dt
import itertools
from dataclasses import fields

from hypothesis import given, settings
from hypothesis import strategies as st

from tangguh.domain.methods import Method
from tangguh.domain.methods import StageKind as K
from tangguh.domain.phase import Decisions, Phase, phase
from tests.domain.factories import JAKARTA, MIMIKA, calendars, moments, proposed, wib, wit

SCHEDULE = proposed(wit(2024, 6, 10, 9, 0), Method.TENDER_ONE_FILE, MIMIKA)
ANNOUNCED = Decisions(announced=True)


def test_unannounced_selection_is_a_draft_whatever_the_time():
    assert phase(SCHEDULE, wit(2024, 6, 21, 9, 0), Decisions()).phase is Phase.DRAFT


def test_bidding_runs_until_the_bid_deadline_then_waits_for_opening():
    deadline = SCHEDULE[K.BID_SUBMISSION].end
    during = phase(SCHEDULE, deadline - dt.timedelta(minutes=1), ANNOUNCED)
    assert during.phase is Phase.BIDDING and during.next_change == deadline
    after = phase(SCHEDULE, deadline, ANNOUNCED)
    assert after.phase is Phase.AWAITING_OPENING and after.next_change is None


def test_before_bidding_the_next_change_is_the_start_of_bid_submission():
    at = phase(SCHEDULE, wit(2024, 6, 10, 10, 0), ANNOUNCED)
    assert at == type(at)(Phase.ANNOUNCED, SCHEDULE[K.BID_SUBMISSION].start)


def test_objection_window_then_pending_objections_hold_the_selection():
    awarded = Decisions(announced=True, opened=True, evaluated=True, awarded=True)
    objection = SCHEDULE[K.OBJECTION]
    assert phase(SCHEDULE, objection.start, awarded).phase is Phase.OBJECTION_WINDOW
    pending = Decisions(**{**awarded.__dict__, "objections_pending": True})
    assert phase(SCHEDULE, objection.end, pending).phase is Phase.OBJECTION_ANSWER
    assert phase(SCHEDULE, objection.end + dt.timedelta(days=60), pending).next_change is None


def test_cancelled_and_failed_win_over_everything():
    cancelled = Decisions(announced=True, cancelled=True, failed=True)
    assert phase(SCHEDULE, wit(2024, 6, 21, 9, 0), cancelled).phase is Phase.CANCELLED
    failed = Decisions(announced=True, failed=True)
    assert phase(SCHEDULE, wit(2024, 6, 21, 9, 0), failed).phase is Phase.FAILED


def test_fast_tender_has_no_objection_window():
    schedule = proposed(wib(2024, 7, 1, 9, 0), Method.FAST_TENDER, JAKARTA)
    awarded = Decisions(announced=True, opened=True, evaluated=True, awarded=True)
    assert phase(schedule, wib(2024, 7, 20, 9, 0), awarded).phase is Phase.CONTRACTING


decisions = st.builds(Decisions, **{f.name: st.booleans() for f in fields(Decisions)})


@settings(max_examples=150, deadline=None)
@given(
    calendar=calendars,
    announce_at=moments,
    method=st.sampled_from(list(Method)),
    facts=decisions,
    offsets=st.lists(st.integers(-10 * 24 * 60, 120 * 24 * 60), min_size=2, max_size=6),
)
def test_phase_is_monotone_in_time_for_fixed_decisions(
    calendar, announce_at, method, facts, offsets
):
    schedule = proposed(announce_at, method, calendar)
    moments_in_order = sorted(announce_at + dt.timedelta(minutes=m) for m in offsets)
    phases = [phase(schedule, at, facts) for at in moments_in_order]
    for earlier, later in itertools.pairwise(phases):
        assert earlier.phase <= later.phase
    for at, derived in zip(moments_in_order, phases, strict=True):
        if derived.next_change is not None:
            assert derived.next_change > at
            assert phase(schedule, derived.next_change, facts).phase > derived.phase
