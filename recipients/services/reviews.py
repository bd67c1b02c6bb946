"""Reviews (复核): the daily schedule, change reports, and completing a review."""

from collections import defaultdict
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.divisions import county_code_of, county_division
from accounts.models import Division, Role
from accounts.scoping import require_role
from audit import services as audit
from cases import amounts
from cases import benefit as calc
from cases.models import Case, CaseStatus, Decision
from cases.months import add_months, first_of_month
from cases.selectors import access_case_by_id
from dibao.errors import Conflict, InvalidTransition
from households.models import Member
from recipients.models import BenefitChange, Review, ReviewKind, ReviewOutcome, ReviewStatus
from recipients.selectors import access_review_by_id
from recipients.services.common import check_version, field_error
from recipients.services.exits import case_exit
from recipients.services.policy import policy_for


def next_review_due(*, case: Case, last_anchor: date | None, policy) -> date | None:
    """The date the case's next scheduled review is due: counted from the last review, else the first payment."""
    start = last_anchor or case.first_payment_month
    if start is None:
        return None
    return add_months(start, policy.review_months(case.category))


def reviews_create_due(*, today: date, actor=None) -> int:
    """Create the scheduled reviews that are due on or before `today`. Returns how many were created.

    Idempotent: a case with an open review gets no second one, and the unique (case, due date)
    constraint stops a concurrent run from creating the same review twice.
    """
    open_review = Review.objects.filter(case=OuterRef("pk"), status=ReviewStatus.DUE)
    cases = (Case.objects.filter(status=CaseStatus.ACTIVE, first_payment_month__isnull=False)
             .annotate(has_open=Exists(open_review),
                       last_anchor=Max("reviews__anchor_date", filter=Q(reviews__status=ReviewStatus.COMPLETED)))
             .filter(has_open=False).order_by("division_code", "id"))
    by_county = defaultdict(list)
    for case in cases:
        by_county[county_code_of(case.division_code)].append(case)
    counties = {d.code: d for d in Division.objects.filter(code__in=by_county)}
    created = 0
    for code, county_cases in by_county.items():
        if code not in counties:
            continue
        policy = policy_for(counties[code], today)
        for case in county_cases:
            due = next_review_due(case=case, last_anchor=case.last_anchor, policy=policy)
            if due is None or due > today:
                continue
            try:
                with transaction.atomic():
                    review = Review.objects.create(case=case, division_code=case.division_code,
                                                   kind=ReviewKind.SCHEDULED, due_date=due)
                    audit.record(actor=actor, action="review.scheduled", obj=review,
                                 division_code=case.division_code, after={"case": case.pk, "due_date": due})
            except IntegrityError:
                continue  # another run created it a moment ago
            created += 1
    return created


def review_report_change(*, actor, case: Case, reported_change: str, today: date | None = None) -> Review:
    """A household reports a change: open an unscheduled review (or add to the review already open)."""
    require_role(actor, Role.VILLAGE_STAFF, Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICER)
    reported_change = (reported_change or "").strip()
    if not reported_change:
        raise field_error("reported_change", _("Describe the change the household reported."))
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = access_case_by_id(actor, case.pk, for_update=True)
        if locked.status != CaseStatus.ACTIVE:
            raise InvalidTransition(_("Changes can be reported only for an active recipient case."))
        review = Review.objects.select_for_update().filter(case=locked, status=ReviewStatus.DUE).first()
        if review:
            review.reported_change = (review.reported_change + "\n" + reported_change).strip()
            review.version += 1
            review.save(update_fields=["reported_change", "version"])
        else:
            review = Review.objects.create(case=locked, division_code=locked.division_code,
                                           kind=ReviewKind.CHANGE_REPORTED, due_date=today,
                                           reported_change=reported_change, created_by=actor)
        audit.record(actor=actor, action="review.change_reported", obj=review, division_code=locked.division_code,
                     after={"case": locked.pk, "reported_change": reported_change})
    return review


def recalculate_amount(*, case: Case, verified_per_capita_income: Decimal, on: date) -> tuple[Decimal, dict]:
    """The new monthly amount and every input, from THE benefit calculator (`cases.benefit`).

    The same figures as the decision (county standard and CasePolicy in force on `on`, the
    household's counted members and surcharge counts, individual inclusion for a 单人保 case);
    only the per-capita income is the one the review verified.
    """
    county = county_division(case.division_code)
    standard = calc._standard_in_force(county, on)
    if standard is None:
        raise Conflict(_("No standard is in force for this county on %(date)s: an administrator must set one.")
                       % {"date": on}, code="no_standard")
    policy = calc.policy_in_force(county, on)
    rules = calc.rules_from_policy(policy)
    household = case.household
    if case.individual_member_id:
        member = case.individual_member
        age = on.year - member.birth_date.year - ((on.month, on.day) < (member.birth_date.month, member.birth_date.day))
        figures = calc.Figures(standard=standard.monthly_amount, per_capita_income=verified_per_capita_income,
                               counted_members=1, elderly=int(age >= 60), minors=int(age < 18),
                               disabled=int(member.is_severely_disabled),
                               seriously_ill=int(member.health == Member.Health.SERIOUS))
        result = calc.individual_benefit(figures, rules)
    else:
        figures = calc.Figures(standard=standard.monthly_amount, per_capita_income=verified_per_capita_income,
                               counted_members=household.counted_members, elderly=household.elderly_count,
                               minors=household.minor_count, disabled=household.disabled_count,
                               seriously_ill=household.seriously_ill_count)
        result = calc.household_benefit(figures, rules)
    inputs = {**result.inputs, "income_source": "review", "on_date": on.isoformat(),
              "standard_effective_from": standard.effective_from.isoformat(),
              "policy_effective_from": policy.effective_from.isoformat(), "amount": str(result.amount),
              "base": str(result.base), "surcharges": result.surcharges, "minimum_applied": result.minimum_applied,
              "eligible": result.eligible}
    return (result.amount if result.eligible else Decimal("0")), inputs


def _parse_money(value, field):
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise field_error(field, _("Give an amount in yuan, e.g. 350.00."))
    if amount < 0 or amount.as_tuple().exponent < -2:
        raise field_error(field, _("Give an amount in yuan, e.g. 350.00."))
    return amount


def review_complete(*, actor, review: Review, outcome: str, findings: str = "",
                    verified_per_capita_income=None, version: int | None = None,
                    exit_kind: str = "", exit_reason: str = "", effective_month: date | None = None,
                    amount_to_recover=None, on_poverty_roster: bool | None = None,
                    override_amount=None, override_reason: str = "", override_reason_kind: str = "",
                    today: date | None = None) -> Review:
    """Complete a due review: continue, adjust (recalculated with the benefit calculator) or exit.

    An adjustment that raises the amount (above what the case is paid, above the calculation or above the
    county's threshold: cases.amounts.check_amount) needs a reason of substance and waits, the review still
    due, for a second county officer (`review_confirm_amount`); nothing changes in what is paid until then.
    Above the absolute ceiling it is refused. `override_amount` gives an amount other than the calculation.
    """
    require_role(actor, Role.COUNTY_OFFICER)
    if outcome not in ReviewOutcome.values:
        raise field_error("outcome", _("Choose continue, adjust or exit."))
    findings = (findings or "").strip()
    income = _parse_money(verified_per_capita_income, "verified_per_capita_income")
    override = _parse_money(override_amount, "override_amount")
    today = today or timezone.localdate()
    if outcome == ReviewOutcome.ADJUST:
        if not findings:
            raise field_error("findings", _("An adjustment needs the findings of the visit."))
        if income is None:
            raise field_error("verified_per_capita_income",
                              _("An adjustment needs the verified per-capita monthly income."))
        if override is not None and not (override_reason or "").strip():
            raise field_error("override_reason", _("An amount different from the calculation needs a written reason."))
    with transaction.atomic():
        case = access_case_by_id(actor, review.case_id, for_update=True)
        locked = access_review_by_id(actor, review.pk, for_update=True)
        check_version(locked, version)
        if locked.status != ReviewStatus.DUE:
            raise InvalidTransition(_("This review is %(status)s and cannot be completed again.")
                                    % {"status": locked.get_status_display()})
        if locked.awaiting_second_approval:
            raise Conflict(_("A higher amount from this review is awaiting a second officer's confirmation."),
                           code="awaiting_second_approval")
        if case.status != CaseStatus.ACTIVE:
            raise InvalidTransition(_("The case is %(status)s: only an active recipient case can be reviewed.")
                                    % {"status": case.get_status_display()})
        locked.findings = findings
        locked.verified_per_capita_income = income
        locked.previous_amount = case.monthly_amount
        locked.outcome = outcome
        after = {"outcome": outcome}
        if outcome == ReviewOutcome.ADJUST:
            effective = add_months(first_of_month(today), 1)
            calculated, inputs = recalculate_amount(case=case, verified_per_capita_income=income, on=effective)
            amount = calculated if override is None else override.quantize(Decimal("0.01"))
            if amount is None or amount <= 0:
                raise field_error("outcome", _("The recalculated amount is zero: complete the review with an exit."))
            policy = calc.policy_in_force(county_division(case.division_code), effective)
            reasons, kind = amounts.check_amount(
                policy, standard=Decimal(inputs["standard"]), household_size=case.household.size,
                calculated=calculated, amount=amount, current=case.monthly_amount or Decimal("0"), explain=True,
                reason=override_reason, reason_kind=override_reason_kind)
            if override is not None:
                inputs = {**inputs, "calculated_amount": str(calculated), "override_amount": str(amount)}
            locked.new_amount, locked.calculation = amount, inputs
            if kind:
                locked.amount_reason_kind, locked.amount_reason = kind, (override_reason or "").strip()
            if reasons:
                # A higher amount: the proposal waits for a second officer; the review stays due.
                locked.confirmation, locked.proposed_by = Decision.Confirmation.PENDING, actor
                locked.version += 1
                locked.save()
                audit.record(actor=actor, action="review.amount_proposed", obj=locked,
                             division_code=locked.division_code, before={"monthly_amount": case.monthly_amount},
                             after={"outcome": outcome, "new_amount": amount, "awaiting_second_approval": reasons,
                                    "reason_kind": kind, "reason": locked.amount_reason})
                review.refresh_from_db()
                return review
            _apply_adjustment(actor=actor, case=case, review=locked, effective=effective)
            after |= {"new_amount": amount, "effective_month": effective}
        elif outcome == ReviewOutcome.EXIT:
            case_exit(actor=actor, case=case, kind=exit_kind, reason=exit_reason or findings,
                      effective_month=effective_month or add_months(first_of_month(today), 1),
                      amount_to_recover=amount_to_recover, on_poverty_roster=on_poverty_roster, review=locked)
            after |= {"exit_kind": exit_kind}
        _close(actor=actor, review=locked, today=today, after=after)
    review.refresh_from_db()
    return review


def _apply_adjustment(*, actor, case: Case, review: Review, effective: date) -> None:
    """The new amount takes effect from `effective`: the amount history, the case, one audit event."""
    amount = review.new_amount
    change, created = BenefitChange.objects.get_or_create(
        case=case, effective_month=effective,
        defaults={"division_code": case.division_code, "previous_amount": case.monthly_amount or 0,
                  "amount": amount, "calculation": review.calculation, "review": review, "created_by": actor})
    if not created:
        change.amount, change.calculation, change.review = amount, review.calculation, review
        change.save(update_fields=["amount", "calculation", "review"])
    audit.record(actor=actor, action="case.amount_adjusted", obj=case, division_code=case.division_code,
                 before={"monthly_amount": case.monthly_amount},
                 after={"monthly_amount": amount, "effective_month": effective, "review": review.pk})
    Case.objects.filter(pk=case.pk).update(monthly_amount=amount, version=case.version + 1,
                                           updated_at=timezone.now())


def _close(*, actor, review: Review, today: date, after: dict) -> None:
    review.status = ReviewStatus.COMPLETED
    review.anchor_date = review.due_date if review.kind == ReviewKind.SCHEDULED else today
    review.completed_by = review.proposed_by or actor
    review.completed_at = timezone.now()
    review.version += 1
    review.save()
    audit.record(actor=actor, action="review.completed", obj=review, division_code=review.division_code,
                 before={"status": ReviewStatus.DUE}, after=after | {"status": ReviewStatus.COMPLETED})


def review_confirm_amount(*, actor, review: Review, version: int | None = None, today: date | None = None) -> Review:
    """A second county officer confirms the higher amount a review proposed: it takes effect from the month
    after the confirmation at the earliest, and the review is completed. The proposer cannot confirm (403)."""
    require_role(actor, Role.COUNTY_OFFICER)
    today = today or timezone.localdate()
    with transaction.atomic():
        case = access_case_by_id(actor, review.case_id, for_update=True)
        locked = access_review_by_id(actor, review.pk, for_update=True)
        if not locked.awaiting_second_approval or locked.status != ReviewStatus.DUE:
            raise Conflict(_("No amount of this review is awaiting confirmation."), code="nothing_to_confirm")
        amounts.require_second_officer(locked.proposed_by_id, actor)
        check_version(locked, version)
        if case.status != CaseStatus.ACTIVE:
            raise InvalidTransition(_("The case is %(status)s: only an active recipient case can be reviewed.")
                                    % {"status": case.get_status_display()})
        effective = add_months(first_of_month(today), 1)
        locked.previous_amount = case.monthly_amount
        locked.confirmation, locked.confirmed_by, locked.confirmed_at = (
            Decision.Confirmation.CONFIRMED, actor, timezone.now())
        _apply_adjustment(actor=actor, case=case, review=locked, effective=effective)
        _close(actor=actor, review=locked, today=today,
               after={"outcome": locked.outcome, "new_amount": locked.new_amount, "effective_month": effective,
                      "proposed_by": locked.proposed_by.username, "confirmed_by": actor.username})
    review.refresh_from_db()
    return review
