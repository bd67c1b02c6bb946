"""What a case is paid in a month: pure functions over the case, its amount history and its exit.

Used by the payment-roll generation and by the pages that show a recipient's payments, so the
rule is written once: paid from the first payment month; the amount in force that month (the
latest BenefitChange effective on or before it, else the approved amount); during a gradual exit
the schedule's percentage; nothing from the exit's end month on.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from cases.months import first_of_month, months_between

CENT = Decimal("0.01")


@dataclass(frozen=True)
class MonthPayment:
    full_amount: Decimal
    percent: int
    amount: Decimal


def amount_in_force(case, month: date, changes) -> Decimal | None:
    """The full monthly amount in force in `month`. `changes` are the case's BenefitChanges (any order)."""
    ordered = sorted(changes, key=lambda c: (c.effective_month, c.pk or 0))
    in_force = [c for c in ordered if c.effective_month <= month]
    if in_force:
        return in_force[-1].amount
    if ordered:
        return ordered[0].previous_amount
    return case.monthly_amount


def payment_for_month(case, month: date, *, changes, case_exit) -> MonthPayment | None:
    """The payment due for `month`, or None when the case is not paid that month."""
    month = first_of_month(month)
    if case.first_payment_month is None or month < first_of_month(case.first_payment_month):
        return None
    if case_exit is not None and month >= case_exit.end_month:
        return None
    full = amount_in_force(case, month, changes)
    if full is None or full <= 0:
        return None
    percent = 100
    if case_exit is not None and case_exit.gradual_schedule and month >= case_exit.effective_month:
        percent = int(case_exit.gradual_schedule[months_between(case_exit.effective_month, month)])
    amount = (full * percent / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)
    return MonthPayment(full_amount=full, percent=percent, amount=amount)
