"""Schedule changes: reasons required, the past is fixed, running rights keep their minimum."""

import datetime as dt
from dataclasses import replace

import pytest

from tangguh.domain.methods import Method
from tangguh.domain.methods import StageKind as K
from tangguh.domain.rulesets import ruleset_in_force
from tangguh.domain.schedule_change import (
    PastStageMoved,
    ReasonRequired,
    RunningStageShortened,
    ScheduleChange,
    apply_schedule_change,
)
from tests.domain.factories import JAKARTA, proposed, wib

ANNOUNCE = wib(2024, 7, 1, 9, 0)
SCHEDULE = proposed(ANNOUNCE, Method.TENDER_ONE_FILE, JAKARTA)
CONTEXT = {
    "calendar": JAKARTA,
    "ruleset": ruleset_in_force(ANNOUNCE),
    "method": Method.TENDER_ONE_FILE,
}


def _apply(stages, now, reason="Addendum dokumen pemilihan"):
    return apply_schedule_change(SCHEDULE, ScheduleChange(tuple(stages), reason), now, **CONTEXT)


def test_extending_the_bid_deadline_gives_a_diff_and_a_valid_schedule():
    bid = SCHEDULE[K.BID_SUBMISSION]
    later = replace(bid, end=JAKARTA.add_working_days(bid.end, 2))
    result = _apply([later], bid.start + dt.timedelta(hours=1))
    [diff] = result.diff
    assert diff.kind == K.BID_SUBMISSION and diff.before == bid and diff.after == later
    assert result.reason == "Addendum dokumen pemilihan"
    assert "opening.starts_before_bid_submission_end" in {v.code for v in result.violations}


def test_a_change_without_reason_is_refused():
    with pytest.raises(ReasonRequired) as refused:
        _apply([SCHEDULE[K.CONTRACT]], ANNOUNCE, reason="  ")
    assert refused.value.code == "schedule_change.reason_required"


def test_an_ended_stage_cannot_move():
    clarification = SCHEDULE[K.CLARIFICATION]
    moved = replace(clarification, end=clarification.end + dt.timedelta(days=1))
    with pytest.raises(PastStageMoved) as refused:
        _apply([moved], clarification.end + dt.timedelta(minutes=1))
    assert refused.value.code == "schedule_change.past_stage_moved"
    assert refused.value.kind == K.CLARIFICATION


def test_a_started_stage_keeps_its_start():
    bid = SCHEDULE[K.BID_SUBMISSION]
    with pytest.raises(PastStageMoved):
        _apply([replace(bid, start=bid.start + dt.timedelta(hours=2))], bid.start)


def test_a_running_bid_window_cannot_drop_below_its_minimum():
    bid = SCHEDULE[K.BID_SUBMISSION]
    shorter = replace(bid, end=bid.end - dt.timedelta(days=1))
    with pytest.raises(RunningStageShortened) as refused:
        _apply([shorter], bid.start + dt.timedelta(minutes=5))
    assert refused.value.code == "schedule_change.running_stage_below_minimum"
    assert "dipersingkat" in refused.value.message_id


def test_a_future_stage_may_be_shortened_and_the_violation_is_reported():
    objection = SCHEDULE[K.OBJECTION]
    shorter = replace(objection, end=objection.end - dt.timedelta(days=2))
    result = _apply([shorter], ANNOUNCE)
    assert "objection.objection_window_days" in {v.code for v in result.violations}
