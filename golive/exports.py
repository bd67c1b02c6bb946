"""The recipient roster out again, in the import's column layout: what goes in comes out.

One row per active member of each recipient household (a case being paid) and each household brought in
without a case (edge households), in the user's area. The values are written the way the import reads
them (Chinese words, dates as YYYY-MM-DD), under the Chinese headers and the code names.
"""

import io

from django.db.models import Exists, OuterRef, Prefetch, Q

from accounts.scoping import scope_queryset
from cases.models import PAID_STATES, Case
from cases.months import add_months
from dibao.spreadsheets import XlsxSheet, spreadsheet_writer, xlsx_workbook
from golive.layout import COLUMNS, LAYOUT
from golive.models import MigratedHousehold
from households.models import Household, Member
from recipients.models import Review, ReviewStatus
from tabular.synonyms import VALUES, chinese_header

CHUNK = 500


def _word(column: str, value) -> str:
    """The standard Chinese word of a code value, as the template's drop-down offers it."""
    words = VALUES[LAYOUT.file_kind].get(column, {}).get("" if value is None else str(value))
    return words[0] if words else ("" if value is None else str(value))


def roster_households(user):
    migrated = MigratedHousehold.objects.filter(household=OuterRef("pk"))
    qs = Household.objects.filter(is_active=True).filter(Q(has_paid_case=True) | Exists(migrated))
    return scope_queryset(user, qs).order_by("division_code", "id")


def roster_rows(user):
    """The rows of the roster file, one list per member, in COLUMNS order."""
    households = roster_households(user)
    ids = list(households.values_list("id", flat=True))
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        batch = (Household.objects.filter(pk__in=part).order_by("division_code", "id")
                 .select_related("migration")
                 .prefetch_related(
                     Prefetch("members", queryset=Member.objects.filter(is_active=True).select_related("person")
                              .order_by("id")),
                     Prefetch("cases", queryset=Case.objects.filter(status__in=PAID_STATES).select_related("exit")
                              .prefetch_related(Prefetch("reviews", queryset=Review.objects.filter(
                                  status=ReviewStatus.DUE)))),
                 ))
        for household in batch:
            yield from _household_rows(household)


def _household_rows(household):
    link = getattr(household, "migration", None)
    code = link.household_code if link else f"H{household.pk}"
    case = next(iter(household.cases.all()), None)
    case_exit = getattr(case, "exit", None) if case else None
    review = next(iter(case.reviews.all()), None) if case else None
    until = add_months(case_exit.end_month, -1) if case_exit and case_exit.gradual_schedule else None
    for m in household.members.all():
        yield [code, household.division_code, household.address, household.contact_phone, m.name,
               m.person.id_number, _word("relationship", m.relationship),
               "是" if m.relationship == Member.Relationship.HEAD else "否", _word("health", m.health),
               _word("disability_grade", m.disability_grade) if m.disability_grade else "",
               _word("labour_capacity", m.labour_capacity), case.category if case else "",
               case.monthly_amount if case else "",
               case.decided_at.date().isoformat() if case and case.decided_at else "",
               ("是" if case.individual_member_id == m.pk else "否") if case else "否",
               f"{until:%Y-%m}" if until else "", review.due_date.isoformat() if review else "",
               household.bank_name, household.bank_account]


@spreadsheet_writer("golive.roster_export")
def roster_xlsx(user) -> bytes:
    workbook = xlsx_workbook()
    sheet = XlsxSheet(workbook, "低保对象花名册")
    sheet.append([chinese_header(LAYOUT.file_kind, c) for c in COLUMNS])
    sheet.append(list(COLUMNS))
    for row in roster_rows(user):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
