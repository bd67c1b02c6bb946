"""Scoped reads of the poverty registry."""

from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.divisions import code_prefix
from accounts.scoping import get_in_scope, scope_queryset
from poverty_registry.models import RegistryHousehold, RegistryMember


def member_count():
    """The number of members of the registration, as a correlated subquery: PostgreSQL evaluates it
    after the sort and LIMIT, for the rows of the page only (a GROUP BY would join and count the
    members of every registration in scope before paging), and the paginator's count leaves it out."""
    members = (RegistryMember.objects.filter(registry_household=OuterRef("pk")).order_by()
               .values("registry_household").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(members, output_field=IntegerField()), 0)


def registrations_visible(user) -> QuerySet:
    return scope_queryset(user, RegistryHousehold.objects.select_related("village").annotate(
        member_count=member_count()).order_by("-year", "division_code", "registry_code"))


def registration_filter(qs: QuerySet, *, year=None, status="", monitoring_type="", division="") -> QuerySet:
    if year:
        qs = qs.filter(year=year)
    if status:
        qs = qs.filter(status=status)
    if monitoring_type:
        qs = qs.filter(monitoring_type="" if monitoring_type == "none" else monitoring_type)
    if division:
        qs = qs.filter(division_code__startswith=code_prefix(division))
    return qs


def access_registration_by_id(actor, registration_id, *, for_update: bool = False) -> RegistryHousehold:
    """The registration (with its village) in the actor's area; NotFound if not or if missing."""
    return get_in_scope(actor, RegistryHousehold.objects.select_related("village"), for_update=for_update,
                        pk=registration_id)


def registration_detail(user, pk) -> RegistryHousehold:
    qs = RegistryHousehold.objects.select_related("village", "village__parent").prefetch_related(
        Prefetch("members", queryset=RegistryMember.objects.select_related("person")))
    return get_in_scope(user, qs, pk=pk)
