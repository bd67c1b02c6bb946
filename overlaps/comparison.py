"""The side-by-side view of a finding: the records it compares, differing fields marked.

ID numbers are shown masked only. Each record is a column; a row is one field across columns.
"""

from decimal import Decimal

from django.utils.translation import gettext as _

from cases.models import Case
from households.models import Household, Person
from poverty_registry.models import RegistryHousehold


def _person(p: Person) -> tuple[str, dict]:
    return _("Person #%(id)s") % {"id": p.pk}, {
        _("Name"): p.name, _("Name in pinyin"): p.name_pinyin, _("ID number"): p.masked_id,
        _("Birth date"): p.birth_date, _("Sex"): p.get_sex_display(), _("Region code"): p.region_code,
    }


def _household(h: Household) -> tuple[str, dict]:
    return _("Dibao household #%(id)s") % {"id": h.pk}, {
        _("Village"): h.village.name, _("Head of household"): h.head_name, _("Household size"): h.size,
        _("Per-capita monthly income (yuan)"): h.per_capita_monthly_income, _("Address"): h.address,
    }


def _case(c: Case) -> tuple[str, dict]:
    title, fields = _household(c.household)
    fields = {_("Case"): f"#{c.pk}", _("Case status"): c.get_status_display(),
              _("Monthly benefit (yuan)"): c.monthly_amount, **fields}
    return _("Case #%(id)s") % {"id": c.pk}, fields


def _registry(r: RegistryHousehold) -> tuple[str, dict]:
    return _("Registry household %(code)s") % {"code": r.registry_code}, {
        _("Village"): r.village.name, _("Year"): r.year, _("Registry status"): r.get_status_display(),
        _("Per-capita monthly income (yuan)"): (r.annual_income_per_capita / 12).quantize(Decimal("0.01")),
        _("Members"): ", ".join(m.name for m in r.members.all()),
    }


def comparison(flag) -> dict:
    """{"headers": [...], "rows": [{"label", "values", "differs"}]}"""
    records = []
    if flag.rule == "PROBABLE_DUPLICATE":
        records = [_person(p) for p in flag.persons.order_by("pk")]
    elif flag.rule in ("DOUBLE_DIBAO", "STAFF_RELATIVE", "INELIGIBLE_RECIPIENT", "STATUS_CONFLICT",
                       "APPLICATION_ROSTER_CONFLICT"):
        records = [_case(c) for c in flag.cases.select_related("household__village").order_by("pk")]
    elif flag.rule in ("DUPLICATE_PERSON_HOUSEHOLDS", "EDGE_HOUSEHOLD"):
        records = [_household(h) for h in flag.households.select_related("village").order_by("pk")]
    if flag.rule in ("PROTECTION_GAP", "INELIGIBLE_RECIPIENT", "STATUS_CONFLICT", "APPLICATION_ROSTER_CONFLICT"):
        records += [_registry(r) for r in flag.registry_households.select_related("village").prefetch_related(
            "members").order_by("pk")]
    if flag.rule in ("DUPLICATE_PERSON_HOUSEHOLDS", "DOUBLE_DIBAO", "PROTECTION_GAP"):
        people = [_person(p) for p in flag.persons.order_by("pk")]
        if len(people) == 1:
            records = people + records
    labels: list = []
    for _title, fields in records:
        for label in fields:
            if label not in labels:
                labels.append(label)
    rows = []
    for label in labels:
        values = [fields.get(label, "") for _title, fields in records]
        present = [str(v) for v in values if v not in ("", None)]
        rows.append({"label": label, "values": ["" if v is None else v for v in values],
                     "differs": len(records) > 1 and len(set(present)) > 1})
    return {"headers": [t for t, _f in records], "rows": rows}
