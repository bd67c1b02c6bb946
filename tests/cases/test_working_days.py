"""Working days across the 2025 National Day holiday, checked against chinesecalendar."""

from datetime import date, timedelta

import chinese_calendar
import pytest

from cases.models import Holiday
from cases.working_days import add_working_days, load_calendar, working_day_numbers, working_days_between

pytestmark = pytest.mark.django_db


def test_table_seeded_from_the_package():
    assert Holiday.objects.get(date=date(2025, 10, 1)).kind == "holiday"
    assert Holiday.objects.get(date=date(2025, 9, 28)).kind == "workday"  # Sunday worked
    assert Holiday.objects.get(date=date(2025, 10, 11)).kind == "workday"  # Saturday worked
    assert Holiday.objects.filter(date__year=2004).exists() and Holiday.objects.filter(date__year=2026).exists()


def test_across_national_day_2025():
    # Fri 26 Sep + 1 = Sun 28 Sep (swapped working day)
    assert add_working_days(date(2025, 9, 26), 1).date == date(2025, 9, 28)
    # Tue 30 Sep + 1: Oct 1-8 off -> Thu 9 Oct
    assert add_working_days(date(2025, 9, 30), 1).date == date(2025, 10, 9)
    # 9, 10, 11 (Sat worked), 13
    assert add_working_days(date(2025, 9, 30), 4).date == date(2025, 10, 13)
    assert working_days_between(date(2025, 9, 26), date(2025, 10, 12)) == 6  # 28, 29, 30 Sep, 9, 10, 11 Oct


def test_day_numbers_give_the_working_days_between_any_two_days():
    first, last = date(2025, 9, 20), date(2025, 10, 20)
    numbers = working_day_numbers(first, last, calendar=load_calendar(first, last))
    assert numbers[date(2025, 10, 12)] - numbers[date(2025, 9, 26)] == 6  # as test_across_national_day_2025
    assert numbers[date(2025, 10, 8)] - numbers[date(2025, 9, 30)] == 0  # the holiday week
    days = [first + timedelta(days=n) for n in range(0, 31, 3)]
    assert all(numbers[b] - numbers[a] == working_days_between(a, b) for a in days for b in days if a <= b)


def test_matches_chinesecalendar_for_30_working_days():
    start = date(2025, 9, 15)
    expected, day, counted = None, start, 0
    while counted < 30:
        day += timedelta(days=1)
        if chinese_calendar.is_workday(day):
            counted += 1
    expected = day
    result = add_working_days(start, 30)
    assert result.date == expected and not result.uncertain
    assert working_days_between(start, expected) == 30


def test_year_without_schedule_counts_weekends_only_and_warns():
    result = add_working_days(date(2027, 9, 30), 1)
    assert result.date == date(2027, 10, 1) and result.uncertain
    # Friday 31 Dec 2026 + 1 crosses into the unknown year
    assert add_working_days(date(2026, 12, 31), 1).uncertain
    assert not add_working_days(date(2026, 6, 1), 5).uncertain


def test_admin_edits_change_the_count():
    Holiday.objects.create(date=date(2027, 10, 1), kind="holiday", name="国庆节")
    result = add_working_days(date(2027, 9, 30), 1)
    assert result.date == date(2027, 10, 4) and not result.uncertain
