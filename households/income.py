"""Per-capita monthly income and asset checks: pure functions over loaded rows and a county policy."""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from households.models import (
    DEFAULT_ALLOWED_VEHICLES,
    DEFAULT_EXCLUDED_INCOME_KINDS,
    Asset,
    IncomeKind,
    IncomePolicy,
)

# DOMAIN.md's surcharge groups: "elderly" is 60 and over. National practice; a county that uses
# another age would make this a policy field.
ELDERLY_AGE = 60
MINOR_AGE = 18
CENT = Decimal("0.01")
EARNINGS_KINDS = (IncomeKind.WAGES, IncomeKind.BUSINESS)


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


@dataclass
class IncomeFigures:
    counted_income: Decimal  # counted gross income per month
    deductions: Decimal
    work_cost_allowance: Decimal
    monthly_counted_income: Decimal  # net: counted - deductions - allowance, never below 0
    counted_members: int
    per_capita_monthly_income: Decimal


def default_policy() -> IncomePolicy:
    return IncomePolicy(work_cost_mode=IncomePolicy.WorkCostMode.PERCENT_OF_EARNINGS, work_cost_percent=Decimal("10"),
                        excluded_income_kinds=list(DEFAULT_EXCLUDED_INCOME_KINDS),
                        allowed_vehicle_types=list(DEFAULT_ALLOWED_VEHICLES))


def compute_income(*, members, incomes, policy: IncomePolicy | None, standard_amount: Decimal | None) -> IncomeFigures:
    """THE per-capita monthly income rule (DOMAIN.md, Eligibility).

    Counted income = items marked counted, of a kind the county counts, of the household or of an
    active counted member. Minus deductible costs (disability / serious illness) and the work-cost
    allowance (percent of wages + business, or percent of the standard per working member), over
    the counted members.
    """
    policy = policy or default_policy()
    excluded = set(policy.excluded_income_kinds or DEFAULT_EXCLUDED_INCOME_KINDS)
    counted_ids = {m.pk for m in members if m.is_active and m.counted}
    active_ids = {m.pk for m in members if m.is_active}
    counted_income = deductions = earnings = Decimal("0")
    workers = set()
    for item in incomes:
        if item.member_id is not None and item.member_id not in active_ids:
            continue
        member_counted = item.member_id is None or item.member_id in counted_ids
        if not member_counted:
            continue
        deductions += item.deductible_costs or Decimal("0")
        if not item.counted or item.kind in excluded:
            continue
        counted_income += item.monthly_amount
        if item.kind in EARNINGS_KINDS:
            earnings += item.monthly_amount
            workers.add(item.member_id or "household")
    percent = Decimal(policy.work_cost_percent or 0) / 100
    if policy.work_cost_mode == IncomePolicy.WorkCostMode.PERCENT_OF_STANDARD:
        allowance = percent * Decimal(standard_amount or 0) * len(workers)
    else:
        allowance = percent * earnings
    allowance = min(allowance, earnings).quantize(CENT, ROUND_HALF_UP)
    net = max(Decimal("0"), counted_income - deductions - allowance).quantize(CENT, ROUND_HALF_UP)
    n = len(counted_ids)
    per_capita = (net / n).quantize(CENT, ROUND_HALF_UP) if n else Decimal("0.00")
    return IncomeFigures(counted_income.quantize(CENT), deductions.quantize(CENT), allowance, net, n, per_capita)


def asset_check_reasons(*, assets, counted_members: int, policy: IncomePolicy | None,
                        standard_amount: Decimal | None) -> list[str]:
    """Each way the assets exceed the county's limits, as a sentence; [] when within limits."""
    policy = policy or default_policy()
    reasons = []
    financial = sum((a.value for a in assets if a.kind in (Asset.Kind.DEPOSITS, Asset.Kind.SECURITIES)),
                    Decimal("0"))
    if standard_amount:
        limit = Decimal(policy.financial_asset_months) * Decimal(standard_amount) * max(counted_members, 1)
        if financial > limit:
            reasons.append(_("Financial assets of %(value)s yuan exceed the limit of %(limit)s yuan "
                             "(%(months)d months of the standard per counted member).")
                           % {"value": financial, "limit": limit.quantize(CENT), "months": policy.financial_asset_months})
    houses = sum(1 for a in assets if a.kind == Asset.Kind.HOUSE)
    if houses > policy.max_houses:
        reasons.append(_("The household has %(n)d houses; at most %(max)d allowed.")
                       % {"n": houses, "max": policy.max_houses})
    allowed = set(policy.allowed_vehicle_types if policy.allowed_vehicle_types else DEFAULT_ALLOWED_VEHICLES)
    for a in assets:
        if a.kind == Asset.Kind.VEHICLE and (a.vehicle_type or "car") not in allowed:
            label = dict(Asset.VehicleType.choices).get(a.vehicle_type or "car")
            reasons.append(_("The household owns a vehicle of a type not allowed: %(type)s.") % {"type": label})
    if not policy.business_registration_allowed and any(a.kind == Asset.Kind.BUSINESS_REGISTRATION for a in assets):
        reasons.append(_("A member holds a business registration."))
    return reasons
