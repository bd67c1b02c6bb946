"""Money needs two people and a ceiling (issue 17, item 2).

An approved amount above the calculated benefit, or above the county's second-approval threshold
(CasePolicy.second_approval_above), needs a reason of substance (a kind from Decision.ReasonKind and
at least MIN_REASON_LENGTH characters of text) and a second county officer's confirmation
(the `confirm_amount` row of cases.workflow) before the case becomes active; until then the case stays
awaiting decision, so no payment roll can include it. A county may ask for that confirmation on every
approval (CasePolicy.second_officer_for_every_approval). Above the absolute ceiling
(CasePolicy.absolute_ceiling_factor x the standard x the household size) the amount is refused.

A review that raises the amount a recipient is paid (recipients.services.reviews) goes through the same
control (`check_amount`, `require_second_officer`): a reason of substance and a second officer before the
new amount takes effect or reaches a payment roll.
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from cases.models import CaseStatus, Decision
from dibao.errors import DomainError, NotPermitted

MIN_REASON_LENGTH = 10

# Why a second officer must confirm (recorded in the approval's audit event).
ABOVE_CALCULATION = "above_calculation"
ABOVE_THRESHOLD = "above_threshold"
EVERY_APPROVAL = "every_approval"
RAISES_AMOUNT = "raises_amount"  # a review: more than the case is paid now

AWAITING_LABEL = _("Awaiting second approval")


def absolute_ceiling(policy, standard: Decimal, household_size: int) -> Decimal:
    return (Decimal(policy.absolute_ceiling_factor) * Decimal(standard) * max(household_size, 1)).quantize(
        Decimal("0.01"))


def second_approval_reasons(policy, calculated: Decimal, amount: Decimal, *,
                            current: Decimal | None = None) -> list[str]:
    """Why this amount needs a second county officer (empty: one officer decides). `current`: the amount
    the case is paid now, given for a review (a county's "every approval" rule is about approvals)."""
    reasons = []
    if amount > calculated:
        reasons.append(ABOVE_CALCULATION)
    if current is not None and amount > current:
        reasons.append(RAISES_AMOUNT)
    if policy.second_approval_above is not None and amount > policy.second_approval_above:
        reasons.append(ABOVE_THRESHOLD)
    if current is None and policy.second_officer_for_every_approval:
        reasons.append(EVERY_APPROVAL)
    return reasons


def needs_substantial_reason(reasons: list[str]) -> bool:
    return bool({ABOVE_CALCULATION, ABOVE_THRESHOLD, RAISES_AMOUNT} & set(reasons))


def _invalid(field: str, message) -> DomainError:
    return DomainError(_("Invalid input."), code="invalid", fields={field: [message]})


def check_amount(policy, *, standard: Decimal, household_size: int, calculated: Decimal, amount: Decimal,
                 current: Decimal | None = None, explain: bool, reason: str, reason_kind: str) -> tuple[list[str], str]:
    """The control of a decided amount, for approvals and reviews alike.

    Refuses an amount above the absolute ceiling (400 above_absolute_ceiling); returns the reasons a
    second officer must confirm it and the kind of reason, after checking, when `explain` (an amount
    the officer gave, or a review's) and the amount needs one, a reason of substance: a kind from
    Decision.ReasonKind and at least MIN_REASON_LENGTH characters (400 naming the field).
    """
    ceiling = absolute_ceiling(policy, Decimal(standard), household_size)
    if amount > ceiling:
        raise DomainError(_("The amount is above the absolute ceiling of %(ceiling)s yuan a month "
                            "(%(factor)s x the standard x the household size).")
                          % {"ceiling": ceiling, "factor": policy.absolute_ceiling_factor},
                          code="above_absolute_ceiling", fields={"override_amount": [_("Above the ceiling.")]})
    reasons = second_approval_reasons(policy, calculated, amount, current=current)
    kind = ""
    if explain and needs_substantial_reason(reasons):
        if reason_kind not in Decision.ReasonKind.values:
            raise _invalid("override_reason_kind", _("Choose the kind of reason for the higher amount."))
        if len((reason or "").strip()) < MIN_REASON_LENGTH:
            raise _invalid("override_reason", _("Explain the higher amount in at least %(n)s characters.")
                           % {"n": MIN_REASON_LENGTH})
        kind = reason_kind
    return reasons, kind


def require_second_officer(proposed_by_id: int | None, actor) -> None:
    """Two people: whoever decided an amount does not also confirm it (403 second_officer)."""
    if actor is not None and actor.pk == proposed_by_id:
        raise NotPermitted(_("Two people: you approved this amount, so another county officer must confirm it."),
                           code="second_officer")


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
