"""The demo's clock: run a step of the demo history as if it were another day.

The demo builders (`demo/seed/<app>.py`) call the real services, which stamp `timezone.now()` and
`timezone.localdate()` on what they write (created, submitted, accepted and decided times, visit
and notice dates, the audit events behind every timeline). `at(day)` moves the clock to a working
hour of that day for one step, so the demo's history has the dates it would have had.
"""

import contextlib
from datetime import date, datetime, time, timedelta

import time_machine
from django.utils import timezone

from cases.months import add_months, first_of_month

# The demo county "went live" this many months ago: its household register was entered then,
# before the oldest demo application.
GO_LIVE_MONTHS = 26


@contextlib.contextmanager
def at(day: date, minute: int = 0):
    """Run the block as if it were `day`, 09:00 (+ `minute`) local time; never later than now."""
    with _travel(timezone.make_aware(datetime.combine(day, time(9, 0)) + timedelta(minutes=minute))):
        yield


@contextlib.contextmanager
def after(moment: datetime, minutes: int):
    """Run the block `minutes` after `moment` (e.g. a document uploaded once the case was entered)."""
    with _travel(moment + timedelta(minutes=minutes)):
        yield


def _travel(moment: datetime):
    return time_machine.travel(min(moment, timezone.now() - timedelta(seconds=1)), tick=False)


def go_live_date(today: date) -> date:
    """A weekday early in the month GO_LIVE_MONTHS before `today`."""
    day = add_months(first_of_month(today), -GO_LIVE_MONTHS).replace(day=6)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day
