"""Scoped reads of households and the county configuration in force on a date."""

import re
from datetime import date

from django.db.models import Prefetch, Q, QuerySet

from accounts.divisions import code_prefix, county_code_of
from accounts.scoping import get_in_scope, scope_queryset
from audit.models import AuditEvent
from households import crypto
from households.idnumber import normalize
from households.models import Asset, Household, IncomeItem, IncomePolicy, Member, Standard
from households.persons import id_hash_for, id_hashes_for


def _county_code(county) -> str:
    return county_code_of(county if isinstance(county, str) else county.code)


def standard_in_force(county, on_date: date) -> Standard | None:
    """The county's Standard effective on `on_date` (county: Division or any code inside it)."""
    return (Standard.objects.filter(county__code=_county_code(county), effective_from__lte=on_date)
            .order_by("-effective_from").first())


def income_policy_in_force(county, on_date: date) -> IncomePolicy | None:
    return (IncomePolicy.objects.filter(county__code=_county_code(county), effective_from__lte=on_date)
            .order_by("-effective_from").first())


def standards_visible(user) -> QuerySet:
    qs = Standard.objects.select_related("county").order_by("county__code", "-effective_from")
    if user.is_admin_role:
        return qs
    # Everyone may read the standards of the county they work in (and auditors of their area).
    if user.division_id is None:
        return qs.none()
    code = user.division.code
    prefix = user.division.prefix
    return qs.filter(Q(county__code__startswith=prefix) | Q(county__code=county_code_of(code)))


def households_visible(user) -> QuerySet:
    return scope_queryset(user, Household.objects.all())


def access_household_by_id(actor, household_id, *, for_update: bool = False) -> Household:
    """The household (with its village) if it lies in the actor's area; NotFound if not or if missing."""
    return get_in_scope(actor, Household.objects.select_related("village"), for_update=for_update,
                        pk=household_id)


def household_detail(actor, household_id) -> Household:
    """One household in scope with everything its page and the API detail show."""
    return get_in_scope(actor, household_detail_queryset(actor), pk=household_id)


def looks_like_id_number(value: str) -> bool:
    number = normalize(value or "")
    return len(number) == 18 and number[:17].isdigit()


def id_number_blind_index(number: str) -> str:
    """What the access log keeps of a searched ID number (its blind index, never the number)."""
    return id_hash_for(normalize(number))


def household_list(user, *, q: str = "", division: str = "", has_active_case: bool | None = None) -> QuerySet:
    """The list: village and active members (for masked IDs) in a fixed number of queries."""
    qs = (households_visible(user).filter(is_active=True).select_related("village")
          .prefetch_related(Prefetch("members", queryset=Member.objects.filter(is_active=True)
                                     .select_related("person").order_by("id"), to_attr="active_members")))
    q = (q or "").strip()
    if q:
        qs = qs.filter(household_search(q))
    if division:
        qs = qs.filter(division_code__startswith=code_prefix(division))
    if has_active_case is not None:
        qs = qs.filter(has_paid_case=has_active_case)
    return qs.order_by("division_code", "id")


# A name and the last six characters of an ID number, either way round: "张三 12345X", "12345x张三".
_NAME_SUFFIX = (re.compile(r"^(?P<name>[^\d\s]{1,20})\s*(?P<suffix>\d{5}[\dXx])$"),
                re.compile(r"^(?P<suffix>\d{5}[\dXx])\s*(?P<name>[^\d\s]{1,20})$"))
_PHONE = re.compile(r"^\+?[\d-]{4,20}$")


def household_search(q: str) -> Q:
    """What the list's q= means: a full ID number, a name with the last six characters of an ID number,
    a whole phone number or its last four digits, a whole bank account number, or else the start of a member's name or part of the address.

    ID numbers are matched by blind index only (every key version, so rows not yet rotated are found).
    """
    number = normalize(q)
    if len(number) == 18 and number[:17].isdigit():
        return Q(pk__in=Member.objects.filter(is_active=True, person__id_hash__in=id_hashes_for(number))
                 .values("household_id"))
    for pattern in _NAME_SUFFIX:
        match = pattern.match(q)
        if match:
            digests = crypto.suffix_hashes(match["suffix"], match["name"])
            return Q(pk__in=Member.objects.filter(is_active=True, person__id_suffix_hash__in=digests)
                     .values("household_id"))
    if _PHONE.match(q):
        # Phone numbers and bank accounts are stored encrypted: found by blind index only, four digits as the
        # phone number's last four, more as a whole phone number or bank account.
        digits = crypto.digits(q)
        if len(digits) == crypto.PHONE_SUFFIX_LENGTH:
            return Q(phone_last4_hash__in=crypto.phone_last4_hashes(digits))
        return Q(phone_hash__in=crypto.phone_hashes(digits)) | Q(bank_account_hash__in=crypto.bank_account_hashes(digits))
    # The head is an active member too (household_recalculate copies its name to head_name), so one
    # semi-join on the member name index finds heads and members alike.
    return (Q(pk__in=Member.objects.filter(is_active=True, name__startswith=q).values("household_id"))
            | Q(address__icontains=q))


def household_detail_queryset(user) -> QuerySet:
    return (households_visible(user).select_related("village", "village__parent", "created_by")
            .prefetch_related(
                Prefetch("members", queryset=Member.objects.select_related("person").order_by("-is_active", "id")),
                Prefetch("incomes", queryset=IncomeItem.objects.select_related("member").order_by("id")),
                Prefetch("assets", queryset=Asset.objects.order_by("id")),
            ))


def household_history(household):
    """Audit events for the household and its members, incomes and assets (all filed under it)."""
    return (AuditEvent.objects.filter(object_type="households.household", object_id=str(household.pk))
            .order_by("-id")[:200])
