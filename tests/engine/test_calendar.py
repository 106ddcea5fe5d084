"""The Lebanese business calendar on real 2026/2027 dates.

Expected deadlines are worked out by hand from the calendar (weekend Saturday–Sunday, the holidays
package's LB holidays), written next to each case; nothing here asks the code under test for them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from engine import calendar
from engine.models import ClosureDay, HolidayOverride

pytestmark = pytest.mark.django_db

BEIRUT = ZoneInfo("Asia/Beirut")


def beirut(*args: int) -> datetime:
    return datetime(*args, tzinfo=BEIRUT)


# --- the holidays the calendar starts from ----------------------------------------------------


def test_lebanese_public_holidays_of_2026_are_known():
    # given the package's holidays for Lebanon, in English
    names = calendar.public_holidays(2026, language="en_US")
    # then the fixed and the estimated ones we count on below are there
    assert names[date(2026, 11, 22)] == "Independence Day"
    assert names[date(2026, 12, 25)] == "Christmas Day"
    assert names[date(2026, 1, 6)] == "Armenian Orthodox Christmas Day"
    assert names[date(2026, 2, 9)] == "Saint Maron's Day"
    assert names[date(2026, 3, 20)] == "Eid al-Fitr (estimated)"
    assert names[date(2026, 5, 27)] == "Eid al-Adha (estimated)"


def test_holiday_names_follow_the_active_language():
    from django.utils import translation

    with translation.override("ar"):
        assert calendar.holiday_name(date(2026, 12, 25)) == "عيد الميلاد"
    with translation.override("en"):
        assert calendar.holiday_name(date(2026, 12, 25)) == "Christmas Day"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 20), True),  # Friday
        (date(2026, 11, 21), False),  # Saturday
        (date(2026, 11, 22), False),  # Sunday, and Independence Day
        (date(2026, 11, 23), True),  # Monday
        (date(2026, 12, 25), False),  # Christmas, a Friday
        (date(2027, 1, 6), False),  # Armenian Christmas, a Wednesday
        (date(2027, 2, 9), False),  # Saint Maron, a Tuesday
        (date(2027, 11, 22), False),  # Independence Day, a Monday
    ],
)
def test_business_days(day, expected):
    assert calendar.is_business_day(day) is expected


# --- adding business days ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "due", "why"),
    [
        (
            beirut(2026, 11, 20, 11, 0),
            5,
            beirut(2026, 11, 27, 16, 0),
            "Fri 20 Nov: Mon 23, Tue 24, Wed 25, Thu 26, Fri 27 (Independence Day is the Sunday 22nd)",
        ),
        (
            beirut(2026, 12, 21, 11, 0),
            5,
            beirut(2026, 12, 29, 16, 0),
            "Mon 21 Dec: Tue 22, Wed 23, Thu 24, (Christmas Fri 25), Mon 28, Tue 29",
        ),
        (
            beirut(2026, 12, 30, 9, 0),
            5,
            beirut(2027, 1, 8, 16, 0),
            "Wed 30 Dec: Thu 31, (New Year Fri 1 Jan), Mon 4, Tue 5, (Armenian Christmas Wed 6), Thu 7, Fri 8",
        ),
        (
            beirut(2027, 2, 5, 15, 30),
            2,
            beirut(2027, 2, 10, 16, 0),
            "Fri 5 Feb 2027: Mon 8, (Saint Maron Tue 9), Wed 10",
        ),
        (
            beirut(2026, 3, 18, 10, 0),
            2,
            beirut(2026, 3, 23, 16, 0),
            "Wed 18 Mar 2026: Thu 19, (Eid al-Fitr, estimated, Fri 20 and Sat 21), Mon 23",
        ),
        (
            beirut(2026, 11, 21, 10, 0),
            1,
            beirut(2026, 11, 23, 16, 0),
            "received on a Saturday: the first day is Monday",
        ),
        (
            beirut(2026, 11, 20, 20, 0),
            1,
            beirut(2026, 11, 23, 16, 0),
            "received Friday evening, after hours: Monday",
        ),
        (beirut(2026, 11, 20, 10, 0), 0, beirut(2026, 11, 20, 16, 0), "zero days: end of the same working day"),
        (beirut(2026, 11, 20, 17, 0), 0, beirut(2026, 11, 23, 16, 0), "zero days after closing: next working day"),
        (beirut(2026, 12, 24, 12, 0), 10, beirut(2027, 1, 12, 16, 0), "Dec 24 + 10: skips Dec 25, Jan 1, Jan 6"),
    ],
)
def test_add_business_days_on_real_dates(start, days, due, why):
    # when
    result = calendar.add_business_days(start, days)
    # then (the deadline is the end of the working day in Beirut)
    assert result == due, why
    assert result.astimezone(BEIRUT).hour == 16


def test_add_business_days_accepts_utc_input_and_counts_in_beirut():
    # given 21:30 UTC on Thursday 19 Nov 2026 is already Friday 20 Nov 00:30 in Beirut (+02:00)
    start = datetime(2026, 11, 19, 22, 30, tzinfo=UTC)
    # then one business day after Friday is Monday 23 Nov at 16:00 Beirut, 14:00 UTC
    assert calendar.add_business_days(start, 1) == datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def test_naive_or_negative_input_is_refused():
    with pytest.raises(ValueError):
        calendar.add_business_days(datetime(2026, 11, 20, 11, 0), 1)  # noqa: DTZ001
    with pytest.raises(ValueError):
        calendar.add_business_days(beirut(2026, 11, 20, 11, 0), -1)


# --- counting business time ------------------------------------------------------------------


def test_business_seconds_between_skip_nights_and_weekends():
    # Fri 20 Nov 11:00 → Mon 23 Nov 10:00: Friday 11–16 (5 h) + Monday 8–10 (2 h)
    assert calendar.business_seconds_between(beirut(2026, 11, 20, 11), beirut(2026, 11, 23, 10)) == 7 * 3600
    # Christmas week: Thu 24 Dec 14:00 → Mon 28 Dec 09:00: Thursday 2 h + Monday 1 h (Christmas Friday)
    assert calendar.business_seconds_between(beirut(2026, 12, 24, 14), beirut(2026, 12, 28, 9)) == 3 * 3600
    assert calendar.business_seconds_between(beirut(2026, 11, 23, 10), beirut(2026, 11, 20, 11)) == 0


def test_business_days_between_counts_whole_days_after_the_first():
    assert calendar.business_days_between(beirut(2026, 11, 20, 11), beirut(2026, 11, 27, 16)) == 5
    assert calendar.business_days_between(beirut(2026, 12, 21, 11), beirut(2026, 12, 29, 9)) == 5
    assert calendar.business_days_between(beirut(2026, 12, 21, 11), beirut(2026, 12, 21, 15)) == 0
    assert calendar.business_days_elapsed(beirut(2026, 11, 20, 8), beirut(2026, 11, 23, 12)) == 1.5


def test_add_business_seconds_carries_over_nights_weekends_and_holidays():
    # Friday 15:00 + 2 working hours → Monday 09:00
    assert calendar.add_business_seconds(beirut(2026, 11, 20, 15), 2 * 3600) == beirut(2026, 11, 23, 9)
    # Thursday 24 Dec 15:00 + 3 h → (Christmas Friday) Monday 28 Dec 10:00
    assert calendar.add_business_seconds(beirut(2026, 12, 24, 15), 3 * 3600) == beirut(2026, 12, 28, 10)
    # before opening, the count starts at 08:00
    assert calendar.add_business_seconds(beirut(2026, 11, 23, 6), 3600) == beirut(2026, 11, 23, 9)
    # a whole working day ends exactly at closing time
    assert calendar.add_business_seconds(beirut(2026, 11, 23, 8), 8 * 3600) == beirut(2026, 11, 23, 16)


# --- daylight saving in Beirut (spring: Sun 29 Mar 2026 00:00 → 01:00; autumn: Sun 25 Oct 2026) ----


def test_deadline_across_spring_daylight_saving_change():
    # given Thursday 26 Mar 2026 10:00 (+02:00), two business days: Fri 27, Mon 30
    start = beirut(2026, 3, 26, 10)
    due = calendar.add_business_days(start, 2)
    # then due Monday 30 Mar at 16:00 local, now +03:00, i.e. 13:00 UTC
    assert due == beirut(2026, 3, 30, 16)
    assert due.astimezone(UTC) == datetime(2026, 3, 30, 13, tzinfo=UTC)
    # and the allowance is Thursday 6 h + Friday 8 h + Monday 8 h, whatever the clocks did on Sunday
    assert calendar.business_seconds_between(start, due) == 22 * 3600
    assert calendar.add_business_seconds(start, 22 * 3600) == due


def test_deadline_across_autumn_daylight_saving_change():
    # Friday 23 Oct 2026 12:00 (+03:00) + 1 business day → Monday 26 Oct 16:00 (+02:00 = 14:00 UTC)
    start = beirut(2026, 10, 23, 12)
    due = calendar.add_business_days(start, 1)
    assert due.astimezone(UTC) == datetime(2026, 10, 26, 14, tzinfo=UTC)
    assert calendar.business_seconds_between(start, due) == 12 * 3600


def test_a_working_day_that_contains_the_change_counts_real_seconds(settings):
    # given a seven-day week whose working day starts at midnight, so Sunday 29 Mar 2026 loses an hour
    settings.ENGINE = {**settings.ENGINE, "WEEKEND": (), "WORKDAY_START": "00:00"}
    # then that Sunday has 15 real working hours (22:00 UTC Saturday to 13:00 UTC Sunday), not 16
    assert calendar.business_seconds_between(beirut(2026, 3, 28, 20), beirut(2026, 3, 29, 16)) == 15 * 3600
    # and one working hour after Saturday's close lands at 02:00 local (+03:00), one real hour into Sunday
    assert calendar.add_business_seconds(beirut(2026, 3, 28, 20), 3600) == datetime(2026, 3, 28, 23, tzinfo=UTC)


def test_a_calendar_with_no_working_day_fails_clearly(settings):
    settings.ENGINE = {**settings.ENGINE, "WEEKEND": (1, 2, 3, 4, 5, 6, 7)}
    with pytest.raises(ValueError):
        calendar.add_business_days(beirut(2026, 11, 20, 11), 1)


# --- administrator closures and overrides -----------------------------------------------------


def test_closure_day_added_by_an_administrator_moves_deadlines_and_deleting_it_restores_them():
    start = beirut(2026, 11, 20, 11)
    assert calendar.add_business_days(start, 5) == beirut(2026, 11, 27, 16)
    # when an administrator closes Monday 23 Nov (a strike)
    closure = ClosureDay.objects.create(date=date(2026, 11, 23), reason="General strike")
    # then the five days are Tue 24, Wed 25, Thu 26, Fri 27, Mon 30
    assert calendar.add_business_days(start, 5) == beirut(2026, 11, 30, 16)
    assert calendar.holiday_name(date(2026, 11, 23)) == "General strike"
    # when the closure is removed
    closure.delete()
    # then the deadline is back to Friday 27
    assert calendar.add_business_days(start, 5) == beirut(2026, 11, 27, 16)


def test_estimated_eid_moved_to_the_announced_dates():
    start = beirut(2026, 3, 18, 10)
    # given the package's estimate (Fri 20 and Sat 21 Mar): Thu 19, Mon 23
    assert calendar.add_business_days(start, 2) == beirut(2026, 3, 23, 16)
    # when the official Eid al-Fitr is announced for Thu 19 and Fri 20
    HolidayOverride.objects.create(estimated_date=date(2026, 3, 20), actual_date=date(2026, 3, 19))
    HolidayOverride.objects.create(estimated_date=date(2026, 3, 21), actual_date=date(2026, 3, 20))
    # then Thu 19 and Fri 20 are off: the two days are Mon 23 and Tue 24
    assert calendar.add_business_days(start, 2) == beirut(2026, 3, 24, 16)
    assert not calendar.is_business_day(date(2026, 3, 19))
    assert calendar.is_business_day(date(2026, 3, 23))
    from django.utils import translation

    with translation.override("en"):
        assert calendar.holiday_name(date(2026, 3, 19)) == "Eid al-Fitr (estimated)"


def test_cancelled_holiday_becomes_a_working_day():
    # given Eid al-Adha estimated Wed 27 and Thu 28 May 2026: Tue 26 + 2 → Fri 29, Mon 1 Jun
    start = beirut(2026, 5, 26, 9)
    assert calendar.add_business_days(start, 2) == beirut(2026, 6, 1, 16)
    # when the administrator cancels the second day
    override = HolidayOverride.objects.create(estimated_date=date(2026, 5, 28), actual_date=None, reason="One day")
    # then Thu 28 counts: Thu 28, Fri 29
    assert calendar.add_business_days(start, 2) == beirut(2026, 5, 29, 16)
    assert calendar.holiday_name(date(2026, 5, 28)) is None
    # and editing the override back to the same date restores the holiday
    override.actual_date = date(2026, 5, 28)
    override.save()
    assert calendar.add_business_days(start, 2) == beirut(2026, 6, 1, 16)


def test_holiday_moved_across_the_new_year():
    # an override may move a holiday into the next year: Thu 31 Dec 2026 declared off instead of Fri 1 Jan
    HolidayOverride.objects.create(estimated_date=date(2027, 1, 1), actual_date=date(2026, 12, 31))
    assert not calendar.is_business_day(date(2026, 12, 31))
    assert calendar.is_business_day(date(2027, 1, 1))


def test_edit_in_another_process_is_seen_through_the_shared_generation(monkeypatch):
    # given this process has the calendar cached
    assert calendar.is_business_day(date(2026, 11, 23))
    # when another process adds a closure (no signal here) and bumps the shared generation
    ClosureDay.objects.bulk_create([ClosureDay(date=date(2026, 11, 23), reason="Storm")])
    assert calendar.is_business_day(date(2026, 11, 23)), "still cached: nothing told this process"
    cache.set(calendar._GENERATION_KEY, "another-process")
    monkeypatch.setattr(calendar, "_RECHECK_SECONDS", 0.0)
    # then this process reloads on its next look
    assert not calendar.is_business_day(date(2026, 11, 23))


def test_invalidation_bumps_the_shared_generation_only_after_commit(django_capture_on_commit_callbacks):
    before = cache.get(calendar._GENERATION_KEY)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ClosureDay.objects.create(date=date(2026, 11, 24), reason="Storm")
        assert cache.get(calendar._GENERATION_KEY) == before
    for callback in callbacks:
        callback()
    assert cache.get(calendar._GENERATION_KEY) != before


# --- properties over many dates -------------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(2026, 1, 1),  # noqa: DTZ001  (hypothesis wants naive bounds with timezones=)
    max_value=datetime(2027, 12, 1),  # noqa: DTZ001
    timezones=st.just(BEIRUT),
).map(lambda moment: moment.replace(second=0, microsecond=0))


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=moments, days=st.integers(min_value=1, max_value=40))
def test_counting_undoes_adding(start, days):
    due = calendar.add_business_days(start, days)
    assert calendar.is_business_day(due.date())
    assert calendar.business_days_between(start, due) == days
    assert (due.date() - start.date()) >= timedelta(days=days)


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=moments, seconds=st.integers(min_value=1, max_value=60 * 8 * 3600))
def test_seconds_between_undoes_adding_seconds(start, seconds):
    end = calendar.add_business_seconds(start, seconds)
    assert calendar.business_seconds_between(start, end) == seconds
