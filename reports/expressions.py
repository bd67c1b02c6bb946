"""Small SQL helpers shared by the dashboard and the reports."""

from django.conf import settings
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
