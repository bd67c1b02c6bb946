"""What an application still lacks before it can be submitted, as labels the case page lists.

The submit row of `cases.workflow.TRANSITIONS` names this checklist (and the documents evidence
requires); the guard `cases.guards.submission_complete` refuses the submission while it is not empty.
"""

from django.utils.translation import gettext_lazy as _

from cases.models import Case
from households.models import Member


def missing_items(case: Case) -> list:
    """What is still missing before the application can be submitted (empty when complete)."""
    household = case.household
    members = list(household.members.filter(is_active=True))
    missing = []
    if not members:
        missing.append(_("no members recorded"))
    if not any(m.relationship == Member.Relationship.HEAD for m in members):
        missing.append(_("no head of household"))
    if not household.incomes.exists():
        missing.append(_("no income recorded (record zero income explicitly)"))
    if not household.bank_account:
        missing.append(_("no bank account"))
    if not case.applicant_id:
        missing.append(_("no applicant chosen"))
    if not case.reason.strip():
        missing.append(_("no reason for applying"))
    if not (case.authorisation_signed and case.authorisation_date):
        missing.append(_("no signed authorisation for information checks"))
    if case.staff_relative and not (case.staff_relative_relation and case.staff_relative_to):
        missing.append(_("staff-relative declaration incomplete"))
    return missing
