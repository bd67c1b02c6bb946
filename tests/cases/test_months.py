"""Calendar months (cases/months.py): the one module of month arithmetic for cases, recipients and reports."""

from datetime import date

import pytest

from cases.months import add_months, first_of_month, months_between, next_month
from reports.dashboard import month_starts


@pytest.mark.parametrize("day,months,expected", [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),   # clamped to the month's last day
    (date(2028, 1, 31), 1, date(2028, 2, 29)),   # leap year
    (date(2026, 12, 15), 1, date(2027, 1, 15)),  # over the new year
    (date(2026, 1, 1), -1, date(2025, 12, 1)),
    (date(2026, 3, 31), -13, date(2025, 2, 28)),
    (date(2026, 5, 1), 0, date(2026, 5, 1)),
])
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


def test_first_next_and_between():
    assert first_of_month(date(2026, 2, 28)) == date(2026, 2, 1)
    assert next_month(date(2026, 12, 31)) == date(2027, 1, 1)
    assert next_month(date(2026, 1, 31)) == date(2026, 2, 1)
    assert months_between(date(2026, 11, 30), date(2027, 2, 1)) == 3
    assert months_between(date(2026, 3, 1), date(2026, 3, 31)) == 0


def test_the_dashboard_months_run_over_the_new_year():
    assert month_starts(date(2027, 2, 10), 4) == [date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1),
                                                  date(2027, 2, 1)]
