"""Scoped reads of findings, and small helpers the case and household pages include."""

from django.db import models
from django.db.models import Count, Q

from accounts.divisions import code_prefix
from accounts.models import Role
from accounts.scoping import code_in_scope, get_in_scope, scope_queryset
from cases.models import OPEN_STATES, Case
from households.models import Household, Member
from overlaps.models import FlagStatus, OverlapFlag, RuleCode, Severity
from poverty_registry.models import RegistryHousehold


def flags_for_user(user, *, rule=None, status=None, division=None, severity=None):
    qs = scope_queryset(user, OverlapFlag.objects.select_related("division", "resolved_by"))
    if rule:
        qs = qs.filter(rule=rule)
    if status:
        qs = qs.filter(status=status)
    if division:
        qs = qs.filter(division_code__startswith=code_prefix(division))
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


CASE_FLAGS_SHOWN = 10


def open_flags_on_case(user, case) -> list[OverlapFlag]:
    """The open findings naming this case that the user may open (the case page lists them, each a link),
    most severe first; at most CASE_FLAGS_SHOWN (the counts above cover the rest)."""
    severity_rank = models.Case(models.When(severity=Severity.HIGH, then=models.Value(0)),
                                models.When(severity=Severity.MEDIUM, then=models.Value(1)),
                                default=models.Value(2))
    qs = scope_queryset(user, OverlapFlag.objects.filter(status=FlagStatus.OPEN, cases=case))
    return list(qs.order_by(severity_rank, "-id")[:CASE_FLAGS_SHOWN])


def case_has_open_double_dibao(case) -> bool:
    """True when an open DOUBLE_DIBAO finding covers this case (approving needs an override reason)."""
    return OverlapFlag.objects.filter(rule=RuleCode.DOUBLE_DIBAO, status=FlagStatus.OPEN, cases=case).exists()


def member_links(user, household: RegistryHousehold) -> dict[int, dict]:
    """For each member of a poverty registration, by person: the dibao household membership and cases,
    each marked in scope or not. Served here because the two programmes meet only in overlaps.

    Two queries whatever the number of members.
    """
    person_ids = [m.person_id for m in household.members.all()]
    links: dict[int, dict] = {pid: {"household": None, "cases": []} for pid in person_ids}
    memberships = Member.objects.filter(person_id__in=person_ids, is_active=True).select_related(
        "household", "household__village")
    household_ids = {}
    for m in memberships:
        in_scope = code_in_scope(user, m.household.division_code)
        links[m.person_id]["household"] = {"id": m.household_id, "village": m.household.village.name,
                                           "head": m.household.head_name, "in_scope": in_scope,
                                           "per_capita_monthly_income": m.household.per_capita_monthly_income}
        household_ids[m.household_id] = m.person_id
    if household_ids:
        for case in Case.objects.filter(household_id__in=list(household_ids)).order_by("-id"):
            pid = household_ids[case.household_id]
            in_scope = code_in_scope(user, case.division_code)
            links[pid]["cases"].append({"id": case.pk, "status": case.status,
                                        "status_label": case.get_status_display(), "in_scope": in_scope})
    return links


def flag_links(user, flag: OverlapFlag) -> dict:
    """What a finding concerns, as links the user may open (records outside the user's area are left out):
    its cases, the households (its own, its cases' and its persons'), its poverty-registry records; and, for
    a protection gap, the household an application may be started for (village and township staff)."""
    cases = [c for c in flag.cases.select_related("household__village").order_by("pk")
             if code_in_scope(user, c.division_code)]
    household_ids = set(flag.households.values_list("pk", flat=True)) | {c.household_id for c in cases}
    household_ids |= set(Member.objects.filter(person__overlap_flags=flag, is_active=True)
                         .values_list("household_id", flat=True))
    households = [h for h in Household.objects.filter(pk__in=household_ids).select_related("village").order_by("pk")
                  if code_in_scope(user, h.division_code)]
    registry = [r for r in flag.registry_households.select_related("village").order_by("pk")
                if code_in_scope(user, r.division_code)]
    apply_for = None
    if flag.rule == RuleCode.PROTECTION_GAP and user.has_role(Role.VILLAGE_STAFF, Role.TOWNSHIP_STAFF):
        open_ids = set(Case.objects.filter(household_id__in=[h.pk for h in households], status__in=OPEN_STATES)
                       .values_list("household_id", flat=True))
        apply_for = next((h for h in households if h.is_active and h.pk not in open_ids), None)
    return {"cases": cases, "households": households, "registry": registry, "apply_for": apply_for,
            "may_enter": user.has_role(Role.VILLAGE_STAFF, Role.TOWNSHIP_STAFF)}


def edge_watch_list(user, *, village: str = ""):
    """The edge households to watch (open EDGE_HOUSEHOLD findings) in the user's area, village by village,
    each with its household and village (3 queries for a page: count, findings, households)."""
    qs = flags_for_user(user, rule=RuleCode.EDGE_HOUSEHOLD, status=FlagStatus.OPEN, division=village or None)
    return qs.prefetch_related(models.Prefetch("households", queryset=Household.objects.select_related("village"))
                               ).order_by("division_code", "id")
