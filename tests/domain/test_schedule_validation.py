"""Schedule validation and the proposer: every violation at once, earliest valid schedules."""

from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tangguh.domain.evaluation.guarantees import bid_guarantee_required
from tangguh.domain.methods import Method
from tangguh.domain.methods import StageKind as K
from tangguh.domain.rulesets import ruleset_in_force
from tangguh.domain.schedule import Schedule
from tangguh.domain.schedule_proposal import propose_schedule
from tangguh.domain.schedule_validation import Severity, errors, validate
from tests.domain.factories import JAKARTA, MIMIKA, calendars, moments, proposed, wib, wit


def _codes(violations):
    return {v.code for v in violations}


def _tender_two_files():
    return proposed(wit(2024, 7, 1, 9, 0), Method.TENDER_TWO_FILES, MIMIKA)


def test_two_file_tender_opening_before_bid_deadline_is_refused_with_clear_message():
    schedule = _tender_two_files()
    deadline = schedule[K.BID_SUBMISSION].end
    early = replace(schedule[K.OPENING_TECHNICAL], start=schedule[K.BID_SUBMISSION].start)
    ruleset = ruleset_in_force(deadline)
    found = validate(schedule.with_stage(early), MIMIKA, ruleset, Method.TENDER_TWO_FILES)
    [violation] = [
        v for v in found if v.code == "opening_technical.starts_before_bid_submission_end"
    ]
    assert violation.severity is Severity.ERROR
    assert violation.expected == deadline and violation.actual == early.start
    assert "sebelum batas akhir pemasukan penawaran" in violation.message_id
    assert "before the bid deadline" in violation.message_en
    assert "WIT" in violation.message_en


def test_all_violations_are_reported_at_once():
    schedule = proposed(wib(2024, 7, 1, 9, 0), Method.TENDER_ONE_FILE, JAKARTA)
    bid = schedule[K.BID_SUBMISSION]
    objection = schedule[K.OBJECTION]
    broken = schedule.with_stage(replace(bid, end=bid.end.replace(hour=20)))
    broken = broken.with_stage(
        replace(objection, end=objection.start + (objection.end - objection.start) / 2)
    )
    broken = Schedule(tuple(s for s in broken.stages if s.kind != K.CONTRACT))
    found = validate(broken, JAKARTA, ruleset_in_force(bid.start), Method.TENDER_ONE_FILE)
    assert {
        "bid_submission.end_not_working_moment",
        "objection.objection_window_days",
        "contract.missing",
    } <= _codes(found)
    for violation in found:
        assert violation.message_id and violation.message_en and violation.source


def test_objection_window_opened_thursday_before_idul_fitri_2025_ends_tuesday_8_april():
    ruleset = ruleset_in_force(wib(2025, 3, 27, 10, 0))
    schedule = proposed(wib(2025, 3, 10, 9, 0), Method.TENDER_ONE_FILE, JAKARTA)
    announce = schedule[K.WINNER_ANNOUNCEMENT]
    objection = schedule[K.OBJECTION]
    opened = wib(2025, 3, 27, 10, 0)

    def with_objection_end(end):
        stages = [
            replace(announce, start=opened, end=opened),
            replace(objection, start=opened, end=end),
        ]
        return Schedule(tuple(stages))

    on_idul_fitri = validate(
        with_objection_end(wib(2025, 4, 1, 10, 0)), JAKARTA, ruleset, Method.TENDER_ONE_FILE
    )
    [late] = [v for v in on_idul_fitri if v.code == "objection.end_not_working_moment"]
    assert late.expected == wib(2025, 4, 8, 10, 0)
    on_cuti_bersama = validate(
        with_objection_end(wib(2025, 4, 7, 10, 0)), JAKARTA, ruleset, Method.TENDER_ONE_FILE
    )
    assert "objection.end_not_working_moment" in _codes(on_cuti_bersama)
    right = validate(
        with_objection_end(wib(2025, 4, 8, 10, 0)), JAKARTA, ruleset, Method.TENDER_ONE_FILE
    )
    assert not {c for c in _codes(right) if c.startswith("objection.")}


def test_long_answer_to_objections_is_a_warning_not_an_error():
    schedule = proposed(wib(2024, 7, 1, 9, 0), Method.TENDER_ONE_FILE, JAKARTA)
    answer = schedule[K.OBJECTION_ANSWER]
    late = schedule.with_stage(replace(answer, end=JAKARTA.add_calendar_days(answer.start, 10)))
    found = validate(late, JAKARTA, ruleset_in_force(answer.start), Method.TENDER_ONE_FILE)
    [warning] = [v for v in found if v.code == "objection_answer.objection_answer_max_days"]
    assert warning.severity is Severity.WARNING
    assert not [v for v in found if v.stage == K.OBJECTION_ANSWER and v.severity is Severity.ERROR]


def test_proposed_tender_in_mimika_skips_idul_adha_2024():
    schedule = proposed(wit(2024, 6, 10, 9, 0), Method.TENDER_ONE_FILE, MIMIKA)
    assert schedule[K.BID_SUBMISSION].end == wit(2024, 6, 20, 9, 0)
    assert (
        validate(schedule, MIMIKA, ruleset_in_force(wit(2024, 6, 10)), Method.TENDER_ONE_FILE) == ()
    )


@settings(max_examples=60, deadline=None)
@given(calendar=calendars, announce_at=moments, method=st.sampled_from(list(Method)))
def test_proposed_schedules_validate_and_end_rights_on_working_moments(
    calendar, announce_at, method
):
    schedule = proposed(announce_at, method, calendar)
    ruleset = ruleset_in_force(calendar.local(announce_at))
    assert validate(schedule, calendar, ruleset, method) == ()
    for stage in schedule.stages:
        assert stage.start < stage.end
        if stage.kind.ends_on_working_moment:
            assert calendar.is_working_moment(stage.end)
            assert stage.end.tzinfo == calendar.tz
    assert errors(validate(schedule, calendar, ruleset, method)) == ()


# --- Bid window when a bid guarantee is required (RULES.md "Time": ≥ 2 working days, S) ------

GUARANTEE_WINDOW = "bid_submission.bid_window_with_guarantee_min_working_days"


def _with_bid_start(start):
    """The Mimika tender announced Monday 1 July 2024 09:00 WIT, its bid window opened at
    ``start`` and closing as proposed, Tuesday 9 July 2024 09:00 WIT (3 working days after the
    clarification: no other rule is broken)."""
    schedule = proposed(wit(2024, 7, 1, 9, 0), Method.TENDER_ONE_FILE, MIMIKA)
    assert schedule[K.BID_SUBMISSION].end == wit(2024, 7, 9, 9, 0)
    return schedule.with_stage(replace(schedule[K.BID_SUBMISSION], start=start))


def _guarantee(hps: str, category: str) -> bool:
    return bid_guarantee_required(
        hps=Decimal(hps), category=category, ruleset=ruleset_in_force(wit(2024, 7, 1))
    )


def _found(schedule, bid_guarantee: bool):
    ruleset = ruleset_in_force(wit(2024, 7, 1))
    return validate(schedule, MIMIKA, ruleset, Method.TENDER_ONE_FILE, bid_guarantee=bid_guarantee)


def test_works_at_rp12_miliar_with_a_bid_window_of_one_working_day_is_refused():
    # Monday 8 July 09:00 to Tuesday 9 July 09:00: one working day; two end Wednesday 10 July.
    one_day = _with_bid_start(wit(2024, 7, 8, 9, 0))
    found = _found(one_day, _guarantee("12000000000", "works"))
    [violation] = errors(found)
    assert violation.code == GUARANTEE_WINDOW
    assert violation.severity is Severity.ERROR
    assert violation.stage == K.BID_SUBMISSION
    assert violation.rule == "bid_window_with_guarantee_min_working_days"
    assert violation.expected == wit(2024, 7, 10, 9, 0)
    assert violation.actual == wit(2024, 7, 9, 9, 0)
    assert "(S)" in violation.source
    assert "2 hari kerja" in violation.message_id and "jaminan penawaran" in violation.message_id
    assert "2 working days" in violation.message_en and "bid guarantee" in violation.message_en


def test_works_at_rp12_miliar_with_a_bid_window_of_two_working_days_passes():
    # Friday 5 July 09:00 to Tuesday 9 July 09:00: the weekend does not count, two working days.
    two_days = _with_bid_start(wit(2024, 7, 5, 9, 0))
    assert _found(two_days, _guarantee("12000000000", "works")) == ()


def test_the_window_counts_working_days_not_calendar_days():
    # Friday 5 July 15:00 to Tuesday 9 July 09:00: four calendar days, under two working days
    # (the second ends Tuesday 15:00).
    over_weekend = _with_bid_start(wit(2024, 7, 5, 15, 0))
    [violation] = errors(_found(over_weekend, bid_guarantee=True))
    assert violation.code == GUARANTEE_WINDOW
    assert violation.expected == wit(2024, 7, 9, 15, 0)


def test_the_same_window_passes_without_a_guarantee_goods_or_works_at_the_threshold():
    one_day = _with_bid_start(wit(2024, 7, 8, 9, 0))
    for hps, category in [
        ("12000000000", "goods"),
        ("12000000000", "other_services"),
        ("10000000000", "works"),  # the guarantee is required only *above* Rp10 miliar
        ("9500000000", "works"),
    ]:
        assert not _guarantee(hps, category)
        assert _found(one_day, _guarantee(hps, category)) == (), (hps, category)
    # ``validate`` without the flag keeps its old answer.
    ruleset = ruleset_in_force(wit(2024, 7, 1))
    assert validate(one_day, MIMIKA, ruleset, Method.TENDER_ONE_FILE) == ()


def test_fast_tender_for_works_announced_friday_afternoon_gets_a_longer_bid_window():
    # Tender Cepat's own minimum (3 calendar days) closes the window Monday 8 July 15:00, one
    # working day after Friday 15:00; with a guarantee the proposer waits until Tuesday 15:00.
    announce_at = wit(2024, 7, 5, 15, 0)
    ruleset = ruleset_in_force(announce_at)
    plain = propose_schedule(announce_at, Method.FAST_TENDER, MIMIKA, ruleset)
    assert plain[K.BID_SUBMISSION].end == wit(2024, 7, 8, 15, 0)
    assert GUARANTEE_WINDOW in _codes(
        validate(plain, MIMIKA, ruleset, Method.FAST_TENDER, bid_guarantee=True)
    )
    guaranteed = propose_schedule(
        announce_at, Method.FAST_TENDER, MIMIKA, ruleset, bid_guarantee=True
    )
    assert guaranteed[K.BID_SUBMISSION].end == wit(2024, 7, 9, 15, 0)
    assert validate(guaranteed, MIMIKA, ruleset, Method.FAST_TENDER, bid_guarantee=True) == ()
