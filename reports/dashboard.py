"""Dashboard figures: aggregate SQL grouped on division-code prefixes.

For the division being looked at, every figure is one GROUP BY over Substr(division_code, 1, n)
where n is the prefix length of the level below, so the number of queries is the same whether
the division has 3 villages or 300. All reads go to `reporting_db()` (the replica when set).

The cases are read once, whatever the size: grouped by (division code, status, month submitted,
month decided, month closed, overdue, staff-relative, start day and decision day of the cases
decided in the window) for every count, sum, the monthly series and the processing-time
percentiles (case_figures, span_percentiles). Where the database has no time-zone arithmetic (SQLite,
the embedded default) the decided cases' days are read in a second query and counted in Python: the
same working days and percentiles as PostgreSQL.

The figures of each division code are cached under the version of its data (leaf_figures;
reports/changes.py: database triggers count every write to the cases), so a view reads only the
codes whose cases changed since they were last computed and adds up the rest from the cache: the
same figures as a full pass, exactly. At 300,000 cases in one county (benchmarks/dashboard.py) a
full pass takes 0.5-1.1 s (depending on machine load); a view after a change in one village
recomputes that village only.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.db.models import BooleanField, Count, DateField, F, Func, IntegerField, Q, Sum, Value, When
from django.db.models import Case as CaseWhen
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.divisions import ancestor_code
from accounts.models import LEVEL_ORDER, LEVEL_PREFIX_LENGTH, Division, Level
from cases.models import (
    APPROVED_STATES,
    DECIDED_STATES,
    PAID_STATES,
    PENDING_STATES,
    SUBMITTED_PENDING_STATES,
    Case,
    CaseStatus,
)
from cases.months import add_months, first_of_month, next_month
from cases.working_days import load_calendar, working_day_numbers
from dibao.cache import cache_get_many, cache_set_many
from dibao.db_router import reporting_db
from reports import changes
from reports.findings import finding_figures
from reports.payments import payment_figures

MONTHS_SHOWN = 12


@dataclass
class DashboardScope:
    """Where the dashboard looks: a division (None = the whole country, admins only)."""

    division: Division | None
    children: list[Division]
    child_level: str | None
    child_prefix_length: int
    breadcrumbs: list[Division] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return self.division.prefix if self.division else ""


def month_starts(today: date, count: int = MONTHS_SHOWN) -> list[date]:
    """The first days of the `count` months up to today's, oldest first."""
    return [add_months(first_of_month(today), -back) for back in reversed(range(count))]


def _aware(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def build_scope(division: Division | None, *, using: str) -> DashboardScope:
    if division is None:
        children = list(Division.objects.using(using).filter(level=Level.PROVINCE).order_by("code"))
        return DashboardScope(None, children, Level.PROVINCE, LEVEL_PREFIX_LENGTH[Level.PROVINCE])
    index = LEVEL_ORDER.index(division.level)
    ancestor_codes = [ancestor_code(division.code, level) for level in LEVEL_ORDER[:index]]
    if division.level == Level.VILLAGE:
        child_level, length = None, 12
        children = []
        breadcrumbs = list(Division.objects.using(using).filter(code__in=ancestor_codes).order_by("code"))
    else:
        child_level = LEVEL_ORDER[index + 1]
        length = LEVEL_PREFIX_LENGTH[child_level]
        # One query for both the children and the breadcrumb ancestors.
        rows = list(Division.objects.using(using).filter(Q(parent_id=division.pk) | Q(code__in=ancestor_codes))
                    .order_by("code"))
        children = [d for d in rows if d.parent_id == division.pk]
        breadcrumbs = [d for d in rows if d.code in ancestor_codes]
    return DashboardScope(division, children, child_level, length, breadcrumbs)


def _group(scope: DashboardScope, field_name: str = "division_code"):
    return Substr(field_name, 1, scope.child_prefix_length)


def _ratio(numerator, denominator):
    if not denominator:
        return None
    return round(float(numerator) / float(denominator) * 100, 2)


def _persons():
    return CaseWhen(When(individual_member__isnull=False, then=Value(1)), default=F("household__size"),
                    output_field=IntegerField())


def month_index(field_name: str, months: list[date]):
    """The month of a timestamp as an index into the months shown, found by comparison with the
    local month boundaries (the instants _aware(month) gives).

    0 is the first month shown; every earlier month is -1 and every later one len(months), so the
    cases collapse into few groups while each comparison with a month boundary stays exact:
    `x >= start of month i` is `index >= i` and `x < start of month i+1` is `index <= i`.
    NULL stays NULL.
    """
    whens = [When(**{f"{field_name}__isnull": True}, then=Value(None)),
             When(**{f"{field_name}__lt": _aware(months[0])}, then=Value(-1))]
    for index, month in enumerate(months):
        whens.append(When(**{f"{field_name}__lt": _aware(next_month(month))}, then=Value(index)))
    return CaseWhen(*whens, default=Value(len(months)), output_field=IntegerField())


def case_figures(scope: DashboardScope, *, today: date, since: date, using: str,
                 months: list[date] | None = None) -> dict[str, dict]:
    """Per child prefix: recipients, pending, overdue, decisions, staff-relative, benefit sums,
    and (key "series") the child's month-by-month applications, decisions and recipients.

    The sum of the figures of every division code under the child (leaf_figures: cached per code,
    recomputed only for the codes whose cases changed); counts and sums add up exactly.
    `since` is the first of `months` (a month boundary).
    """
    months = months or month_starts(today)
    if since != months[0]:
        raise ValueError("since must be the first month shown")
    result: dict[str, dict] = {}
    for code, figures in leaf_figures(scope.prefix, today=today, months=months, using=using).items():
        g = code[:scope.child_prefix_length]
        if g not in result:
            result[g] = _empty_figures(len(months))
        _add_figures(result[g], figures)
    return result


def _empty_figures(count: int) -> dict:
    return {
        "recipient_households": 0, "recipient_persons": 0, "benefit_total": None, "pending": 0,
        "overdue": 0, "staff_relative": 0, "applications": 0, "approved": 0, "rejected": 0,
        "series": [{"applications": 0, "approved": 0, "rejected": 0, "recipient_households": 0,
                    "recipient_persons": 0} for _month in range(count)],
        "spans": {},
    }


def _add_figures(into: dict, figures: dict) -> None:
    for name, value in figures.items():
        if name == "series":
            for target, month in zip(into["series"], value, strict=True):
                for key, n in month.items():
                    target[key] += n
        elif name == "spans":
            for key, n in value.items():
                into["spans"][key] = into["spans"].get(key, 0) + n
        elif name == "benefit_total":
            if value is not None:
                into[name] = (into[name] or 0) + value
        else:
            into[name] += value


# Cached figures are valid for one day (the overdue flag and the months shown follow today), one
# time zone, and this module's rules: its source and the state groups it counts are in the key.
FIGURES_FORMAT = hashlib.sha256(Path(__file__).read_bytes() + repr(
    (PAID_STATES, PENDING_STATES, APPROVED_STATES)).encode()).hexdigest()[:12]
FIGURES_SECONDS = 36 * 3600


def leaf_figures(prefix: str, *, today: date, months: list[date], using: str) -> dict[str, dict]:
    """case_figures per division code of the cases under the prefix (the villages).

    Each code's figures are cached under its data version (reports.changes: triggers count every
    write to the cases of the code and to their households' sizes): a code whose version is
    unchanged since it was computed (today, for these months) comes from the cache, the others are
    recomputed in one grouped pass. A result is stored only if the code's version read after the
    computation is still the one read before, so a stored entry holds exactly its version's figures.
    Codes with changes not committed yet by the reading transaction itself are always computed and
    never stored. Where there are no triggers (SQLite) every view computes.
    """
    spans = True  # on PostgreSQL in the grouped SQL, elsewhere from the decided cases in Python
    found = changes.code_versions(prefix, using=using)
    if found is None:
        return _grouped_figures(Q(division_code__startswith=prefix), today=today, months=months, using=using,
                                spans=spans)
    context = f"{today}:{months[0]}:{len(months)}:{settings.TIME_ZONE}:{int(spans)}:{FIGURES_FORMAT}"
    usable = changes.TRUNCATED not in found.own
    database = "-".join(map(str, found.database))
    keys = {code: f"reports:cases:{database}:{code}:{version[0]}-{version[1]}:{context}"
            for code, version in found.codes.items() if usable and code not in found.own}
    cached = cache_get_many(keys.values())
    result = {code: cached[key] for code, key in keys.items() if key in cached}
    missing = [code for code in found.codes if code not in result]
    if found.codes and not missing:
        return {code: figures for code, figures in result.items() if figures}
    # Few codes changed: read only theirs. Most (a cold cache): one pass under the prefix, which
    # also finds any code without a version row (computed, never cached).
    where = (Q(division_code__in=missing) if found.codes and len(missing) * 2 <= len(found.codes)
             else Q(division_code__startswith=prefix))
    fresh = _grouped_figures(where, today=today, months=months, using=using, spans=spans)
    result.update(fresh)
    storable = [code for code in missing if code in keys]
    if storable:
        after = changes.code_versions(prefix, using=using)
        if after.database == found.database:
            cache_set_many({keys[code]: fresh.get(code, {}) for code in storable
                            if after.codes.get(code) == found.codes[code]}, FIGURES_SECONDS)
    return {code: figures for code, figures in result.items() if figures}


def warm_case_figures(today: date | None = None) -> int:
    """Compute and cache every county's case figures for today (the nightly task, so that the first
    dashboard of the day does not wait for a cold pass). Returns the number of counties."""
    using = reporting_db()
    today = today or timezone.localdate()
    months = month_starts(today)
    counties = list(Division.objects.using(using).filter(level=Level.COUNTY).order_by("code"))
    for county in counties:
        leaf_figures(county.prefix, today=today, months=months, using=using)
    return len(counties)


def _grouped_figures(where: Q, *, today: date, months: list[date], using: str, spans: bool) -> dict[str, dict]:
    """The figures per division code of the cases matching `where`, in one pass: the cases are
    grouped by (code, status, month submitted, month decided, month closed, overdue,
    staff-relative, and the start and decision days of the cases decided in the window) with
    counts and sums - bounded by codes x statuses x months, not by cases - and every figure is a
    sum over those groups."""
    since = months[0]
    span_fields = {}
    decided = (Q(decided_at__gte=_aware(since), status__in=DECIDED_STATES)
               & ~Q(accepted_at__isnull=True, submitted_at__isnull=True))
    in_sql = spans and connections[using].vendor == "postgresql"
    if in_sql:
        # The local start and decision days of the cases decided since `since` (the processing
        # times; see processing_figures), so that no second scan of the cases is needed.

        tz = settings.TIME_ZONE.replace("'", "")
        span_fields = {
            "start_day": CaseWhen(When(decided, then=LocalDate(Coalesce(F("accepted_at"), F("submitted_at")), tz=tz)),
                                  default=Value(None), output_field=DateField()),
            "end_day": CaseWhen(When(decided, then=LocalDate(F("decided_at"), tz=tz)),
                                default=Value(None), output_field=DateField()),
        }
    qs = (Case.objects.using(using).filter(where)
          .annotate(sm=month_index("submitted_at", months), dm=month_index("decided_at", months),
                    cm=month_index("closed_at", months),
                    late=CaseWhen(When(deadline__lt=today, then=Value(True)), default=Value(False),
                                  output_field=BooleanField()),
                    **span_fields)
          .values("division_code", "status", "sm", "dm", "cm", "late", "staff_relative", *span_fields)
          .annotate(n=Count("id"), persons=Sum(_persons()), amount=Sum("monthly_amount"))
          .order_by())
    count = len(months)
    result: dict[str, dict] = {}
    for row in _planned_rows(qs, using):
        figures = result.get(row["division_code"])
        if figures is None:
            figures = result[row["division_code"]] = _empty_figures(count)
        if row.get("start_day") is not None:
            key = (row["start_day"], row["end_day"])
            figures["spans"][key] = figures["spans"].get(key, 0) + row["n"]
        status, n, persons = row["status"], row["n"], row["persons"] or 0
        sm, dm, cm = row["sm"], row["dm"], row["cm"]
        series = figures["series"]
        if status in PAID_STATES:
            figures["recipient_households"] += n
            figures["recipient_persons"] += persons
            if row["amount"] is not None:
                figures["benefit_total"] = (figures["benefit_total"] or 0) + row["amount"]
        if status in SUBMITTED_PENDING_STATES:
            figures["pending"] += n
            if row["late"]:
                figures["overdue"] += n
        if row["staff_relative"] and status in SUBMITTED_PENDING_STATES + PAID_STATES:
            figures["staff_relative"] += n
        if sm is not None and sm >= 0:
            figures["applications"] += n
            if sm < count:
                series[sm]["applications"] += n
        if dm is not None and dm >= 0:
            if status in APPROVED_STATES:
                figures["approved"] += n
                if dm < count:
                    series[dm]["approved"] += n
            elif status == CaseStatus.REJECTED:
                figures["rejected"] += n
                if dm < count:
                    series[dm]["rejected"] += n
        if status in APPROVED_STATES and dm is not None:
            # A recipient at the end of month i: decided before month i ended, not closed by then.
            last = count - 1 if cm is None else min(cm - 1, count - 1)
            for index in range(max(dm, 0), last + 1):
                series[index]["recipient_households"] += n
                series[index]["recipient_persons"] += persons
    if spans and not in_sql:
        _python_spans(result, where & decided, count=count, using=using)
    return result


def _python_spans(result: dict[str, dict], where: Q, *, count: int, using: str) -> None:
    """The (start day, decision day) spans of the decided cases where the database has no time-zone
    arithmetic (SQLite): the local dates are taken in Python, one row per decided case of the window
    (the embedded default holds few), so the percentiles are the same as PostgreSQL's."""
    tz = timezone.get_current_timezone()
    rows = (Case.objects.using(using).filter(where)
            .values_list("division_code", "accepted_at", "submitted_at", "decided_at").order_by())
    for code, accepted_at, submitted_at, decided_at in rows:
        start = timezone.localtime(accepted_at or submitted_at, tz).date()
        key = (start, timezone.localtime(decided_at, tz).date())
        figures = result.get(code)
        if figures is None:
            figures = result[code] = _empty_figures(count)
        figures["spans"][key] = figures["spans"].get(key, 0) + 1


# The planner cannot estimate how few groups the month indexes make (it expects ~100k), so it
# would sort every case (spilling to disk) instead of hashing into a few hundred groups, and its
# cost estimate passes the JIT threshold: JIT compilation (about half a second at 300,000 cases)
# costs more than the whole scan. Measured at 300,000 cases: 1.3 s -> 0.6 s for the grouped pass.
PLANNER_SETTINGS = "SET LOCAL jit = off; SET LOCAL enable_sort = off; "


def _planned_rows(qs, using: str) -> list[dict]:
    """The rows of a .values() aggregate queryset; on PostgreSQL with JIT off for that statement.

    See PLANNER_SETTINGS. SET LOCAL sent in the same query string lasts only for that implicit
    transaction (or the surrounding one, when there is one); it changes plans, never results.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return list(qs)
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(PLANNER_SETTINGS + sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def span_percentiles(by_case: dict[str, dict], *, using: str) -> tuple[dict, dict]:
    """The working-day percentiles from case_figures' (start day, decision day) -> count spans.

    The days from the earliest start to the latest decision are numbered by cases.working_days (a
    running count of working days); a span's working days are the difference of its two numbers.
    """
    spans = [(g, start, end, n) for g, figures in by_case.items() for (start, end), n in figures["spans"].items()]
    histograms: dict[str, dict[int, int]] = {}
    overall_histogram: dict[int, int] = {}
    first = min((start for _g, start, _end, _n in spans), default=date.today())
    last = max((end for _g, _start, end, _n in spans), default=first)
    # Always one query (the query count must not depend on the data).
    ordinal = working_day_numbers(first, last, calendar=load_calendar(first, last, using=using))
    if spans:
        for g, start, end, n in spans:
            days = ordinal[end] - ordinal[start]
            histogram = histograms.setdefault(g, {})
            histogram[days] = histogram.get(days, 0) + n
            overall_histogram[days] = overall_histogram.get(days, 0) + n
    per_child = {g: _histogram_percentiles(h) for g, h in histograms.items()}
    return per_child, _histogram_percentiles(overall_histogram)


def _histogram_percentiles(histogram: dict[int, int]) -> dict:
    """percentile_cont(0.5) and (0.9) of the values a histogram describes (same as PostgreSQL's)."""
    total = sum(histogram.values())
    if not total:
        return {"median": None, "p90": None, "decided": 0}
    values = sorted(histogram.items())

    def value_at(index: int) -> float:
        seen = 0
        for value, count in values:
            seen += count
            if index < seen:
                return float(value)
        return float(values[-1][0])

    def cont(fraction: float) -> float:
        position = fraction * (total - 1)
        low = int(position)
        low_value = value_at(low)
        high_value = value_at(min(low + 1, total - 1))
        return low_value + (high_value - low_value) * (position - low)

    return {"median": cont(0.5), "p90": cont(0.9), "decided": total}


class LocalDate(Func):
    """The local calendar date of a timestamptz (PostgreSQL)."""

    output_field = DateField()

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(({sql}) AT TIME ZONE '{self.extra['tz']}')::date", params


def population_figures(scope: DashboardScope, *, using: str) -> dict[str, int]:
    """Rural population per child: the sum of the village populations below it (each person once)."""
    qs = (Division.objects.using(using).filter(level=Level.VILLAGE, code__startswith=scope.prefix)
          .annotate(g=Substr("code", 1, scope.child_prefix_length)).values("g")
          .annotate(population=Sum("population")).order_by())
    return {row["g"]: row["population"] or 0 for row in qs}


def monthly_series(scope: DashboardScope, months: list[date], *, using: str,
                   by_case: dict[str, dict] | None = None) -> dict:
    """Applications in, decisions and recipients at each month's end, for the whole division:
    the sum of its children's series from case_figures (every case under the prefix falls in
    exactly one child group)."""
    if by_case is None:
        by_case = case_figures(scope, today=timezone.localdate(), since=months[0], using=using, months=months)
    rows = []
    for index, month in enumerate(months):
        row = {"month": month, "label": month.strftime("%Y-%m"), "applications": 0, "approved": 0, "rejected": 0,
               "recipient_households": 0, "recipient_persons": 0}
        for figures in by_case.values():
            for name, value in figures["series"][index].items():
                row[name] += value
        rows.append(row)
    return {"rows": rows}


def dashboard_data(division: Division | None, *, today: date | None = None) -> dict:
    """Every figure of the dashboard for one division (already checked to be in the user's scope)."""
    using = reporting_db()
    today = today or timezone.localdate()
    months = month_starts(today)
    since = months[0]
    scope = build_scope(division, using=using)
    by_case = case_figures(scope, today=today, since=since, using=using, months=months)
    by_time, time_overall = span_percentiles(by_case, using=using)
    population = population_figures(scope, using=using)
    series = monthly_series(scope, months, using=using, by_case=by_case)
    payments = payment_figures(scope, months, using=using, group=_group)
    findings = finding_figures(scope, using=using, group=_group)

    units = scope.children if scope.children else ([scope.division] if scope.division else [])
    empty = {"recipient_households": 0, "recipient_persons": 0, "benefit_total": None, "pending": 0, "overdue": 0,
             "staff_relative": 0, "applications": 0, "approved": 0, "rejected": 0}
    rows = []
    totals = {k: 0 for k in empty if k != "benefit_total"}
    totals["benefit_total"] = Decimal("0")
    totals["population"] = 0
    for unit in units:
        g = unit.code[:scope.child_prefix_length]
        figures = dict(empty, **by_case.get(g, {}))
        figures.pop("series", None)
        figures.pop("spans", None)
        pop = population.get(g, 0)
        t = by_time.get(g, {})
        row = {
            "division": unit, "code": unit.code, "name": unit.name, **figures, "population": pop,
            # The case and finding lists filter by village only: link a village row to its own list.
            "village_code": unit.code if unit.level == Level.VILLAGE else "",
            "coverage": _ratio(figures["recipient_persons"], pop),
            "approval_rate": _ratio(figures["approved"], figures["approved"] + figures["rejected"]),
            "average_benefit": (figures["benefit_total"] / figures["recipient_households"]
                                if figures["recipient_households"] and figures["benefit_total"] is not None else None),
            "median_days": t.get("median"), "p90_days": t.get("p90"),
            "paid": payments["by_child"].get(g),
            "open_findings": findings["by_child"].get(g, 0),
        }
        rows.append(row)
        for k in totals:
            if k == "benefit_total":
                totals[k] += figures["benefit_total"] or 0
            elif k == "population":
                totals[k] += pop
            else:
                totals[k] += figures[k]
    totals["coverage"] = _ratio(totals["recipient_persons"], totals["population"])
    totals["approval_rate"] = _ratio(totals["approved"], totals["approved"] + totals["rejected"])
    totals["average_benefit"] = (totals["benefit_total"] / totals["recipient_households"]
                                 if totals["recipient_households"] else None)
    totals["median_days"] = time_overall.get("median")
    totals["p90_days"] = time_overall.get("p90")
    totals["decided"] = time_overall.get("decided")
    return {
        "village_code": division.code if division is not None and division.level == Level.VILLAGE else "",
        "scope": scope, "today": today, "months": months, "since": since, "rows": rows, "totals": totals,
        "series": series, "payments": payments, "findings": findings,
        # Working days and percentiles on every database: SQL on PostgreSQL, Python elsewhere.
        "working_days": True,
        "percentiles_supported": True,
    }


def chart_payload(data: dict) -> dict:
    """What reports.js draws; numbers only (the page shows the same numbers as tables)."""
    series = data["series"]["rows"]
    payload = {
        "months": [r["label"] for r in series],
        "applications": [r["applications"] for r in series],
        "approved": [r["approved"] for r in series],
        "rejected": [r["rejected"] for r in series],
        "recipient_households": [r["recipient_households"] for r in series],
        "recipient_persons": [r["recipient_persons"] for r in series],
        "labels": {
            "applications": str(pgettext_lazy("count", "Applications")), "approved": str(_("Approved")), "rejected": str(_("Rejected")),
            "recipient_households": str(_("Recipient households")), "recipient_persons": str(_("Recipient persons")),
            "paid": str(_("Paid (yuan)")), "findings": str(_("Open findings")),
        },
    }
    payload["paid"] = [float(r["amount"] or 0) for r in data["payments"]["by_month"]]
    payload["finding_rules"] = [str(r["label"]) for r in data["findings"]["by_rule"]]
    payload["finding_counts"] = [r["count"] for r in data["findings"]["by_rule"]]
    return payload
