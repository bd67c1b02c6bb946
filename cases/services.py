"""Writes on cases that are not workflow transitions: entry and draft edits.
Transitions: `cases.workflow` (the table and its runner) and `cases.handlers`."""


from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.scoping import require_role, scope_queryset
from audit.services import changed_fields, record
from cases.models import OPEN_STATES, Case, CaseStatus
from cases.selectors import access_case_by_id
from dibao.errors import Conflict, DomainError, InvalidTransition, StaleVersion
from households.models import Household

ENTRY_ROLES = (Role.VILLAGE_STAFF, Role.TOWNSHIP_STAFF)
DRAFT_FIELDS = ("applicant", "reason", "authorisation_signed", "authorisation_date", "staff_relative",
                "staff_relative_relation", "staff_relative_to", "individual_member")


def _fields_error(field, message):
    return DomainError(_("Invalid input."), code="invalid", fields={field: [message]})


def _check_draft_fields(household: Household, data: dict) -> None:
    for field in ("applicant", "individual_member"):
        member = data.get(field)
        if member is not None and (member.household_id != household.pk or not member.is_active):
            raise _fields_error(field, _("Choose an active member of this household."))
    if data.get("authorisation_signed") and not data.get("authorisation_date"):
        raise _fields_error("authorisation_date", _("Give the date the authorisation was signed."))
    if data.get("authorisation_date") and data["authorisation_date"] > timezone.localdate():
        raise _fields_error("authorisation_date", _("The date cannot be in the future."))
    if data.get("staff_relative") and not (data.get("staff_relative_relation") and data.get("staff_relative_to")):
        raise _fields_error("staff_relative_relation",
                            _("A staff-relative declaration names the relation and the staff member."))


@transaction.atomic
def case_create(*, actor, household: Household, **data) -> Case:
    """Village entry: a draft application for a household in the user's area."""
    require_role(actor, *ENTRY_ROLES)
    if not scope_queryset(actor, Household.objects.filter(pk=household.pk)).exists():
        raise _fields_error("household", _("This household is not in your area."))
    data = {k: v for k, v in data.items() if k in DRAFT_FIELDS}
    _check_draft_fields(household, data)
    if Case.objects.filter(household=household, status__in=OPEN_STATES).exists():
        raise Conflict(_("This household already has an open case."), code="open_case_exists")
    try:
        with transaction.atomic():
            case = Case.objects.create(household=household, division_code=household.division_code,
                                       entered_by=actor, **data)
    except IntegrityError:
        raise Conflict(_("This household already has an open case."), code="open_case_exists") from None
    record(actor=actor, action="case.create", obj=case, division_code=case.division_code,
           after={"household": household.pk, **{k: data.get(k) for k in DRAFT_FIELDS if k in data}})
    return case


@transaction.atomic
def case_update(*, actor, case: Case, version: int | None = None, **data) -> Case:
    """Edit the application while it is a draft (entry or after a return)."""
    require_role(actor, *ENTRY_ROLES)
    locked = access_case_by_id(actor, case.pk, for_update=True)
    if locked.status != CaseStatus.DRAFT:
        raise InvalidTransition(_("Only a draft application can be edited."))
    if version is not None and int(version) != locked.version:
        raise StaleVersion()
    data = {k: v for k, v in data.items() if k in DRAFT_FIELDS}
    merged = {f: getattr(locked, f) for f in DRAFT_FIELDS} | data
    _check_draft_fields(locked.household, merged)
    before = {f: getattr(locked, f) for f in DRAFT_FIELDS}
    for key, value in data.items():
        setattr(locked, key, value)
    locked.version += 1
    locked.save()
    old, new = changed_fields({k: getattr(v, "pk", v) for k, v in before.items()},
                              {k: getattr(getattr(locked, k), "pk", getattr(locked, k)) for k in DRAFT_FIELDS})
    record(actor=actor, action="case.update", obj=locked, division_code=locked.division_code, before=old, after=new)
    return locked
