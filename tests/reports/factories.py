"""Households and cases for report tests, made directly (the figures, not the workflow, are tested)."""

from datetime import date, datetime, time
from decimal import Decimal
from itertools import count

from django.utils import timezone

from cases.models import Case
from households.idnumber import make_id_number
from households.models import Household, Member
from households.persons import person_get_or_create

_sequence = count(1)


def aware(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


def make_household(village, *, size: int = 3, head: str = "张三") -> Household:
    n = next(_sequence)
    household = Household.objects.create(village=village, division_code=village.code, address=f"{village.name} {n}号",
                                         head_name=head, size=size, counted_members=size)
    id_number = make_id_number(village.code[:6], date(1970, 1, 1 + n % 28), n % 1000)
    person = person_get_or_create(id_number=id_number, name=head)
    Member.objects.create(household=household, person=person, name=head, relationship="head",
                          sex=person.sex, birth_date=person.birth_date)
    household.id_number = id_number  # for assertions
    return household


def make_case(village, entered_by, *, status="submitted", size=3, head="张三", submitted=None, accepted=None,
              decided=None, closed=None, deadline=None, amount=None, staff_relative=False, created=None) -> Case:
    household = make_household(village, size=size, head=head)
    applicant = household.members.first()
    case = Case.objects.create(
        household=household, division_code=village.code, status=status, applicant=applicant,
        entered_by=entered_by, staff_relative=staff_relative,
        staff_relative_relation="表兄" if staff_relative else "", staff_relative_to="村主任" if staff_relative else "",
        submitted_at=aware(submitted) if submitted else None, accepted_at=aware(accepted) if accepted else None,
        decided_at=aware(decided) if decided else None, closed_at=aware(closed) if closed else None,
        deadline=deadline, monthly_amount=Decimal(amount) if amount is not None else None,
    )
    if created:
        Case.objects.filter(pk=case.pk).update(created_at=aware(created))
        case.created_at = aware(created)
    case.id_number = household.id_number
    return case
