"""Properties of outage extension (issue 3): never shorter, idempotent, order-free, fair, valid."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from tangguh.domain.methods import Method
from tangguh.domain.outage import Outage, extend_for_outages
from tangguh.domain.rulesets import ruleset_in_force
from tests.domain.factories import calendars, moments, proposed

METHODS = st.sampled_from([Method.TENDER_ONE_FILE, Method.TENDER_TWO_FILES, Method.SELECTION])
PROPS = settings(max_examples=60, deadline=None)


@st.composite
def cases(draw):
    calendar = draw(calendars)
    announce_at = draw(moments)
    method = draw(METHODS)
    schedule = proposed(announce_at, method, calendar)
    first, last = schedule.stages[0].start, schedule.stages[-1].end
    span_minutes = int((last - first) / dt.timedelta(minutes=1))
    outages = []
    for _ in range(draw(st.integers(1, 3))):
        offset = draw(st.integers(-2 * 24 * 60, span_minutes))
        length = draw(st.integers(1, 7 * 24 * 60))
        start = first + dt.timedelta(minutes=offset)
        outages.append(Outage(start, start + dt.timedelta(minutes=length)))
    return calendar, method, schedule, ruleset_in_force(calendar.local(announce_at)), outages


def _extend(case, outages=None):
    calendar, method, schedule, ruleset, base_outages = case
    chosen = base_outages if outages is None else outages
    return extend_for_outages(schedule, chosen, calendar, method=method, ruleset=ruleset)


@PROPS
@given(case=cases())
def test_extension_never_shortens_or_moves_a_stage_earlier(case):
    before = case[2]
    after = _extend(case).schedule
    for old, new in zip(before.stages, after.stages, strict=True):
        assert new.kind == old.kind
        assert new.start >= old.start and new.end >= old.end
        assert new.length >= old.length


@PROPS
@given(case=cases(), data=st.data())
def test_extension_is_idempotent_and_independent_of_outage_order(case, data):
    outages = case[4]
    once = _extend(case)
    shuffled = data.draw(st.permutations(outages))
    assert _extend(case, shuffled) == once
    assert _extend(case, [*list(outages), outages[0]]) == once


@PROPS
@given(case=cases())
def test_extension_gives_back_at_least_the_time_lost(case):
    for change in _extend(case).changes:
        assert change.after.end - change.before.end >= change.lost


@PROPS
@given(case=cases())
def test_extended_schedule_still_validates_and_ends_on_working_moments(case):
    from tangguh.domain.schedule_validation import errors, validate

    calendar, method, _, ruleset, _ = case
    after = _extend(case).schedule
    assert errors(validate(after, calendar, ruleset, method)) == ()
    for stage in after.stages:
        if stage.kind.ends_on_working_moment:
            assert calendar.is_working_moment(stage.end)
