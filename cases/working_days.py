"""Working days under the Chinese public-holiday calendar, with swapped working weekends.

The `Holiday` table (admin-editable, seeded from chinesecalendar) lists only the exceptions to
Monday-Friday: public holidays and weekend days that are worked. A year with no row in the table
has no published schedule yet: we count weekends only and say so (`uncertain`), so the deadline
can be shown with a warning.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar

from cases.models import Holiday

# Far enough for 45 working days plus the longest holiday run.
_SPAN_DAYS = 120


def holiday_rows_from_package() -> list[tuple[date, str, str]]:
    """(date, kind, name) rows for every exception the chinesecalendar package knows."""
    rows = [(d, "holiday", str(getattr(name, "value", name) or "")[:50]) for d, name in chinese_calendar.holidays.items()]
    rows += [(d, "workday", str(getattr(name, "value", name) or "")[:50]) for d, name in chinese_calendar.workdays.items()]
    return sorted(rows)


def seed_holidays(model=None) -> int:
    """Add the package's rows missing from the table (admin edits are kept). Returns rows added."""
    model = model or Holiday
    existing = set(model.objects.values_list("date", flat=True))
    rows = [model(date=d, kind=kind, name=name) for d, kind, name in holiday_rows_from_package() if d not in existing]
    model.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


@dataclass(frozen=True)
class Calendar:
    """The exceptions for a date range, loaded in one query."""

    exceptions: dict
    known_years: frozenset

    def is_working_day(self, day: date) -> bool:
        kind = self.exceptions.get(day)
        if kind == "workday":
            return True
        if kind == "holiday":
            return False
        return day.weekday() < 5

    def knows(self, day: date) -> bool:
        return day.year in self.known_years


def load_calendar(start: date, end: date, *, using: str = "default") -> Calendar:
    rows = list(Holiday.objects.using(using).filter(date__year__gte=start.year, date__year__lte=end.year)
                .values_list("date", "kind"))
    # A year is known when the table has any row for it (every year has Spring Festival days).
    known = {d.year for d, _kind in rows}
    exceptions = {d: kind for d, kind in rows if start <= d <= end}
    return Calendar(exceptions=exceptions, known_years=frozenset(known))


@dataclass(frozen=True)
class Deadline:
    date: date
    uncertain: bool  # a year on the way has no holiday schedule in the table


def add_working_days(start: date, days: int, *, calendar: Calendar | None = None) -> Deadline:
    """The date `days` working days after `start` (start itself not counted)."""
    calendar = calendar or load_calendar(start, start + timedelta(days=_SPAN_DAYS + days * 2))
    current, counted, uncertain = start, 0, False
    while counted < days:
        current += timedelta(days=1)
        if not calendar.knows(current):
            uncertain = True
        if calendar.is_working_day(current):
            counted += 1
    return Deadline(date=current, uncertain=uncertain)


def working_days_between(start: date, end: date, *, calendar: Calendar | None = None) -> int:
    """Working days after `start` up to and including `end` (negative when end is earlier)."""
    if end < start:
        return -working_days_between(end, start, calendar=calendar)
    calendar = calendar or load_calendar(start, end)
    return sum(1 for offset in range(1, (end - start).days + 1)
               if calendar.is_working_day(start + timedelta(days=offset)))


def working_day_numbers(first: date, last: date, *, calendar: Calendar) -> dict[date, int]:
    """Each day from `first` to `last` -> the working days after `first` up to it: the working days
    between two of those days are the difference of their numbers (one pass for many spans)."""
    numbers, running, day = {}, 0, first
    while day <= last:
        if day > first and calendar.is_working_day(day):
            running += 1
        numbers[day] = running
        day += timedelta(days=1)
    return numbers
