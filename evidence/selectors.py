"""Scoped reads of documents and complaints. Out of scope and missing are both 404."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Role
from accounts.scoping import get_in_scope, scope_queryset
from cases.models import Case
from cases.selectors import access_case_by_id
from dibao.errors import NotFound
from evidence.models import OPEN_COMPLAINT_STATES, Complaint, Document, TargetType
from households.models import Household
from households.selectors import access_household_by_id

# Complaints about a staff member are seen only by these roles (and admins): never by village or
# township staff, including the staff member concerned.
STAFF_COMPLAINT_ROLES = (Role.COUNTY_OFFICER, Role.AUDITOR)


class Target:
    """What a document is attached to, resolved in the user's scope."""

    def __init__(self, target_type: str, household: Household, case: Case | None = None,
                 visit_number: int | None = None, visit_id: int | None = None):
        self.target_type = target_type
        self.household = household
        self.case = case
        self.visit_number = visit_number
        self.visit_id = visit_id

    @property
    def target_id(self) -> int:
        return self.household.pk if self.target_type == TargetType.HOUSEHOLD else self.case.pk

    @property
    def division_code(self) -> str:
        return self.case.division_code if self.case else self.household.division_code

    def documents(self) -> QuerySet:
        qs = Document.objects.live().select_related("uploaded_by")
        if self.target_type == TargetType.HOUSEHOLD:
            # A household's panel shows everything about it: its own, its cases' and visits' files.
            return qs.filter(household=self.household)
        if self.target_type == TargetType.CASE:
            return qs.filter(case=self.case)
        return qs.filter(case=self.case, target_type=TargetType.VISIT, visit_number=self.visit_number)


def target_for_user(user, target_type: str, target_id, visit_number=None) -> Target:
    """Resolve a target in scope. For a visit, `target_id` is the case and `visit_number` 1 or 2
    (the HomeVisit model lands with the workflow; then a visit id can be resolved here too)."""
    if target_type == TargetType.HOUSEHOLD:
        return Target(TargetType.HOUSEHOLD, access_household_by_id(user, target_id))
    if target_type in (TargetType.CASE, TargetType.VISIT):
        case = access_case_by_id(user, target_id)
        if target_type == TargetType.CASE:
            return Target(TargetType.CASE, case.household, case)
        try:
            number = int(visit_number)
        except (TypeError, ValueError):
            raise NotFound() from None
        if number not in (1, 2):
            raise NotFound()
        return Target(TargetType.VISIT, case.household, case, visit_number=number)
    raise NotFound()


def documents_for_user(user) -> QuerySet:
    return scope_queryset(user, Document.objects.live()).select_related("uploaded_by")


def document_for_user(user, document_uuid) -> Document:
    return get_in_scope(user, Document.objects.live().select_related("case", "household"), uuid=document_uuid)


def complaints_for_user(user) -> QuerySet:
    qs = scope_queryset(user, Complaint.objects.all())
    if not user.has_role(*STAFF_COMPLAINT_ROLES):
        qs = qs.filter(staff_member__isnull=True)
    return qs


def complaint_list(user, *, status: str = "", channel: str = "", overdue: bool = False) -> QuerySet:
    qs = complaints_for_user(user).select_related("assigned_to", "case", "household", "staff_member")
    if status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    if overdue:
        qs = qs.filter(Q(status__in=OPEN_COMPLAINT_STATES), deadline__lt=timezone.localdate())
    return qs


def complaint_for_user(user, complaint_id) -> Complaint:
    return get_in_scope(user, complaints_for_user(user).select_related(
        "assigned_to", "case", "household", "staff_member", "recorded_by", "resolved_by"), pk=complaint_id)
