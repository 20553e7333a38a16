"""The working calendar: holidays, working moments, calendar and working-day arithmetic."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tangguh.domain.calendar import (
    DEFAULT_WEEK,
    WorkingCalendar,
    WorkingHours,
    national_holidays,
)
from tests.domain.factories import JAKARTA, MIMIKA, calendars, moments, wib, wit

FAST = settings(max_examples=150, deadline=None)


def test_holidays_2024_hold_idul_adha_and_its_cuti_bersama():
    days = national_holidays(2024)
    assert "Idul Adha" in days[dt.date(2024, 6, 17)]
    assert "Cuti Bersama" in days[dt.date(2024, 6, 18)]
    assert not MIMIKA.is_working_day(dt.date(2024, 6, 17))
    assert not MIMIKA.is_working_day(dt.date(2024, 6, 18))
    assert MIMIKA.is_working_day(dt.date(2024, 6, 19))


def test_idul_fitri_2025_and_its_cuti_bersama_are_days_off():
    off = [dt.date(2025, 3, 31) + dt.timedelta(days=n) for n in range(8)]
    assert [JAKARTA.is_working_day(day) for day in off] == [False] * 8
    assert JAKARTA.is_working_day(dt.date(2025, 4, 8))


def test_local_day_off_added_by_the_node_is_not_a_working_day():
    calendar = WorkingCalendar("Asia/Jayapura", local_days_off=frozenset({dt.date(2024, 6, 19)}))
    assert not calendar.is_working_day(dt.date(2024, 6, 19))
    assert calendar.holiday_name(dt.date(2024, 6, 19)) == "Hari libur daerah"


def test_node_may_set_its_own_working_week():
    saturday = WorkingHours(dt.time(8, 0), dt.time(12, 0))
    week = (*DEFAULT_WEEK[:5], saturday, None)
    calendar = WorkingCalendar("Asia/Makassar", week=week)
    assert calendar.is_working_moment(dt.datetime(2024, 7, 6, 11, 0, tzinfo=calendar.tz))
    assert not calendar.is_working_moment(dt.datetime(2024, 7, 6, 12, 30, tzinfo=calendar.tz))
    assert calendar.zone_abbreviation == "WITA"


def test_friday_closes_later_than_thursday():
    assert JAKARTA.is_working_moment(wib(2024, 6, 21, 16, 30))
    assert not JAKARTA.is_working_moment(wib(2024, 6, 20, 16, 30))
    assert not JAKARTA.is_working_moment(wib(2024, 6, 22, 10, 0))


def test_working_moment_is_judged_in_the_node_zone():
    # 07:30 WIB is 09:30 WIT: a working moment in Mimika, not in Jakarta.
    assert MIMIKA.is_working_moment(wib(2024, 6, 19, 7, 30))
    assert not JAKARTA.is_working_moment(wib(2024, 6, 19, 7, 30))


def test_naive_time_and_unknown_zone_are_refused():
    with pytest.raises(ValueError):
        JAKARTA.is_working_moment(dt.datetime(2024, 6, 19, 10, 0))
    with pytest.raises(ValueError):
        WorkingCalendar("Asia/Singapore")


def test_next_working_moment_skips_the_idul_adha_break():
    assert MIMIKA.next_working_moment(wit(2024, 6, 14, 17, 0)) == wit(2024, 6, 19, 8, 0)


def test_add_calendar_days_keeps_time_of_day_on_the_next_working_day():
    # Thursday 27 March 2025 + 5 days = Tuesday 1 April (Idul Fitri) -> Tuesday 8 April.
    assert JAKARTA.add_calendar_days(wib(2025, 3, 27, 10, 0), 5) == wib(2025, 4, 8, 10, 0)


def test_add_calendar_days_clamps_friday_evening_time_into_monday_hours():
    assert JAKARTA.add_calendar_days(wib(2024, 7, 5, 16, 15), 1) == wib(2024, 7, 8, 16, 0)


def test_add_working_days_counts_only_working_days():
    # Friday 14 June 2024 + 2 working days: 17 and 18 June are off -> 19, 20 June.
    assert MIMIKA.add_working_days(wit(2024, 6, 14, 10, 0), 2) == wit(2024, 6, 20, 10, 0)


def test_working_hours_between_counts_only_working_hours():
    assert MIMIKA.working_hours_between(wit(2024, 7, 1, 2, 0), wit(2024, 7, 1, 15, 0)) == (
        dt.timedelta(hours=7)
    )
    friday_to_monday = JAKARTA.working_hours_between(wib(2024, 7, 5, 16, 0), wib(2024, 7, 8, 9))
    assert friday_to_monday == dt.timedelta(hours=1, minutes=30)


@FAST
@given(calendar=calendars, start=moments, days=st.integers(0, 60))
def test_every_calendar_deadline_is_a_working_moment_never_early(calendar, start, days):
    result = calendar.add_calendar_days(start, days)
    assert calendar.is_working_moment(result)
    assert result >= start + dt.timedelta(days=days)
    assert result.tzinfo == calendar.tz


@FAST
@given(calendar=calendars, start=moments, days=st.integers(0, 30))
def test_every_working_day_deadline_is_a_working_moment(calendar, start, days):
    result = calendar.add_working_days(start, days)
    assert calendar.is_working_moment(result)
    assert result >= start


@FAST
@given(calendar=calendars, start=moments)
def test_next_working_moment_is_the_first_one(calendar, start):
    result = calendar.next_working_moment(start)
    assert calendar.is_working_moment(result)
    assert result >= start
    if result != start:
        assert not calendar.is_working_moment(start)
        assert calendar.working_hours_between(start, result) == dt.timedelta(0)


@FAST
@given(calendar=calendars, a=moments, b=moments, c=moments)
def test_working_hours_between_adds_up(calendar, a, b, c):
    a, b, c = sorted((a, b, c))
    whole = calendar.working_hours_between(a, c)
    assert whole == calendar.working_hours_between(a, b) + calendar.working_hours_between(b, c)
    assert whole <= c - a
