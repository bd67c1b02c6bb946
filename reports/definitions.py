"""The reports: one definition per report key, each a function of (user, filters) -> rows.

A definition says which model it reads, its columns (with how each value is shown), which
date field the date range applies to and which statuses may be chosen. Rows come from one
scoped, filtered `values_list` queryset, so the page, the streamed export and the export job
all read the same rows, and exports can iterate with a server-side cursor.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import connections
from django.db.models import Count, DateTimeField, F, Func, Max, QuerySet, Sum, TextField, Value
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.scoping import scope_queryset
from audit.models import AuditEvent
from cases.models import DECIDED_STATES, PAID_STATES, Case, CaseStatus
from households import crypto
from households.idnumber import mask
from overlaps.models import FlagStatus, OverlapFlag, RuleCode, Severity
from recipients.models import PaymentLine, RollStatus
from reports.expressions import processing_days
from reports.filters import ReportFilters


@dataclass
class Column:
    key: str
    label: str
    path: str
    kind: str = "text"  # text, int, money, date, datetime, bool, choice, id_number, month
    choices: dict | None = None


@dataclass
class ReportDefinition:
    key: str
    title: str
    description: str
    columns: list[Column]
    date_field: str
    base: Callable[[], QuerySet]
    status_field: str = "status"
    status_choices: Callable[[], list] = list
    order_by: tuple = ("id",)
    build: Callable | None = None  # custom (qs, filters) -> qs for aggregated reports
    date_is_month: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def has_id_numbers(self) -> bool:
        return any(c.kind == "id_number" for c in self.columns)

    def queryset(self, user, filters: ReportFilters, *, using: str = "default") -> QuerySet:
        """Scoped, filtered rows as a values_list in column order."""
        qs = scope_queryset(user, self.base().using(using))
        code_field = getattr(qs.model, "SCOPE_CODE_FIELD", None) or "division_code"
        if filters.prefix:
            qs = qs.filter(**{f"{code_field}__startswith": filters.prefix})
        tz = timezone.get_current_timezone()
        if filters.date_from:
            start = filters.date_from.replace(day=1) if self.date_is_month else filters.date_from
            qs = qs.filter(**{f"{self.date_field}__gte": _as_bound(start, tz, self.date_is_month)})
        if filters.date_to:
            end = filters.date_to + timedelta(days=1)
            qs = qs.filter(**{f"{self.date_field}__lt": _as_bound(end, tz, self.date_is_month)})
        if filters.status:
            qs = qs.filter(**{self.status_field: filters.status})
        if self.build is not None:
            qs = self.build(qs)
        qs = qs.order_by(*self.order_by)
        # An encrypted ID number opens only with its row's blind index (its associated data): each such
        # column brings that value along after the columns; convert_rows uses it and drops it.
        row_keys = [id_row_key_path(c) for c in self.columns if c.kind == "id_number"]
        if connections[using].vendor == "postgresql":
            # Format dates and money in SQL: text is far cheaper for the driver than timestamptz
            # and numeric objects, which roughly halves the export time.
            formatted = {f"_cell_{c.key}": expr for c in self.columns if (expr := sql_formatted(c)) is not None}
            qs = qs.annotate(**formatted)
            return qs.values_list(*[f"_cell_{c.key}" if f"_cell_{c.key}" in formatted else c.path
                                    for c in self.columns], *row_keys)
        return qs.values_list(*[c.path for c in self.columns], *row_keys)

    def converters(self, *, unmasked: bool, using: str = "default") -> list[Callable | None]:
        in_sql = connections[using].vendor == "postgresql"
        converters = [None if in_sql and sql_formatted(c) is not None else _converter(c, unmasked=unmasked)
                      for c in self.columns]
        key_index = len(self.columns)
        for i, column in enumerate(self.columns):
            if column.kind == "id_number":
                converters[i] = RowKeyed(converters[i], key_index)
                key_index += 1
        return converters

    def headers(self) -> list[str]:
        return [str(c.label) for c in self.columns]


def _as_bound(day, tz, is_date: bool):
    if is_date:
        return day
    return datetime.combine(day, time.min, tzinfo=tz)


class ToChar(Func):
    function = "to_char"
    output_field = TextField()


class LocalTime(Func):
    """The wall-clock time in the project's time zone (timestamptz -> timestamp)."""

    template = "(%(expressions)s AT TIME ZONE %(tz)s)"
    output_field = DateTimeField()

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = super().as_sql(compiler, connection, tz="%s", **extra_context)
        return sql, (*params, settings.TIME_ZONE)


def sql_formatted(column: Column):
    """A PostgreSQL expression giving the finished cell text, or None when Python formats it."""
    if column.kind == "datetime":
        return ToChar(LocalTime(column.path), Value("YYYY-MM-DD HH24:MI"))
    if column.kind == "date":
        return ToChar(column.path, Value("YYYY-MM-DD"))
    if column.kind == "month":
        return ToChar(column.path, Value("YYYY-MM"))
    if column.kind == "money":
        return ToChar(column.path, Value("FM9999999999990.00"))
    return None


def id_row_key_path(column: Column) -> str:
    """The path of the Person blind index next to an encrypted ID number's path."""
    return column.path.removesuffix("id_encrypted") + "id_hash"


@dataclass
class RowKeyed:
    """A converter that needs a second value of the row (at `key_index`, after the columns)."""

    convert: Callable
    key_index: int


def _converter(column: Column, *, unmasked: bool) -> Callable | None:
    """How a raw value becomes a cell; None means the value is written as it comes."""
    kind = column.kind
    if kind == "id_number":
        ring = crypto.keyring()  # its ciphers are built once, not per row

        def id_number(blob, id_hash):
            if not blob:
                return ""
            number = crypto.decrypt_id(blob, id_hash=id_hash, ring=ring)
            return number if unmasked else number[:6] + "********" + number[14:] if len(number) == 18 else mask(number)
        return id_number
    if kind == "datetime":
        tz = timezone.get_current_timezone()
        return lambda v: v.astimezone(tz).strftime("%Y-%m-%d %H:%M") if v else ""
    if kind == "date":
        return lambda v: v.isoformat() if v else ""
    if kind == "month":
        return lambda v: v.strftime("%Y-%m") if v else ""
    if kind == "money":
        return lambda v: "" if v is None else f"{v:.2f}"
    if kind == "bool":
        yes, no = str(_("yes")), str(_("no"))
        return lambda v: yes if v else no
    if kind == "choice":
        labels = {k: str(v) for k, v in (column.choices or {}).items()}
        return lambda v: labels.get(v, v or "")
    if kind == "json":
        return lambda v: "" if v is None else str(v)
    return None


def convert_rows(rows: Iterable[tuple], converters: list[Callable | RowKeyed | None]) -> Iterable[list]:
    active = [(i, conv) for i, conv in enumerate(converters) if conv is not None and not isinstance(conv, RowKeyed)]
    keyed = [(i, conv.convert, conv.key_index) for i, conv in enumerate(converters) if isinstance(conv, RowKeyed)]
    width = len(converters)
    for row in rows:
        row = list(row)
        for i, conv in active:
            row[i] = conv(row[i])
        for i, conv, key_index in keyed:
            row[i] = conv(row[i], row[key_index])
        del row[width:]
        yield row


def _case_status_choices():
    return list(CaseStatus.choices)


STATUS_LABELS = dict(CaseStatus.choices)

CASE_COLUMNS = [
    Column("id", _("Case"), "id", "int"),
    Column("division_code", _("Village code"), "division_code"),
    Column("village", _("Village"), "household__village__name"),
    Column("head", _("Head of household"), "household__head_name"),
    Column("applicant", _("Applicant"), "applicant__name"),
    Column("applicant_id", _("Applicant ID number"), "applicant__person__id_encrypted", "id_number"),
    Column("size", _("Household size"), "household__size", "int"),
    Column("status", _("Status"), "status", "choice", STATUS_LABELS),
    Column("category", _("Category"), "category"),
    Column("staff_relative", _("Staff relative"), "staff_relative", "bool"),
    Column("created_at", _("Entered"), "created_at", "datetime"),
    Column("submitted_at", pgettext_lazy("time", "Submitted"), "submitted_at", "datetime"),
    Column("accepted_at", _("Accepted"), "accepted_at", "datetime"),
    Column("deadline", _("Deadline"), "deadline", "date"),
    Column("decided_at", _("Decided"), "decided_at", "datetime"),
    Column("monthly_amount", _("Monthly benefit (yuan)"), "monthly_amount", "money"),
]


def _cases():
    return Case.objects.all()


def _processing_build(qs):
    return qs.filter(status__in=DECIDED_STATES, decided_at__isnull=False).annotate(
        processing_days=processing_days(F("accepted_at"), F("decided_at"), using=qs.db))


def _payment_summary_base():
    return PaymentLine.objects.filter(roll__status=RollStatus.FINALISED)


def _payment_summary_build(qs):
    return qs.annotate(month_start=TruncMonth("roll__month")).values("village_code", "month_start") \
        .annotate(village=Max("village_name"), households=Count("id"), amount=Sum("amount"))


def _findings_base():
    return OverlapFlag.objects.all()


def _findings_columns() -> list[Column]:
    rule_choices, status_choices, severity_choices = dict(RuleCode.choices), dict(FlagStatus.choices), \
        dict(Severity.choices)
    return [
        Column("id", _("Finding"), "id", "int"),
        Column("division_code", _("Division code"), "division_code"),
        Column("rule", _("Rule"), "rule", "choice", rule_choices),
        Column("severity", _("Severity"), "severity", "choice", severity_choices),
        Column("status", _("Status"), "status", "choice", status_choices),
        Column("first_seen_at", _("Raised"), "first_seen_at", "datetime"),
        Column("last_seen_at", _("Last seen"), "last_seen_at", "datetime"),
        Column("resolved_at", _("Resolved"), "resolved_at", "datetime"),
        Column("resolution_note", _("Note"), "resolution_note"),
    ]


REPORTS: dict[str, ReportDefinition] = {}


def register(definition: ReportDefinition) -> ReportDefinition:
    REPORTS[definition.key] = definition
    return definition


register(ReportDefinition(
    key="case_register", title=_("Case register"),
    description=_("Every application in the area with its status and dates. Date range: date entered."),
    columns=CASE_COLUMNS, date_field="created_at", base=_cases, status_choices=_case_status_choices,
    order_by=("division_code", "id"),
))

register(ReportDefinition(
    key="recipients_roster", title=_("Recipients roster"),
    description=_("Households being paid now (active or in gradual exit). Date range: date of the decision."),
    columns=[
        *CASE_COLUMNS[:7],  # case, village, head, applicant, ID, size: the same as the case register
        Column("category", _("Category"), "category"),
        Column("status", _("Status"), "status", "choice", STATUS_LABELS),
        Column("decided_at", _("Approved"), "decided_at", "datetime"),
        Column("first_payment_month", _("First payment month"), "first_payment_month", "month"),
        Column("monthly_amount", _("Monthly benefit (yuan)"), "monthly_amount", "money"),
    ],
    date_field="decided_at", base=lambda: Case.objects.filter(status__in=PAID_STATES),
    status_choices=lambda: [(s.value, s.label) for s in PAID_STATES], order_by=("division_code", "id"),
))

register(ReportDefinition(
    key="payment_summary", title=_("Payment summary by village and month"),
    description=_("Households paid and money paid from finalised payment rolls, per village and month. "
                  "Date range: payment month."),
    columns=[
        Column("division_code", _("Village code"), "village_code"),
        Column("village", _("Village"), "village"),
        Column("month", _("Month"), "month_start", "month"),
        Column("households", _("Households paid"), "households", "int"),
        Column("amount", _("Amount paid (yuan)"), "amount", "money"),
    ],
    date_field="roll__month", date_is_month=True, base=_payment_summary_base, build=_payment_summary_build,
    status_field="", order_by=("village_code", "month_start"),
))

register(ReportDefinition(
    key="processing_time", title=_("Processing-time report"),
    description=_("Decided applications and the days from acceptance to decision (working days, counting "
                  "Chinese public holidays and swapped working weekends). Date range: date of the decision."),
    columns=[
        Column("id", _("Case"), "id", "int"),
        Column("division_code", _("Village code"), "division_code"),
        Column("head", _("Head of household"), "household__head_name"),
        Column("status", _("Status"), "status", "choice", STATUS_LABELS),
        Column("submitted_at", pgettext_lazy("time", "Submitted"), "submitted_at", "datetime"),
        Column("accepted_at", _("Accepted"), "accepted_at", "datetime"),
        Column("decided_at", _("Decided"), "decided_at", "datetime"),
        Column("deadline", _("Deadline"), "deadline", "date"),
        Column("processing_days", _("Processing time (working days)"), "processing_days", "int"),
    ],
    date_field="decided_at", base=_cases, build=_processing_build,
    status_choices=lambda: [(s.value, s.label) for s in DECIDED_STATES], order_by=("division_code", "id"),
))

register(ReportDefinition(
    key="findings", title=_("Findings report"),
    description=_("Findings of the shared registry with their rule and status. Date range: date raised."),
    columns=_findings_columns(), date_field="first_seen_at", base=_findings_base,
    status_choices=lambda: FlagStatus.choices, order_by=("division_code", "id"),
))

register(ReportDefinition(
    key="staff_relative", title=_("Staff-relative register"),
    description=_("Applications whose applicant is related to case staff or village cadres (近亲属备案). "
                  "Date range: date entered."),
    columns=[
        Column("id", _("Case"), "id", "int"),
        Column("division_code", _("Village code"), "division_code"),
        Column("village", _("Village"), "household__village__name"),
        Column("head", _("Head of household"), "household__head_name"),
        Column("applicant", _("Applicant"), "applicant__name"),
        Column("applicant_id", _("Applicant ID number"), "applicant__person__id_encrypted", "id_number"),
        Column("relation", _("Relation"), "staff_relative_relation"),
        Column("related_to", _("Related to"), "staff_relative_to"),
        Column("status", _("Status"), "status", "choice", STATUS_LABELS),
        Column("created_at", _("Entered"), "created_at", "datetime"),
        Column("decided_at", _("Decided"), "decided_at", "datetime"),
        Column("monthly_amount", _("Monthly benefit (yuan)"), "monthly_amount", "money"),
    ],
    date_field="created_at", base=lambda: Case.objects.filter(staff_relative=True),
    status_choices=_case_status_choices, order_by=("division_code", "id"),
))

register(ReportDefinition(
    key="audit_extract", title=_("Audit-log extract"),
    description=_("Events of the append-only audit log in the area. Date range: date of the event."),
    columns=[
        Column("id", _("Event"), "id", "int"),
        Column("created_at", _("When"), "created_at", "datetime"),
        Column("actor", _("Actor"), "actor_username"),
        Column("action", _("Action"), "action"),
        Column("object_type", _("Object type"), "object_type"),
        Column("object_id", _("Object id"), "object_id"),
        Column("division_code", _("Division code"), "division_code"),
        Column("before", _("Before"), "before", "json"),
        Column("after", _("After"), "after", "json"),
    ],
    date_field="created_at", base=lambda: AuditEvent.objects.all(), status_field="action",
    order_by=("created_at", "id"),
))


def get_report(key: str) -> ReportDefinition | None:
    return REPORTS.get(key)
