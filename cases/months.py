"""Calendar months as their first day: the unit of payments, gradual exits and review intervals."""

import calendar
from datetime import date


def first_of_month(value: date) -> date:
    return value.replace(day=1)


def add_months(value: date, months: int) -> date:
    """Same day `months` later, clamped to the month's last day (31 Jan + 1 -> 28/29 Feb)."""
    index = value.year * 12 + value.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(value.day, calendar.monthrange(year, month)[1]))


def next_month(value: date) -> date:
    """The first day of the month after `value`'s."""
    return add_months(first_of_month(value), 1)


def months_between(start: date, end: date) -> int:
    """Whole calendar months from start's month to end's month (same month = 0)."""
    return (end.year - start.year) * 12 + end.month - start.month
