"""Exits: immediate (death, moved away, fraud, refused work, income far above the line) or gradual."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.divisions import county_division
from accounts.models import Role
from accounts.scoping import require_role
from audit import services as audit
from cases.models import PAID_STATES, Case, CaseStatus, household_paid_flags_refresh
from cases.months import add_months, first_of_month, months_between
from cases.selectors import access_case_by_id
from dibao.errors import InvalidTransition
from recipients.models import GRADUAL_EXIT_KINDS, CaseExit, ExitKind, Recovery, Review, ReviewStatus
from recipients.services.common import check_version, field_error
from recipients.services.policy import household_on_poverty_roster, policy_for


def _case_snapshot(case: Case) -> dict:
    return {"status": case.status, "monthly_amount": case.monthly_amount, "version": case.version}


def case_exit(*, actor, case: Case, kind: str, reason: str, effective_month: date,
              amount_to_recover: Decimal | None = None, on_poverty_roster: bool | None = None,
              review: Review | None = None, version: int | None = None, source: dict | None = None) -> CaseExit:
    """End a recipient case: the single exit service (pages, API, reviews and the workflow call it).

    Immediate kinds close the case; payment stops from `effective_month` (the first month not paid).
    `income_above_line` starts a gradual exit at `effective_month` with the county's schedule
    (the longer one when the household is on the poverty roster); the case closes when it ends.
    `on_poverty_roster=None` reads the members' roster flag (kept by the registry); True/False decides it.
    `source` (the go-live import: file, batch, row) goes into the audit event, so the timeline names it;
    the kind `roster_ended` needs it.
    """
    require_role(actor, Role.COUNTY_OFFICER)
    if kind not in ExitKind.values or (kind == ExitKind.ROSTER_ENDED and not source):
        raise field_error("kind", _("Choose one of the exit reasons."))
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("An exit needs a written reason."))
    if not isinstance(effective_month, date):
        raise field_error("effective_month", _("Give the effective month."))
    effective_month = first_of_month(effective_month)
    if kind == ExitKind.FRAUD:
        try:
            amount_to_recover = Decimal(str(amount_to_recover)) if amount_to_recover not in (None, "") else None
        except (InvalidOperation, ValueError):
            amount_to_recover = Decimal("-1")
        if amount_to_recover is None or amount_to_recover <= 0:
            raise field_error("amount_to_recover", _("A fraud exit records the amount to recover (more than 0)."))
    elif amount_to_recover not in (None, "", 0, Decimal("0")):
        raise field_error("amount_to_recover", _("An amount to recover is recorded only for a fraud exit."))

    with transaction.atomic():
        locked = access_case_by_id(actor, case.pk, for_update=True)
        check_version(locked, version)
        in_gradual_exit = locked.status == CaseStatus.GRADUAL_EXIT and kind not in GRADUAL_EXIT_KINDS
        if locked.status != CaseStatus.ACTIVE and not in_gradual_exit:
            raise InvalidTransition(_("Only an active recipient case can exit (or, during a gradual exit, end "
                                      "immediately); this case is %(status)s.")
                                    % {"status": locked.get_status_display()})
        if locked.first_payment_month and effective_month < first_of_month(locked.first_payment_month):
            raise field_error("effective_month", _("The exit cannot take effect before the first payment month."))
        before = _case_snapshot(locked)
        schedule: list[int] = []
        roster = False
        if in_gradual_exit:
            # Death, fraud, ... during the gradual exit: the rest of the schedule is not paid.
            case_exit_row = CaseExit.objects.select_for_update().get(case=locked)
            before |= {"exit_kind": case_exit_row.kind, "end_month": case_exit_row.end_month}
            end_month = max(case_exit_row.effective_month, min(case_exit_row.end_month, effective_month))
            schedule = case_exit_row.gradual_schedule[:len(case_exit_row.gradual_schedule) - months_between(
                end_month, case_exit_row.end_month)]
            case_exit_row.kind, case_exit_row.end_month, case_exit_row.gradual_schedule = kind, end_month, schedule
            case_exit_row.reason = f"{case_exit_row.reason}\n{reason}"
            case_exit_row.decided_by = actor
            case_exit_row.save(update_fields=["kind", "end_month", "gradual_schedule", "reason", "decided_by"])
            locked.status = CaseStatus.CLOSED
            locked.closed_at = timezone.now()
        elif kind in GRADUAL_EXIT_KINDS:
            roster = household_on_poverty_roster(locked.household) if on_poverty_roster is None else on_poverty_roster
            county = county_division(locked.division_code)
            schedule = policy_for(county, effective_month).gradual_schedule(on_poverty_roster=roster)
            end_month = add_months(effective_month, len(schedule))
            locked.status = CaseStatus.GRADUAL_EXIT
        else:
            end_month = effective_month
            locked.status = CaseStatus.CLOSED
            locked.closed_at = timezone.now()
        locked.exit_reason = reason
        locked.version += 1
        locked.save(update_fields=["status", "closed_at", "exit_reason", "version", "updated_at"])
        if locked.status not in PAID_STATES:
            household_paid_flags_refresh([locked.household_id])
        if not in_gradual_exit:
            case_exit_row = CaseExit.objects.create(
                case=locked, division_code=locked.division_code, kind=kind, reason=reason,
                effective_month=effective_month, gradual_schedule=schedule, on_poverty_roster=roster,
                end_month=end_month, review=review, decided_by=actor,
            )
        # Open reviews have nothing left to decide (the review that led here is completed by its caller).
        open_reviews = Review.objects.filter(case=locked, status=ReviewStatus.DUE)
        if review is not None:
            open_reviews = open_reviews.exclude(pk=review.pk)
        open_reviews.update(status=ReviewStatus.CANCELLED)
        after = _case_snapshot(locked) | {"exit_kind": kind, "effective_month": effective_month,
                                          "end_month": end_month, "gradual_schedule": schedule} | (source or {})
        if kind == ExitKind.FRAUD:
            recovery = Recovery.objects.create(case=locked, case_exit=case_exit_row, division_code=locked.division_code,
                                               amount=amount_to_recover, recorded_by=actor, note=reason)
            after["amount_to_recover"] = recovery.amount
        audit.record(actor=actor, action="case.exit", obj=locked, division_code=locked.division_code,
                     before=before, after=after)
    case.status, case.version, case.closed_at = locked.status, locked.version, locked.closed_at
    return case_exit_row


def gradual_exits_close(*, today: date, actor=None) -> int:
    """Close every gradual-exit case whose schedule has ended by `today`. Idempotent (beat task)."""
    month = first_of_month(today)
    closed = 0
    ids = list(CaseExit.objects.filter(case__status=CaseStatus.GRADUAL_EXIT, end_month__lte=month)
               .values_list("case_id", flat=True))
    for case_id in ids:
        with transaction.atomic():
            locked = Case.objects.select_for_update().get(pk=case_id)
            if locked.status != CaseStatus.GRADUAL_EXIT:
                continue  # closed by someone else meanwhile
            before = _case_snapshot(locked)
            locked.status = CaseStatus.CLOSED
            locked.closed_at = timezone.now()
            locked.version += 1
            locked.save(update_fields=["status", "closed_at", "version", "updated_at"])
            household_paid_flags_refresh([locked.household_id])
            audit.record(actor=actor, action="case.gradual_exit_ended", obj=locked,
                         division_code=locked.division_code, before=before, after=_case_snapshot(locked))
            closed += 1
    return closed
