"""A proposed schedule can be saved unchanged: it passes what ``PUT /schedule`` checks.

Regression: the proposer made a zero-length ``winner_announcement`` (and technical result,
shortlist announcement, invitation) stage, which ``PUT /schedule`` refused with
``schedule.stage_times_invalid``. Every stage now lasts at least a day (RULES.md "Schedule
basis"); this checks every method of the templates, from any announcement moment, Fridays and
days before national holidays included, in WIB, WITA and WIT.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tangguh.domain.calendar import ZONES, WorkingCalendar, national_holidays
from tangguh.domain.methods import Method
from tangguh.domain.methods import StageKind as K
from tangguh.domain.roles import Role
from tangguh.domain.rulesets import ruleset_in_force
from tangguh.domain.schedule_proposal import propose_schedule
from tangguh.domain.schedule_validation import errors, stage_times_valid, validate
from tangguh.domain.stage_templates import TEMPLATES
from tests.domain.factories import WIB, WIT, WITA, moments
from tests.test_tender_workflow import _assigned

ZONE_INFOS = [WIB, WITA, WIT]


def _day_before_holiday(year: int) -> list[dt.date]:
    return sorted(day - dt.timedelta(days=1) for day in national_holidays(year))


HOLIDAY_EVES = [day for year in range(2024, 2028) for day in _day_before_holiday(year)]
FRIDAYS = [
    dt.date(2024, 1, 5) + dt.timedelta(weeks=n) for n in range(0, 4 * 52, 3)
]  # every third Friday, 2024-2027


@st.composite
def on_day(draw, days: list[dt.date]) -> dt.datetime:
    """A moment of any time of day on one of ``days``, in any Indonesian zone."""
    day = draw(st.sampled_from(days))
    minute = draw(st.integers(0, 24 * 60 - 1))
    zone = draw(st.sampled_from(ZONE_INFOS))
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    return midnight + dt.timedelta(minutes=minute)


announcements = st.one_of(moments, on_day(HOLIDAY_EVES), on_day(FRIDAYS))


def _put_problems(
    schedule, calendar: WorkingCalendar, ruleset, method: Method, *, bid_guarantee: bool = False
) -> list[str]:
    """What ``tender_set_schedule`` (``PUT /schedule``) refuses, as codes."""
    problems = [
        f"{stage.kind}.stage_times_invalid"
        for stage in schedule.stages
        if not stage_times_valid(stage.start, stage.end)
    ]
    problems += [
        v.code
        for v in errors(validate(schedule, calendar, ruleset, method, bid_guarantee=bid_guarantee))
    ]
    return problems


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(sorted(ZONES)),
    announce_at=announcements,
    method=st.sampled_from(sorted(TEMPLATES)),
    include_optional=st.booleans(),
)
# Friday 16 August 2024, the eve of Independence Day (Saturday 17 August), late in the day.
@example(
    "Asia/Jayapura", dt.datetime(2024, 8, 16, 16, 29, tzinfo=WIT), Method.TENDER_ONE_FILE, True
)
# Friday 28 March 2025, before Nyepi and Idul Fitri 2025 with cuti bersama.
@example("Asia/Makassar", dt.datetime(2025, 3, 28, 9, 0, tzinfo=WITA), Method.SELECTION, False)
# Wednesday 24 December 2025, the eve of Christmas, after working hours.
@example("Asia/Jakarta", dt.datetime(2025, 12, 24, 20, 0, tzinfo=WIB), Method.FAST_TENDER, False)
def test_every_proposed_schedule_passes_what_put_schedule_checks(
    zone, announce_at, method, include_optional
):
    calendar = WorkingCalendar(zone)
    ruleset = ruleset_in_force(calendar.local(announce_at))
    schedule = propose_schedule(
        announce_at, method, calendar, ruleset, include_optional=include_optional
    )
    assert _put_problems(schedule, calendar, ruleset, method) == []
    for stage in schedule.stages:
        assert stage.end - stage.start >= dt.timedelta(hours=1), stage


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(sorted(ZONES)),
    announce_at=announcements,
    method=st.sampled_from(sorted(TEMPLATES)),
    include_optional=st.booleans(),
)
# Friday 5 July 2024 15:00 WIT: Tender Cepat's 3 calendar days close Monday, one working day.
@example("Asia/Jayapura", dt.datetime(2024, 7, 5, 15, 0, tzinfo=WIT), Method.FAST_TENDER, False)
# Friday 16 August 2024, the eve of Independence Day, late in the day.
@example("Asia/Jakarta", dt.datetime(2024, 8, 16, 16, 0, tzinfo=WIB), Method.FAST_TENDER, False)
# Sunday 31 December 2023 16:01 WIB, before New Year's Day: the window's working days start
# Tuesday 2 January 08:00.
@example("Asia/Jakarta", dt.datetime(2023, 12, 31, 16, 1, tzinfo=WIB), Method.FAST_TENDER, False)
def test_a_tender_needing_a_bid_guarantee_gets_a_proposal_that_passes_with_the_rule(
    zone, announce_at, method, include_optional
):
    """RULES.md "Bid window when a bid guarantee is required": the proposal for such a tender
    passes ``PUT /schedule``'s checks with the rule applied, and its bid window lasts the rule
    set's working days."""
    calendar = WorkingCalendar(zone)
    ruleset = ruleset_in_force(calendar.local(announce_at))
    schedule = propose_schedule(
        announce_at,
        method,
        calendar,
        ruleset,
        include_optional=include_optional,
        bid_guarantee=True,
    )
    assert _put_problems(schedule, calendar, ruleset, method, bid_guarantee=True) == []
    window = schedule[K.BID_SUBMISSION]
    days = ruleset.days("bid_window_with_guarantee_min_working_days")
    assert window.end >= calendar.add_working_days(window.start, days)
    for stage in schedule.stages:
        assert stage.end - stage.start >= dt.timedelta(hours=1), stage


def test_the_winner_announcement_lasts_a_day_and_the_objection_window_counts_from_its_end():
    calendar = WorkingCalendar("Asia/Jayapura")
    announce_at = dt.datetime(2024, 7, 1, 9, 0, tzinfo=WIT)
    ruleset = ruleset_in_force(announce_at)
    schedule = propose_schedule(announce_at, Method.TENDER_ONE_FILE, calendar, ruleset)
    announcement, objection = schedule[K.WINNER_ANNOUNCEMENT], schedule[K.OBJECTION]
    assert announcement.start == schedule[K.AWARD].end
    assert announcement.end >= announcement.start + dt.timedelta(days=1)
    assert calendar.is_working_moment(announcement.end)
    assert objection.start == announcement.end
    days = ruleset.days("objection_window_days")
    assert calendar.local(objection.end).date() >= (
        calendar.local(announcement.end).date() + dt.timedelta(days=days)
    )


# --- API: the Pokja accepts the proposal and saves it unchanged --------------------------------

SETUPS = {
    Method.TENDER_ONE_FILE: ("works", 1, "lowest_price", {}),
    Method.TENDER_TWO_FILES: (
        "works",
        2,
        "merit_point",
        {"technical_weight": 70, "price_weight": 30},
    ),
    Method.FAST_TENDER: ("goods", 1, "lowest_price", {}),
    Method.SELECTION: (
        "consultancy",
        2,
        "quality_and_cost",
        {"technical_weight": 80, "price_weight": 20},
    ),
    Method.DIRECT_APPOINTMENT: ("works", 1, "lowest_price", {}),
    Method.DIRECT_PROCUREMENT: ("goods", 1, "lowest_price", {}),
}


@pytest.fixture
def tokens(api, org):
    return {role: api.token_for(user) for role, user in org.users.items()}


def _draft(api, org, tokens, method: Method) -> str:
    category, envelopes, evaluation, weights = SETUPS[method]
    package_id = _assigned(api, org, tokens, category=category)
    response = api.call(
        "POST",
        "/tenders/prepare",
        token=tokens[Role.COMMITTEE_MEMBER],
        json={
            "package_id": package_id,
            "method": method.value,
            "envelopes": envelopes,
            "evaluation_method": evaluation,
            **weights,
        },
    )
    assert response.status_code == 201, response.content
    return response.json()["code"]


@pytest.mark.django_db
@pytest.mark.parametrize("method", sorted(TEMPLATES))
@pytest.mark.parametrize(
    "announce_at",
    [
        None,  # now: Monday 24 June 2024 10:00 WIT (the clock fixture)
        "2024-08-16T15:30:00+09:00",  # Friday, eve of Independence Day (Saturday 17 August)
        "2024-12-24T11:00:00+07:00",  # eve of Christmas, stated in WIB
        "2024-09-13T19:00:00+08:00",  # Friday evening, stated in WITA
    ],
)
def test_put_of_the_proposed_schedule_is_accepted_unchanged(
    api, org, tokens, clock, method, announce_at
):
    code = _draft(api, org, tokens, method)
    pokja = tokens[Role.COMMITTEE_MEMBER]
    proposed = api.call(
        "POST",
        f"/tenders/{code}/schedule/propose",
        json={"announce_at": announce_at},
        token=pokja,
    )
    assert proposed.status_code == 200, proposed.content
    stages = [
        {"kind": s["kind"], "start": s["start"], "end": s["end"]}
        for s in proposed.json()["schedule"]
    ]
    assert any(s["kind"] == "winner_announcement" for s in stages) or method is (
        Method.DIRECT_PROCUREMENT
    )
    saved = api.call("PUT", f"/tenders/{code}/schedule", json={"stages": stages}, token=pokja)
    assert saved.status_code == 200, saved.content
    again = [
        {"kind": s["kind"], "start": s["start"], "end": s["end"]} for s in saved.json()["schedule"]
    ]
    assert again == stages
