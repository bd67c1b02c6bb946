"""Money needs two people and a ceiling (issue 17, item 2).

An approved amount above the calculated benefit, or above the county's second-approval threshold
(CasePolicy.second_approval_above), needs a reason of substance (a kind from Decision.ReasonKind and
at least MIN_REASON_LENGTH characters of text) and a second county officer's confirmation
(the `confirm_amount` row of cases.workflow) before the case becomes active; until then the case stays
awaiting decision, so no payment roll can include it. A county may ask for that confirmation on every
approval (CasePolicy.second_officer_for_every_approval). Above the absolute ceiling
(CasePolicy.absolute_ceiling_factor x the standard x the household size) the amount is refused.
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from cases.models import CaseStatus, Decision

MIN_REASON_LENGTH = 10

# Why a second officer must confirm (recorded in the approval's audit event).
ABOVE_CALCULATION = "above_calculation"
ABOVE_THRESHOLD = "above_threshold"
EVERY_APPROVAL = "every_approval"

AWAITING_LABEL = _("Awaiting second approval")


def absolute_ceiling(policy, standard: Decimal, household_size: int) -> Decimal:
    return (Decimal(policy.absolute_ceiling_factor) * Decimal(standard) * max(household_size, 1)).quantize(
        Decimal("0.01"))


def second_approval_reasons(policy, calculated: Decimal, amount: Decimal) -> list[str]:
    """Why this amount needs a second county officer (empty: one officer decides)."""
    reasons = []
    if amount > calculated:
        reasons.append(ABOVE_CALCULATION)
    if policy.second_approval_above is not None and amount > policy.second_approval_above:
        reasons.append(ABOVE_THRESHOLD)
    if policy.second_officer_for_every_approval:
        reasons.append(EVERY_APPROVAL)
    return reasons


def needs_substantial_reason(reasons: list[str]) -> bool:
    return ABOVE_CALCULATION in reasons or ABOVE_THRESHOLD in reasons


def pending_decision(case) -> Decision | None:
    """The approval waiting for a second officer, if the case has one (read through the case's
    decisions, newest first, so the detail pages' prefetch serves it)."""
    if case.status != CaseStatus.AWAITING_DECISION:
        return None
    return next((d for d in case.decisions.all() if d.confirmation == Decision.Confirmation.PENDING), None)


def cancel_pending(case) -> None:
    """A rejection, a new investigation or a withdrawal replaces an approval not yet confirmed."""
    case.decisions.filter(confirmation=Decision.Confirmation.PENDING).update(
        confirmation=Decision.Confirmation.CANCELLED)
