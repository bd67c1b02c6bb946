"""The benefit calculator: pure functions over plain figures, plus the look-ups that feed them.

monthly benefit = (standard - per-capita monthly income) x counted members
                  + surcharges (a % of the standard per elderly / minor / severely disabled /
                    seriously ill member), then the minimum payment, then rounding.
Individual inclusion (单人保) pays one member a % of the standard (>= 60%) plus that member's
surcharges. Every figure that went in is returned in `inputs` so a decision can be reproduced.
"""

from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from cases.models import CasePolicy
from households.selectors import standard_in_force

RULES_VERSION = "benefit-2026.1"
CENT = Decimal("0.01")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class Rules:
    """The county configuration the calculation needs (mirrors CasePolicy; defaults = model defaults)."""

    elderly_surcharge_percent: Decimal = Decimal("10")
    minor_surcharge_percent: Decimal = Decimal("10")
    disabled_surcharge_percent: Decimal = Decimal("20")
    ill_surcharge_percent: Decimal = Decimal("20")
    minimum_payment: Decimal = Decimal("50")
    rounding: str = "yuan_up"
    individual_inclusion_percent: Decimal = Decimal("60")


@dataclass(frozen=True)
class Figures:
    standard: Decimal
    per_capita_income: Decimal
    counted_members: int
    elderly: int = 0
    minors: int = 0
    disabled: int = 0
    seriously_ill: int = 0


@dataclass
class Benefit:
    amount: Decimal
    base: Decimal
    surcharges: dict = field(default_factory=dict)
    minimum_applied: bool = False
    eligible: bool = True
    inputs: dict = field(default_factory=dict)


def round_amount(value: Decimal, rounding: str) -> Decimal:
    if rounding == "yuan_up":
        return value.quantize(Decimal("1"), rounding=ROUND_CEILING).quantize(CENT)
    if rounding == "yuan_half_up":
        return value.quantize(Decimal("1"), rounding=ROUND_HALF_UP).quantize(CENT)
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _surcharges(figures: Figures, rules: Rules) -> dict:
    pct = {
        "elderly": (figures.elderly, rules.elderly_surcharge_percent),
        "minors": (figures.minors, rules.minor_surcharge_percent),
        "disabled": (figures.disabled, rules.disabled_surcharge_percent),
        "seriously_ill": (figures.seriously_ill, rules.ill_surcharge_percent),
    }
    return {key: figures.standard * Decimal(count) * Decimal(percent) / HUNDRED
            for key, (count, percent) in pct.items() if count}


def _finish(base: Decimal, surcharges: dict, rules: Rules, inputs: dict, eligible: bool) -> Benefit:
    if not eligible:
        return Benefit(amount=Decimal("0.00"), base=Decimal("0.00"), eligible=False, inputs=inputs)
    total = base + sum(surcharges.values(), Decimal("0"))
    minimum_applied = total < rules.minimum_payment
    if minimum_applied:
        total = Decimal(rules.minimum_payment)
    return Benefit(
        amount=round_amount(total, rules.rounding), base=base.quantize(CENT),
        surcharges={k: str(v.quantize(CENT)) for k, v in surcharges.items()},
        minimum_applied=minimum_applied, eligible=True, inputs=inputs,
    )


def _inputs(figures: Figures, rules: Rules, kind: str) -> dict:
    data = {"kind": kind, "rules_version": RULES_VERSION, **asdict(figures), "rules": asdict(rules)}
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in data.items()} | {
        "rules": {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(rules).items()}}


def household_benefit(figures: Figures, rules: Rules) -> Benefit:
    """The household's monthly benefit; zero and not eligible when income reaches the standard."""
    gap = figures.standard - figures.per_capita_income
    eligible = gap > 0 and figures.counted_members > 0
    base = gap * Decimal(figures.counted_members)
    return _finish(base, _surcharges(figures, rules), rules, _inputs(figures, rules, "household"), eligible)


def individual_benefit(figures: Figures, rules: Rules) -> Benefit:
    """单人保: one member (figures' counts describe that member only) of a near-poor household.

    Eligible when per-capita income is under 1.5 x the standard (DOMAIN.md).
    """
    eligible = figures.per_capita_income < figures.standard * Decimal("1.5")
    base = figures.standard * Decimal(rules.individual_inclusion_percent) / HUNDRED
    return _finish(base, _surcharges(figures, rules), rules, _inputs(figures, rules, "individual"), eligible)


# --- look-ups (database) -----------------------------------------------------------------------


def _standard_in_force(county, on_date: date):
    return standard_in_force(county, on_date)


def policy_in_force(county, on_date: date):
    """The county's CasePolicy in force on the date, or an unsaved one with the defaults."""
    policy = (CasePolicy.objects.filter(county=county, effective_from__lte=on_date)
              .order_by("-effective_from").first())
    return policy or CasePolicy(county=county, effective_from=date(2000, 1, 1))


def rules_from_policy(policy) -> Rules:
    return Rules(**{name: getattr(policy, name) for name in Rules.__dataclass_fields__})
