"""A case's figures read from the database: its county, the household's declared financial assets and
the benefit for the case (verified income first), computed by the calculator in `cases.benefit`."""

from datetime import date

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from accounts.divisions import county_division
from cases import benefit as calc
from cases.models import Case
from dibao.errors import Conflict
from households.models import Asset, Household, Member


def declared_financial_assets(household: Household):
    return household.assets.filter(kind__in=[Asset.Kind.DEPOSITS, Asset.Kind.SECURITIES]).aggregate(
        total=Sum("value"))["total"] or 0


def _verified_visit(case: Case):
    """The latest visit (round, then number) with a verified income; from the visits already
    prefetched with the case (the case page and API detail) when there are, else one query."""
    prefetched = getattr(case, "_prefetched_objects_cache", {}).get("visits")
    if prefetched is not None:
        verified = [v for v in prefetched if v.verified_monthly_income is not None]
        return max(verified, key=lambda v: (v.round, v.number), default=None)
    return (case.visits.filter(verified_monthly_income__isnull=False).order_by("-round", "-number").first())


def benefit_for_case(case: Case, on_date: date, *, strict: bool = True):
    """(Benefit, inputs) for the case on the date, verified income first. Non-strict returns
    (None, inputs) when no standard is configured (a rejection needs no amount)."""
    household = case.household
    county = county_division(case.division_code)
    standard = calc._standard_in_force(county, on_date)
    policy = calc.policy_in_force(county, on_date)
    rules = calc.rules_from_policy(policy)
    visit = _verified_visit(case)
    counted = household.counted_members
    if visit is not None and counted:
        per_capita = (visit.verified_monthly_income / counted).quantize(calc.CENT)
        source = "verified"
    else:
        per_capita, source = household.per_capita_monthly_income, "declared"
    extra = {"income_source": source, "visit": visit.pk if visit else None,
             "declared_per_capita_income": str(household.per_capita_monthly_income),
             "standard_effective_from": standard.effective_from.isoformat() if standard else None,
             "policy_effective_from": policy.effective_from.isoformat(), "on_date": on_date.isoformat()}
    if standard is None:
        if not strict:
            return None, extra
        raise Conflict(_("No standard is in force for this county on %(date)s: an administrator must set one.")
                       % {"date": on_date}, code="no_standard")
    if case.individual_member_id:
        member = case.individual_member
        age = on_date.year - member.birth_date.year - ((on_date.month, on_date.day) <
                                                         (member.birth_date.month, member.birth_date.day))
        figures = calc.Figures(standard=standard.monthly_amount, per_capita_income=per_capita, counted_members=1,
                               elderly=int(age >= 60), minors=int(age < 18),
                               disabled=int(member.is_severely_disabled),
                               seriously_ill=int(member.health == Member.Health.SERIOUS))
        result = calc.individual_benefit(figures, rules)
    else:
        figures = calc.Figures(standard=standard.monthly_amount, per_capita_income=per_capita,
                               counted_members=counted, elderly=household.elderly_count,
                               minors=household.minor_count, disabled=household.disabled_count,
                               seriously_ill=household.seriously_ill_count)
        result = calc.household_benefit(figures, rules)
    inputs = {**result.inputs, **extra, "amount": str(result.amount), "base": str(result.base),
              "surcharges": result.surcharges, "minimum_applied": result.minimum_applied}
    return result, inputs
