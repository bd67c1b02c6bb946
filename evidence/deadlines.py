"""Working-day deadlines for complaints.

Swap this for cases.working_days when the workflow lands: it will keep an admin-editable
holiday table seeded from chinesecalendar (DOMAIN.md). Until then this uses chinesecalendar
directly and, for a year the package does not know, counts weekends only.
"""

import os
from datetime import date, timedelta

import chinese_calendar
from django.conf import settings

DEFAULT_COMPLAINT_WORKING_DAYS = 15


def complaint_working_days() -> int:
    return int(getattr(settings, "COMPLAINT_DEADLINE_WORKING_DAYS",
                       os.environ.get("COMPLAINT_DEADLINE_WORKING_DAYS", DEFAULT_COMPLAINT_WORKING_DAYS)))


def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # the State Council has not published that year's schedule yet
        return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The day on which `days` working days after `start` have passed (start itself not counted)."""
    day = start
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day
