"""The business calendar: working hours, weekends, holidays and DST, for SLA deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forms.calendar import BusinessCalendar, Duration, parse_duration
from forms.config import load_config

MSK = timezone(timedelta(hours=3))  # Europe/Moscow has had no DST since 2014
BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = [0, 1, 2, 3, 4]

CAL = BusinessCalendar.from_config(load_config().sla)
BERLIN_CAL = BusinessCalendar.from_config(
    {"calendar": {"timezone": "Europe/Berlin", "workdays": WEEKDAYS,
                  "start": "08:00", "end": "17:00", "holidays": []}}
)


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK).astimezone(UTC)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)


def d(text: str) -> Duration:
    return parse_duration(text)


# --- durations ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [("24h", 24, "h"), ("4bh", 4, "bh"), ("2bd", 2, "bd"), ("7d", 7, "d"), ("3mo", 3, "mo"),
     ("0h", 0, "h"), (" 15bd ", 15, "bd")],
)
def test_parse_duration_reads_every_unit(text: str, amount: int, unit: str) -> None:
    assert parse_duration(text) == Duration(amount, unit)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text", ["", "4", "h", "4 h", "-1h", "1.5h", "4BH", "4w", "4hours", "bh4", "4bh4"]
)
def test_parse_duration_rejects_bad_text(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_parse_duration_rejects_non_text() -> None:
    with pytest.raises(ValueError):
        parse_duration(24)  # type: ignore[arg-type]


@given(st.integers(0, 10_000), st.sampled_from(["h", "bh", "bd", "d", "mo"]))
def test_duration_text_round_trips(amount: int, unit: str) -> None:
    duration = Duration(amount, unit)  # type: ignore[arg-type]
    assert parse_duration(str(duration)) == duration


# --- configuration -----------------------------------------------------------------------

def test_calendar_comes_from_sla_config() -> None:
    assert CAL.timezone == "Europe/Moscow"
    assert CAL.workdays == frozenset(WEEKDAYS)
    assert CAL.country == "RU"
    assert not CAL.is_working_day(date(2026, 5, 1))
    assert CAL.day_length == timedelta(hours=9)


@pytest.mark.parametrize(
    "change",
    [{"workdays": []}, {"workdays": [7]}, {"start": "17:00", "end": "08:00"},
     {"timezone": "Mars/Olympus"}, {"start": "8am"}, {"holidays": ["1 May"]},
     {"working_dates": ["2026-13-01"]}, {"country": "Atlantis"}, {"country": 7},
     {"country": "RU", "subdivision": "Narnia"}],
)
def test_broken_calendar_config_is_refused(change: dict[str, object]) -> None:
    cal = {"timezone": "Europe/Moscow", "workdays": WEEKDAYS, "start": "08:00", "end": "17:00",
           "holidays": [], **change}
    with pytest.raises(ValueError):
        BusinessCalendar.from_config({"calendar": cal})


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        CAL.add(datetime(2026, 3, 16, 10), d("4bh"))


# --- business hours ----------------------------------------------------------------------

def test_business_hours_continue_next_morning() -> None:
    assert CAL.add(msk(2026, 3, 16, 16), d("4bh")) == msk(2026, 3, 17, 11)


def test_start_before_opening_begins_at_opening() -> None:
    assert CAL.add(msk(2026, 3, 16, 6), d("1bh")) == msk(2026, 3, 16, 9)


def test_start_after_closing_begins_next_opening() -> None:
    assert CAL.add(msk(2026, 3, 16, 18, 30), d("1bh")) == msk(2026, 3, 17, 9)


def test_period_ending_at_closing_is_due_at_closing() -> None:
    assert CAL.add(msk(2026, 3, 16, 8), d("9bh")) == msk(2026, 3, 16, 17)


def test_business_hours_skip_the_weekend() -> None:
    assert CAL.add(msk(2026, 3, 13, 16), d("2bh")) == msk(2026, 3, 16, 9)


def test_result_is_utc() -> None:
    assert CAL.add(msk(2026, 3, 16, 10), d("1bh")).tzinfo is UTC


# --- business days -----------------------------------------------------------------------

def test_one_business_day_from_friday_afternoon_is_monday_same_time() -> None:
    assert CAL.add(msk(2026, 3, 13, 16), d("1bd")) == msk(2026, 3, 16, 16)


def test_one_business_day_from_saturday_is_monday_closing() -> None:
    assert CAL.add(msk(2026, 3, 14, 10), d("1bd")) == msk(2026, 3, 16, 17)


def test_business_days_skip_may_holidays() -> None:
    # 1 May 2026 is a Friday, 11 May a Monday: both days off in sla.json.
    assert CAL.add(msk(2026, 4, 30, 16), d("1bd")) == msk(2026, 5, 4, 16)
    assert CAL.add(msk(2026, 5, 8, 16), d("1bd")) == msk(2026, 5, 12, 16)


def test_business_days_skip_new_year_holidays() -> None:
    # 31 Dec 2026 and 1–8 Jan 2027 are off: the next working day is Monday 11 January.
    assert CAL.add(msk(2026, 12, 30, 16), d("1bd")) == msk(2027, 1, 11, 16)
    assert CAL.add(msk(2026, 12, 30, 16), d("2bd")) == msk(2027, 1, 12, 16)


def test_business_days_equal_whole_days_of_business_hours() -> None:
    start = msk(2026, 3, 18, 11, 15)
    assert CAL.add(start, d("3bd")) == CAL.add(start, d("27bh"))


# --- the national calendar, and the site's own days --------------------------------------

def site_calendar(**change: object) -> BusinessCalendar:
    cal = {"timezone": "Europe/Moscow", "workdays": WEEKDAYS, "start": "08:00",
           "end": "17:00", **change}
    return BusinessCalendar.from_config({"calendar": cal})


def test_a_deadline_in_2028_counts_the_2028_holidays() -> None:
    # No list in the configuration names a 2028 date: 8 March 2028 is a Wednesday off,
    # and 1 and 9 May 2028 (Monday, Tuesday) are off too.
    assert CAL.add(msk(2028, 3, 7, 16), d("1bd")) == msk(2028, 3, 9, 16)
    assert CAL.add(msk(2028, 4, 28, 16), d("1bd")) == msk(2028, 5, 2, 16)
    assert CAL.add(msk(2028, 5, 8, 16), d("1bd")) == msk(2028, 5, 10, 16)
    assert CAL.business_seconds(msk(2028, 5, 1, 0), msk(2028, 5, 8, 0)) == 4 * 9 * 3600


def test_days_off_moved_by_decree_are_off() -> None:
    # The 2027 decree moves Saturday 20 February's day off to Monday 22 February.
    assert not CAL.is_working_day(date(2027, 2, 22))
    assert CAL.add(msk(2027, 2, 19, 16), d("1bd")) == msk(2027, 2, 20, 16)


def test_a_weekend_day_made_working_by_decree_is_working() -> None:
    assert CAL.is_working_day(date(2027, 2, 20))  # a Saturday
    assert CAL.is_working_day(date(2024, 12, 28))
    assert not CAL.is_working_day(date(2027, 2, 27))  # an ordinary Saturday


def test_the_calendar_never_runs_out() -> None:
    for year in (2035, 2050):
        assert not CAL.is_working_day(date(year, 1, 2))
        assert not CAL.is_working_day(date(year, 6, 12))


def test_a_calendar_without_a_country_follows_russia() -> None:
    assert not site_calendar().is_working_day(date(2028, 3, 8))


def test_country_null_means_weekdays_only() -> None:
    assert site_calendar(country=None).is_working_day(date(2028, 3, 8))


def test_the_site_adds_its_own_days_off() -> None:
    cal = site_calendar(holidays=["2028-03-10"])  # a Friday the plant closes
    assert CAL.is_working_day(date(2028, 3, 10))
    assert not cal.is_working_day(date(2028, 3, 10))
    assert cal.add(msk(2028, 3, 7, 16), d("2bd")) == msk(2028, 3, 13, 16)


def test_the_site_removes_a_day_off_by_naming_a_working_date() -> None:
    # A plant that works on 9 January 2026 (a day off moved by decree) and on a Sunday.
    cal = site_calendar(working_dates=["2026-01-09", "2026-03-15"])
    assert cal.is_working_day(date(2026, 1, 9))
    assert cal.is_working_day(date(2026, 3, 15))
    assert not cal.is_working_day(date(2026, 1, 8))
    assert cal.add(msk(2026, 1, 8, 10), d("1bh")) == msk(2026, 1, 9, 9)


def test_another_country_and_subdivision() -> None:
    berlin = site_calendar(timezone="Europe/Berlin", country="DE", subdivision="BE")
    assert not berlin.is_working_day(date(2028, 3, 8))  # Berlin's Women's Day
    assert site_calendar(country="DE").is_working_day(date(2028, 3, 8))


# --- calendar units ----------------------------------------------------------------------

def test_calendar_hours_ignore_working_time() -> None:
    assert CAL.add(msk(2026, 3, 13, 16), d("24h")) == msk(2026, 3, 14, 16)


def test_calendar_days_are_elapsed_days() -> None:
    assert CAL.add(msk(2026, 4, 30, 16), d("7d")) == msk(2026, 5, 7, 16)


def test_months_keep_day_of_month() -> None:
    assert CAL.add(msk(2026, 3, 16, 10), d("3mo")) == msk(2026, 6, 16, 10)


def test_months_clamp_to_month_end() -> None:
    assert CAL.add(msk(2026, 1, 31, 10), d("1mo")) == msk(2026, 2, 28, 10)
    assert CAL.add(msk(2026, 11, 30, 10), d("3mo")) == msk(2027, 2, 28, 10)
    assert CAL.add(msk(2027, 11, 30, 10), d("3mo")) == msk(2028, 2, 29, 10)


def test_months_cross_the_year() -> None:
    assert CAL.add(msk(2026, 12, 15, 10), d("1mo")) == msk(2027, 1, 15, 10)
    assert CAL.subtract(msk(2027, 1, 15, 10), d("1mo")) == msk(2026, 12, 15, 10)


def test_months_are_counted_in_local_time() -> None:
    # 23:30 in Moscow is 20:30 UTC: the local day of month is what counts.
    assert CAL.add(msk(2026, 1, 31, 23, 30), d("1mo")) == msk(2026, 2, 28, 23, 30)


# --- subtract (reminders) ----------------------------------------------------------------

def test_subtract_business_hours_goes_back_over_the_weekend() -> None:
    assert CAL.subtract(msk(2026, 3, 16, 9), d("2bh")) == msk(2026, 3, 13, 16)


def test_subtract_a_whole_day_stops_at_opening() -> None:
    assert CAL.subtract(msk(2026, 3, 16, 17), d("9bh")) == msk(2026, 3, 16, 8)


def test_subtract_calendar_units() -> None:
    due = msk(2026, 3, 16, 9)
    assert CAL.subtract(due, d("2d")) == msk(2026, 3, 14, 9)
    assert CAL.subtract(due, d("5h")) == msk(2026, 3, 16, 4)


# --- end of day, working time, business seconds ------------------------------------------

def test_end_of_day_of_a_working_day_is_its_closing() -> None:
    assert CAL.end_of_day(date(2026, 3, 16)) == msk(2026, 3, 16, 17)


def test_end_of_day_of_a_day_off_is_next_working_closing() -> None:
    assert CAL.end_of_day(date(2026, 3, 14)) == msk(2026, 3, 16, 17)
    assert CAL.end_of_day(date(2026, 5, 1)) == msk(2026, 5, 4, 17)
    assert CAL.end_of_day(date(2026, 12, 31)) == msk(2027, 1, 11, 17)


@pytest.mark.parametrize(
    ("moment", "working"),
    [(msk(2026, 3, 16, 8), True), (msk(2026, 3, 16, 16, 59), True),
     (msk(2026, 3, 16, 17), False), (msk(2026, 3, 16, 7, 59), False),
     (msk(2026, 3, 14, 12), False), (msk(2026, 5, 1, 12), False), (msk(2027, 1, 5, 12), False)],
)
def test_is_working_time(moment: datetime, working: bool) -> None:
    assert CAL.is_working_time(moment) is working


def test_business_seconds_over_a_weekend() -> None:
    assert CAL.business_seconds(msk(2026, 3, 13, 16), msk(2026, 3, 16, 16)) == 9 * 3600


def test_business_seconds_of_a_week_with_a_holiday() -> None:
    # 27 Apr – 3 May 2026: four working days, 1 May is off.
    assert CAL.business_seconds(msk(2026, 4, 27, 0), msk(2026, 5, 4, 0)) == 4 * 9 * 3600


def test_business_seconds_is_antisymmetric() -> None:
    a, b = msk(2026, 3, 13, 16), msk(2026, 3, 16, 16)
    assert CAL.business_seconds(b, a) == -CAL.business_seconds(a, b)
    assert CAL.business_seconds(a, a) == 0


# --- daylight saving time ----------------------------------------------------------------

def test_business_day_across_spring_forward() -> None:
    # Clocks go forward on Sunday 29 March 2026 in Berlin: 15:00 UTC Friday, 14:00 UTC Monday.
    due = BERLIN_CAL.add(berlin(2026, 3, 27, 16), d("1bd"))
    assert due == berlin(2026, 3, 30, 16)
    assert due == datetime(2026, 3, 30, 14, tzinfo=UTC)


def test_business_day_across_fall_back() -> None:
    # Clocks go back on Sunday 25 October 2026.
    assert BERLIN_CAL.add(berlin(2026, 10, 23, 16), d("1bd")) == datetime(
        2026, 10, 26, 15, tzinfo=UTC
    )
    assert BERLIN_CAL.add(berlin(2026, 10, 24, 10), d("1bd")) == datetime(
        2026, 10, 26, 16, tzinfo=UTC
    )


def test_end_of_day_follows_the_local_clock_across_dst() -> None:
    assert BERLIN_CAL.end_of_day(date(2026, 3, 27)) == datetime(2026, 3, 27, 16, tzinfo=UTC)
    assert BERLIN_CAL.end_of_day(date(2026, 3, 28)) == datetime(2026, 3, 30, 15, tzinfo=UTC)


def test_business_seconds_unchanged_by_dst_weekend() -> None:
    for friday, monday in [((2026, 3, 27, 16), (2026, 3, 30, 16)),
                           ((2026, 10, 23, 16), (2026, 10, 26, 16))]:
        assert BERLIN_CAL.business_seconds(berlin(*friday), berlin(*monday)) == 9 * 3600


def test_calendar_hours_are_elapsed_across_dst() -> None:
    # 24 elapsed hours over the short night read 13:00 on the local clock.
    assert BERLIN_CAL.add(berlin(2026, 3, 28, 12), d("24h")) == berlin(2026, 3, 29, 13)
    assert BERLIN_CAL.add(berlin(2026, 3, 27, 12), d("7d")) == berlin(2026, 4, 3, 13)


def test_months_keep_local_wall_time_across_dst() -> None:
    assert BERLIN_CAL.add(berlin(2026, 3, 15, 12), d("1mo")) == berlin(2026, 4, 15, 12)
    assert BERLIN_CAL.add(berlin(2026, 9, 25, 12), d("1mo")) == berlin(2026, 10, 25, 12)


def test_month_landing_in_the_dst_gap_moves_forward() -> None:
    # 02:30 on 29 March 2026 does not exist in Berlin; it reads as 03:30 summer time.
    assert BERLIN_CAL.add(berlin(2026, 1, 29, 2, 30), d("2mo")) == datetime(
        2026, 3, 29, 1, 30, tzinfo=UTC
    )


# --- properties --------------------------------------------------------------------------

calendars = st.sampled_from([CAL, BERLIN_CAL])
moments = st.datetimes(
    min_value=datetime(2025, 12, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
monotone_durations = st.builds(
    Duration, st.integers(0, 120), st.sampled_from(["h", "bh", "bd", "d"])
)


@given(calendars, moments, moments, monotone_durations)
def test_later_start_never_gives_earlier_due(
    cal: BusinessCalendar, a: datetime, b: datetime, duration: Duration
) -> None:
    early, late = sorted([a, b])
    assert cal.add(early, duration) <= cal.add(late, duration)


@given(calendars, moments, st.integers(0, 200), st.integers(0, 200))
def test_business_hours_add_up(cal: BusinessCalendar, start: datetime, a: int, b: int) -> None:
    stepwise = cal.add(cal.add(start, Duration(a, "bh")), Duration(b, "bh"))
    assert stepwise == cal.add(start, Duration(a + b, "bh"))


@given(calendars, moments, st.integers(0, 30), st.integers(0, 30))
def test_business_days_add_up(cal: BusinessCalendar, start: datetime, a: int, b: int) -> None:
    stepwise = cal.add(cal.add(start, Duration(a, "bd")), Duration(b, "bd"))
    assert stepwise == cal.add(start, Duration(a + b, "bd"))


@given(calendars, moments, st.integers(0, 200))
def test_business_hours_measure_back(cal: BusinessCalendar, start: datetime, hours: int) -> None:
    due = cal.add(start, Duration(hours, "bh"))
    assert due >= start
    assert cal.business_seconds(start, due) == hours * 3600


@given(calendars, st.dates(date(2025, 12, 1), date(2027, 12, 31)), st.floats(0, 0.999),
       st.integers(1, 200))
def test_subtract_undoes_add_from_working_time(
    cal: BusinessCalendar, day: date, fraction: float, hours: int
) -> None:
    # Build a moment inside working hours instead of filtering random ones (most are not).
    opening = next(h for d in range(30) if (h := cal.hours_of(day + timedelta(days=d))))
    start = opening[0] + (opening[1] - opening[0]) * fraction
    start = start.replace(microsecond=0)
    assert cal.is_working_time(start)
    assert cal.subtract(cal.add(start, Duration(hours, "bh")), Duration(hours, "bh")) == start


@given(calendars, moments, st.integers(0, 200))
def test_subtract_goes_back_exactly(cal: BusinessCalendar, due: datetime, hours: int) -> None:
    start = cal.subtract(due, Duration(hours, "bh"))
    assert start <= due
    assert cal.business_seconds(start, due) == hours * 3600


@given(calendars, moments)
def test_working_time_is_where_business_seconds_accrue(
    cal: BusinessCalendar, moment: datetime
) -> None:
    tick = timedelta(microseconds=1)
    assert cal.is_working_time(moment) == (cal.business_seconds(moment, moment + tick) > 0)


@given(calendars, st.dates(min_value=date(2025, 12, 1), max_value=date(2027, 12, 31)))
def test_end_of_day_is_a_closing_time(cal: BusinessCalendar, day: date) -> None:
    closing = cal.end_of_day(day)
    assert cal.is_working_time(closing - timedelta(microseconds=1))
    assert not cal.is_working_time(closing)
    assert closing.astimezone(cal.zone).date() >= day
