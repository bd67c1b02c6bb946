"""Dates of a demo case's steps on the working-day calendar (the holiday table, as deadlines count).

A case's steps (entry, submission, acceptance, two visits, the notice, the decision, an exit) are
laid out around the step pinned to "N working days ago" (or to a date): the steps before it
backwards, the steps after it forwards, each a number of working days after the one before (the
public notice in calendar days). demo.seed.cases replays them through the real transitions, each at its
date (demo.clock.at).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from cases.working_days import Calendar, load_calendar

# A step counted in calendar days rather than working days: the public notice runs 7 calendar days.
CALENDAR_DAYS = "calendar"


@dataclass(frozen=True)
class Step:
    name: str
    gap: int = 0  # working days after the previous step (calendar days when unit is CALENDAR_DAYS)
    ago: int | None = None  # pinned: this many working days before today
    on: date | None = None  # pinned: the working day on or before this date
    unit: str = "working"

    @property
    def pinned(self) -> bool:
        return self.ago is not None or self.on is not None


class Schedule:
    """Lays out steps on one calendar, loaded once (a query) for the demo's whole span."""

    def __init__(self, today: date, span_days: int = 900):
        self.today = today
        self.calendar: Calendar = load_calendar(today - timedelta(days=span_days), today + timedelta(days=60))

    def is_working_day(self, day: date) -> bool:
        return self.calendar.is_working_day(day)

    def back(self, day: date, working_days: int) -> date:
        while working_days > 0:
            day -= timedelta(days=1)
            if self.calendar.is_working_day(day):
                working_days -= 1
        return day

    def forward(self, day: date, working_days: int) -> date:
        while working_days > 0:
            day += timedelta(days=1)
            if self.calendar.is_working_day(day):
                working_days -= 1
        return day

    def working_day_on_or_before(self, day: date) -> date:
        while not self.calendar.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def working_day_on_or_after(self, day: date) -> date:
        while not self.calendar.is_working_day(day):
            day += timedelta(days=1)
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (as cases.working_days counts them)."""
        return sum(1 for n in range(1, (end - start).days + 1) if self.calendar.is_working_day(start + timedelta(n)))

    def ago(self, working_days: int) -> date:
        return self.back(self.working_day_on_or_before(self.today), working_days)

    def pinned_date(self, step: Step) -> date:
        if step.on is not None:
            return self.working_day_on_or_before(min(step.on, self.today))
        return self.ago(step.ago)

    def dates(self, steps: list[Step]) -> dict[str, date]:
        """{step name: date}; raises ValueError when the steps would not be in order or end after today."""
        first = next(i for i, s in enumerate(steps) if s.pinned)
        out: list[date] = [self.pinned_date(steps[first])] * len(steps)
        for i in range(first - 1, -1, -1):
            step = steps[i + 1]
            if step.unit == CALENDAR_DAYS:
                # Nobody opens a notice on a holiday: the step before moves to a working day, back
                # before the holiday, or after it when that still ends the notice before the step that
                # follows it (moved back over a long holiday, the notice would end weeks before the
                # decision pinned after it, past the decision's time limit).
                day = out[i + 1] - timedelta(days=step.gap)
                later = self.working_day_on_or_after(day)
                follows = out[i + 2] if i + 2 < len(steps) else None
                if follows is not None and later != day and later + timedelta(days=step.gap) < follows:
                    out[i] = later
                else:
                    out[i] = self.working_day_on_or_before(day)
            else:
                out[i] = self.back(out[i + 1], step.gap)
        for i in range(1, len(steps)):
            step = steps[i]
            if step.unit == CALENDAR_DAYS:
                # Exactly `gap` days after the step before (the notice ends when its days are over),
                # even when pinned: at most a few days earlier than the pin, never later.
                out[i] = out[i - 1] + timedelta(days=step.gap)
            elif i > first:
                out[i] = self.pinned_date(step) if step.pinned else self.forward(out[i - 1], step.gap)
        result = {s.name: d for s, d in zip(steps, out, strict=True)}
        if out != sorted(out) or out[-1] > self.today:
            raise ValueError(f"demo schedule out of order or in the future: {result}")
        return result
