"""Validation of one registry row and of the household fields shared by the file and the API."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from households.idnumber import IdInfo, parse_id_number
from poverty_registry.importing.reader import FORMULA
from poverty_registry.models import MonitoringType, RegistryStatus

TRUE_VALUES = {"1", "true", "yes", "y", "是", "户主", "t"}
FALSE_VALUES = {"0", "false", "no", "n", "否", "", "f"}
MAX_INCOME = Decimal("9999999999.99")
# The choices' values, read once: `TextChoices.values` builds a new list on every access (a per-row cost).
STATUS_VALUES = frozenset(RegistryStatus.values)
MONITORING_VALUES = frozenset(MonitoringType.values)


class RowError(Exception):
    def __init__(self, column: str, reason: str):
        self.column, self.reason = column, reason
        super().__init__(f"{column}: {reason}")


@dataclass(frozen=True, slots=True)
class HouseholdFields:
    year: int
    registry_code: str
    division_code: str
    status: str
    monitoring_type: str
    lifted_year: int | None
    annual_income_per_capita: Decimal


@dataclass(slots=True)
class CleanRow:
    row: int
    household: HouseholdFields
    id_info: IdInfo
    name: str
    relationship: str
    is_head: bool


def parse_year(value, column: str = "year", *, today: date | None = None) -> int:
    text = str(value).strip()
    if not text.isdigit() or len(text) != 4:
        raise RowError(column, _("A year is four digits, e.g. 2024; got %(v)r.") % {"v": text})
    year = int(text)
    if not 2013 <= year <= (today or timezone.localdate()).year + 1:
        raise RowError(column, _("The year %(y)d is outside 2013 to next year.") % {"y": year})
    return year


def parse_income(value) -> Decimal:
    text = str(value).strip().replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise RowError("annual_income_per_capita",
                       _("Not a number: %(v)r. Give yuan per person per year, e.g. 5200.50.") % {"v": text}) from None
    if not amount.is_finite():
        raise RowError("annual_income_per_capita", _("Not a number: %(v)r.") % {"v": text})
    if amount < 0:
        raise RowError("annual_income_per_capita", _("Income cannot be negative."))
    if amount > MAX_INCOME:
        raise RowError("annual_income_per_capita", _("The amount is implausibly large."))
    if amount != amount.quantize(Decimal("0.01")):
        raise RowError("annual_income_per_capita", _("At most two decimal places (fen)."))
    return amount.quantize(Decimal("0.01"))


def check_household(*, year: int, status: str, monitoring_type: str, lifted_year: int | None) -> None:
    """Rules across household fields; RowError names the column."""
    if status not in STATUS_VALUES:
        raise RowError("status", _("Unknown status %(v)r; use one of: %(allowed)s.")
                       % {"v": status, "allowed": ", ".join(RegistryStatus.values)})
    if monitoring_type not in MONITORING_VALUES:
        raise RowError("monitoring_type", _("Unknown monitoring type %(v)r; use one of: %(allowed)s, or leave empty.")
                       % {"v": monitoring_type, "allowed": ", ".join(v for v in MonitoringType.values if v)})
    if status == RegistryStatus.MONITORED and not monitoring_type:
        raise RowError("monitoring_type", _("A monitored household needs a monitoring type."))
    if status == RegistryStatus.LIFTED and lifted_year is None:
        raise RowError("lifted_year", _("A household lifted out of poverty needs the year it was lifted."))
    if lifted_year is not None and lifted_year > year:
        raise RowError("lifted_year", _("The year lifted (%(l)d) is after the registry year (%(y)d).")
                       % {"l": lifted_year, "y": year})


def clean_row(row_number: int, values: dict, *, expected_year: int | None = None,
              today: date | None = None) -> CleanRow:
    """Validate one row; raise RowError for the first bad column."""
    for column, value in values.items():
        if value is FORMULA:
            raise RowError(column, _("The cell holds a formula; formulas are not evaluated. Paste the value instead."))
    today = today or timezone.localdate()
    year = parse_year(values["year"], today=today)
    if expected_year is not None and year != expected_year:
        raise RowError("year", _("This import is for %(e)d; the row says %(y)d.") % {"e": expected_year, "y": year})
    code = values["registry_household_code"]
    if not code:
        raise RowError("registry_household_code", _("The registry household code is required."))
    if len(code) > 40:
        raise RowError("registry_household_code", _("At most 40 characters."))
    division_code = values["division_code"]
    if not (len(division_code) == 12 and division_code.isdigit()):
        raise RowError("division_code", _("A division code is exactly 12 digits; got %(v)r.") % {"v": division_code})
    name = values["member_name"]
    if not name:
        raise RowError("member_name", _("The member's name is required."))
    if len(name) > 50:
        raise RowError("member_name", _("At most 50 characters."))
    try:
        info = parse_id_number(values["id_number"], today=today)
    except ValidationError as exc:
        raise RowError("id_number", exc.messages[0]) from None
    relationship = values["relationship"]
    if len(relationship) > 30:
        raise RowError("relationship", _("At most 30 characters."))
    head_text = values["is_head"].strip().lower()
    if head_text in TRUE_VALUES:
        is_head = True
    elif head_text in FALSE_VALUES:
        is_head = False
    else:
        raise RowError("is_head", _("Use 1 for the head of household and 0 (or empty) otherwise; got %(v)r.")
                       % {"v": values["is_head"]})
    income = parse_income(values["annual_income_per_capita"])
    status = values["status"].strip().lower()
    monitoring_type = values["monitoring_type"].strip().lower()
    lifted_year = parse_year(values["lifted_year"], "lifted_year", today=today) if values["lifted_year"] else None
    check_household(year=year, status=status, monitoring_type=monitoring_type, lifted_year=lifted_year)
    household = HouseholdFields(year=year, registry_code=code, division_code=division_code, status=status,
                                monitoring_type=monitoring_type, lifted_year=lifted_year,
                                annual_income_per_capita=income)
    return CleanRow(row=row_number, household=household, id_info=info, name=name, relationship=relationship,
                    is_head=is_head)


HOUSEHOLD_COLUMNS = {
    "division_code": "division_code", "status": "status", "monitoring_type": "monitoring_type",
    "lifted_year": "lifted_year", "annual_income_per_capita": "annual_income_per_capita",
}
