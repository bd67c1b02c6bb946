"""Small SQL helpers shared by the dashboard and the reports."""

from django.conf import settings
from django.db import connections
from django.db.models import Aggregate, FloatField, Func, IntegerField


class DaysBetween(Func):
    """Whole calendar days from the local date of `start` to the local date of `end`."""

    output_field = IntegerField()
    arity = 2

    def as_postgresql(self, compiler, connection, **extra_context):
        tz = settings.TIME_ZONE.replace("'", "")
        start_sql, start_params = compiler.compile(self.source_expressions[0])
        end_sql, end_params = compiler.compile(self.source_expressions[1])
        sql = f"(({end_sql}) AT TIME ZONE '{tz}')::date - (({start_sql}) AT TIME ZONE '{tz}')::date"
        return sql, (*end_params, *start_params)

    def as_sql(self, compiler, connection, **extra_context):
        start_sql, start_params = compiler.compile(self.source_expressions[0])
        end_sql, end_params = compiler.compile(self.source_expressions[1])
        sql = f"CAST(julianday(date({end_sql})) - julianday(date({start_sql})) AS INTEGER)"
        return sql, (*end_params, *start_params)


class Percentile(Aggregate):
    """percentile_cont(p) WITHIN GROUP (ORDER BY expr): PostgreSQL only (None elsewhere)."""

    function = "percentile_cont"
    output_field = FloatField()
    allow_distinct = False

    def __init__(self, expression, fraction: float, **extra):
        self.fraction = float(fraction)
        super().__init__(expression, **extra)

    def as_postgresql(self, compiler, connection, **extra_context):
        expr_sql, expr_params = compiler.compile(self.source_expressions[0])
        sql = f"percentile_cont({self.fraction!r}) WITHIN GROUP (ORDER BY {expr_sql})"
        if self.filter is not None:
            filter_sql, filter_params = compiler.compile(self.filter)
            return f"{sql} FILTER (WHERE {filter_sql})", (*expr_params, *filter_params)
        return sql, expr_params

    def as_sql(self, compiler, connection, **extra_context):
        return "NULL", ()

    def get_group_by_cols(self):
        return []


# A Monday long before any case: weekdays are counted from here in closed form.
_EPOCH_MONDAY = "2000-01-03"


class WorkingDaysBetween(Func):
    """Working days after the local date of `start` up to and including that of `end`.

    Same rule as cases.working_days.working_days_between: Monday-Friday, minus public holidays
    on weekdays, plus swapped working weekend days from the `cases_holiday` table. Weekdays are
    counted in closed form (no generate_series), the exceptions by one index range scan per row.
    PostgreSQL and SQLite (the embedded default); other databases fall back to calendar days.
    """

    output_field = IntegerField()
    arity = 2

    def as_postgresql(self, compiler, connection, **extra_context):
        tz = settings.TIME_ZONE.replace("'", "")
        start_sql, start_params = compiler.compile(self.source_expressions[0])
        end_sql, end_params = compiler.compile(self.source_expressions[1])
        start = f"((({start_sql}) AT TIME ZONE '{tz}')::date + 1)"
        end = f"((({end_sql}) AT TIME ZONE '{tz}')::date + 1)"

        def weekdays_before(day):  # weekdays in [epoch, day)
            offset = f"({day} - DATE '{_EPOCH_MONDAY}')"
            return f"(5 * ({offset} / 7) + LEAST(MOD({offset}, 7), 5))"

        holiday_table = connection.ops.quote_name("cases_holiday")
        exceptions = (
            f"(SELECT COUNT(*) FILTER (WHERE h.kind = 'workday' AND EXTRACT(ISODOW FROM h.date) > 5)"
            f" - COUNT(*) FILTER (WHERE h.kind = 'holiday' AND EXTRACT(ISODOW FROM h.date) < 6)"
            f" FROM {holiday_table} h WHERE h.date >= {start} AND h.date < {end})"
        )
        if start_params or end_params:
            # start and end appear several times in the text: keep them to column references.
            raise ValueError("WorkingDaysBetween takes column references, not parameters")
        return f"({weekdays_before(end)} - {weekdays_before(start)} + {exceptions})", ()

    def as_sqlite(self, compiler, connection, **extra_context):
        """The same count on the embedded default: the local dates through Django's own SQLite date
        function (the time zone's rules, as PostgreSQL's AT TIME ZONE), the weekdays in the same closed
        form, the exceptions from the same table. No `%`: the backend rewrites it when there are params."""
        def local_day_after(expression):  # the local date of the timestamp, plus one day (a 'YYYY-MM-DD' text)
            sql, params = compiler.compile(expression)
            sql, params = connection.ops.datetime_cast_date_sql(sql, tuple(params), settings.TIME_ZONE)
            return f"date({sql}, '+1 day')", tuple(params)

        def days_since_epoch(day):  # whole days from the epoch Monday
            return f"CAST(julianday({day}) - julianday('{_EPOCH_MONDAY}') AS INTEGER)"

        def weekdays_before(day, params):  # weekdays in [epoch, day)
            offset = days_since_epoch(day)
            return f"(5 * ({offset} / 7) + MIN({offset} - 7 * ({offset} / 7), 5))", params * 3

        start, start_params = local_day_after(self.source_expressions[0])
        end, end_params = local_day_after(self.source_expressions[1])
        holiday_table = connection.ops.quote_name("cases_holiday")
        offset = days_since_epoch("h.date")
        weekend = f"({offset} - 7 * ({offset} / 7)) >= 5"
        exceptions = (
            f"(SELECT COALESCE(SUM(CASE WHEN h.kind = 'workday' AND {weekend} THEN 1"
            f" WHEN h.kind = 'holiday' AND NOT {weekend} THEN -1 ELSE 0 END), 0)"
            f" FROM {holiday_table} h WHERE h.date >= {start} AND h.date < {end})"
        )
        end_sql, end_weekday_params = weekdays_before(end, end_params)
        start_sql, start_weekday_params = weekdays_before(start, start_params)
        return (f"({end_sql} - {start_sql} + {exceptions})",
                (*end_weekday_params, *start_weekday_params, *start_params, *end_params))

    def as_sql(self, compiler, connection, **extra_context):
        return DaysBetween(*self.source_expressions).as_sql(compiler, connection, **extra_context)


def working_days_available(using: str = "default") -> bool:
    """True when processing times can be counted in working days in SQL (PostgreSQL and SQLite)."""
    return connections[using].vendor in ("postgresql", "sqlite")


def processing_days(start, end, *, using: str = "default"):
    """Days from `start` to `end`: working days when the calendar is available, else calendar days."""
    if working_days_available(using):
        return WorkingDaysBetween(start, end)
    return DaysBetween(start, end)
