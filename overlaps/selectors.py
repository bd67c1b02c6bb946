"""Scoped reads of findings, and small helpers the case and household pages include."""

from django.db.models import Count, Q

from accounts.scoping import get_in_scope, scope_queryset
from overlaps.models import FlagStatus, OverlapFlag, RuleCode


def flags_for_user(user, *, rule=None, status=None, division=None, severity=None):
    qs = scope_queryset(user, OverlapFlag.objects.select_related("division", "resolved_by"))
    if rule:
        qs = qs.filter(rule=rule)
    if status:
        qs = qs.filter(status=status)
    if division:
        qs = qs.filter(division_code__startswith=division.rstrip("0") if len(division) == 12 else division)
    if severity:
        qs = qs.filter(severity=severity)
    return qs


def access_flag_by_id(actor, flag_id, *, for_update: bool = False) -> OverlapFlag:
    """The finding in the actor's area; NotFound if not or if missing."""
    return get_in_scope(actor, OverlapFlag.objects.select_related("division", "resolved_by"), for_update=for_update,
                        pk=flag_id)


def _counts(condition) -> dict:
    ids = OverlapFlag.objects.filter(condition).values("pk")
    return dict(OverlapFlag.objects.filter(pk__in=ids, status=FlagStatus.OPEN).values_list("rule")
                .annotate(n=Count("id")).order_by())


def open_flag_counts_for_case(case) -> dict:
    """{rule: count} of open findings on this case, its household or its household's persons (1 query)."""
    return _counts(Q(cases=case) | Q(households=case.household_id)
                   | Q(persons__memberships__household_id=case.household_id, persons__memberships__is_active=True))


def open_flag_counts_for_household(household) -> dict:
    return _counts(Q(households=household) | Q(persons__memberships__household_id=household.pk,
                                               persons__memberships__is_active=True))


def case_has_open_double_dibao(case) -> bool:
    """True when an open DOUBLE_DIBAO finding covers this case (approving needs an override reason)."""
    return OverlapFlag.objects.filter(rule=RuleCode.DOUBLE_DIBAO, status=FlagStatus.OPEN, cases=case).exists()
