"""Working-day deadlines for complaints, on the case workflow's holiday table."""

from datetime import date

from django.conf import settings

from cases.working_days import add_working_days as case_add_working_days


def complaint_working_days() -> int:
    return settings.COMPLAINT_DEADLINE_WORKING_DAYS


def add_working_days(start: date, days: int) -> date:
    """The day on which `days` working days after `start` have passed (start itself not counted).

    The same calendar as case deadlines: the admin-editable holiday table (weekends only for a year
    without a published schedule).
    """
    return case_add_working_days(start, days).date
