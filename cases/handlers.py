"""One function per transition, each named as the handler of its row in `cases.workflow.TRANSITIONS`.

`workflow.run` calls `case_<action>(*, actor, case, **input)` with the case already locked and checked
(scope, role, state, version, the row's guards) inside its transaction; the handler validates its own
input, applies the change and `workflow.commit`s it (one audit event).
"""

from datetime import date
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.divisions import county_division
from accounts.models import Role
from cases import amounts, workflow
from cases.benefit import policy_in_force
from cases.figures import benefit_for_case, declared_financial_assets
from cases.models import Category, Decision, HomeVisit, Objection, PublicNotice
from cases.months import first_of_month, next_month
from cases.working_days import add_working_days
from dibao.errors import Conflict, DomainError, InvalidTransition


def _invalid(field: str, message) -> DomainError:
    return DomainError(_("Invalid input."), code="invalid", fields={field: [message]})


def _required_text(value, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise _invalid(field, _("A written reason is required."))
    return text


def case_submit(*, actor, case):
    before = workflow.snapshot(case)
    case.submitted_at = timezone.now()
    return workflow.commit("submit", actor=actor, case=case, before=before)


def case_return(*, actor, case, reasons: str = ""):
    reasons = _required_text(reasons, "reasons")
    before = workflow.snapshot(case)
    case.return_reasons = reasons
    return workflow.commit("return", actor=actor, case=case, before=before, extra={"reasons": reasons})


def case_accept(*, actor, case, on_date: date | None = None):
    on_date = on_date or workflow.today()
    before = workflow.snapshot(case)
    policy = policy_in_force(county_division(case.division_code), on_date)
    deadline = add_working_days(on_date, policy.deadline_days)
    case.accepted_at = timezone.now()
    case.accepted_on = on_date
    case.deadline, case.deadline_uncertain = deadline.date, deadline.uncertain
    case.return_reasons = ""
    return workflow.commit("accept", actor=actor, case=case, before=before)


def case_extend(*, actor, case, reason: str = ""):
    reason = _required_text(reason, "reason")
    if case.deadline_extended:
        raise Conflict(_("The time limit has already been extended once."), code="already_extended")
    before = workflow.snapshot(case)
    policy = policy_in_force(county_division(case.division_code), case.accepted_on)
    deadline = add_working_days(case.accepted_on, policy.extended_deadline_days)
    case.deadline, case.deadline_uncertain = deadline.date, deadline.uncertain
    case.deadline_extended, case.extension_reason = True, reason
    return workflow.commit("extend", actor=actor, case=case, before=before, extra={"reason": reason})


def _check_investigators(case, users, names, number):
    names = [n.strip() for n in (names or []) if n and n.strip()]
    user_ids = [u.pk for u in users]
    if len(set(user_ids)) != len(user_ids) or len(set(names)) != len(names):
        raise _invalid("investigators", _("The same person is listed twice as investigator."))
    user_names = {(u.get_full_name() or u.username) for u in users} | {u.username for u in users}
    if any(n in user_names for n in names):
        raise _invalid("investigators", _("The same person is listed twice as investigator."))
    if len(user_ids) + len(names) < 2:
        raise _invalid("investigators", _("A home visit needs at least two distinct investigators."))
    for user in users:
        if (user.role == Role.AUDITOR or not user.is_active or user.division is None
                or not case.division_code.startswith(user.division.prefix)):
            raise _invalid("investigators", _("%(user)s cannot investigate this case.") % {"user": user.username})
    other = case.visits.filter(round=case.investigation_round).exclude(number=number).first()
    if other is not None and case.entered_by_id in user_ids and other.investigators.filter(
            pk=case.entered_by_id).exists():
        raise _invalid("investigators",
                       _("The user who entered the application cannot investigate both visits."))
    if other is not None and case.staff_relative:
        has_county = any(u.role == Role.COUNTY_OFFICER for u in users) or other.investigators.filter(
            role=Role.COUNTY_OFFICER).exists()
        if not has_county:
            raise _invalid("investigators",
                           _("A staff-relative case needs a county officer among the investigators."))
    return names


def case_visits(*, actor, case, number: int, visit_date: date, investigators=(), investigator_names=(),
                findings: str = "", verified_monthly_income: Decimal | None = None,
                verified_financial_assets: Decimal | None = None, applicant_signed: bool = False,
                signed_record=None):
    # `signed_record` (the signed visit record's file, sent with the page's form) is stored by evidence,
    # the row's effect, once the visit exists.
    if number not in (1, 2):
        raise _invalid("number", _("The visit number is 1 or 2."))
    if case.visits.filter(round=case.investigation_round, number=number).exists():
        raise _invalid("number", _("Visit %(n)s of this round is already recorded.") % {"n": number})
    if visit_date > workflow.today():
        raise _invalid("visit_date", _("The visit date cannot be in the future."))
    if not (findings or "").strip():
        raise _invalid("findings", _("Write down the findings."))
    users = list(investigators)
    names = _check_investigators(case, users, investigator_names, number)
    before = workflow.snapshot(case)
    visit = HomeVisit.objects.create(
        case=case, round=case.investigation_round, number=number, visit_date=visit_date,
        investigator_names=names, findings=findings.strip(),
        declared_monthly_income=case.household.monthly_counted_income,
        verified_monthly_income=verified_monthly_income,
        declared_financial_assets=declared_financial_assets(case.household),
        verified_financial_assets=verified_financial_assets, applicant_signed=bool(applicant_signed),
        recorded_by=actor,
    )
    visit.investigators.set(users)
    done = case.visits.filter(round=case.investigation_round).count() == 2
    status = workflow.S.INVESTIGATED if done else case.status
    return workflow.commit("visits", actor=actor, case=case, before=before, status=status,
                           extra={"visit": visit.pk, "round": visit.round, "number": number})


def case_open_notice(*, actor, case, on_date: date | None = None):
    on_date = on_date or workflow.today()
    before = workflow.snapshot(case)
    benefit, _inputs = benefit_for_case(case, on_date)
    policy = policy_in_force(county_division(case.division_code), on_date)
    household = case.household
    notice = PublicNotice.objects.create(
        case=case, starts_on=on_date, ends_on=date.fromordinal(on_date.toordinal() + policy.notice_days - 1),
        days=policy.notice_days,
        applicant_name=(case.applicant.name if case.applicant_id else household.head_name),
        household_size=household.size, proposed_amount=benefit.amount, opened_by=actor,
    )
    case.step_deadline, case.step_name = None, ""
    return workflow.commit("open_notice", actor=actor, case=case, before=before,
                           extra={"notice": notice.pk, "ends_on": notice.ends_on})


def _open_notice(case):
    notice = case.notices.filter(outcome=PublicNotice.Outcome.OPEN).order_by("-id").first()
    if notice is None:
        raise InvalidTransition(_("The case has no open notice."))
    return notice


def case_objection(*, actor, case, content: str = "", raised_by: str = "", received_on: date | None = None):
    content = (content or "").strip()
    if not content:
        raise _invalid("content", _("Write down the objection."))
    received_on = received_on or workflow.today()
    notice = _open_notice(case)
    if received_on > notice.ends_on or workflow.today() > notice.ends_on:
        raise Conflict(_("The notice closed on %(date)s; objections are no longer accepted.")
                       % {"date": notice.ends_on}, code="notice_closed")
    if received_on < notice.starts_on:
        raise _invalid("received_on", _("The objection was received before the notice opened."))
    before = workflow.snapshot(case)
    objection = Objection.objects.create(notice=notice, received_on=received_on, raised_by=raised_by.strip(),
                                         content=content, recorded_by=actor)
    notice.outcome, notice.closed_at = PublicNotice.Outcome.OBJECTED, timezone.now()
    notice.save(update_fields=["outcome", "closed_at"])
    case.investigation_round += 1
    return workflow.commit("objection", actor=actor, case=case, before=before,
                           extra={"objection": objection.pk, "round": case.investigation_round})


def case_reinvestigate(*, actor, case, reason: str = ""):
    """Back to investigation for a new round of two visits (a complaint, new information)."""
    reason = _required_text(reason, "reason")
    before = workflow.snapshot(case)
    amounts.cancel_pending(case)
    case.investigation_round += 1
    return workflow.commit("reinvestigate", actor=actor, case=case, before=before,
                           extra={"reason": reason, "round": case.investigation_round})


def case_end_notice(*, actor, case, on_date: date | None = None):
    on_date = on_date or workflow.today()
    notice = _open_notice(case)
    if on_date <= notice.ends_on:
        raise InvalidTransition(_("The notice runs until %(date)s.") % {"date": notice.ends_on},
                                code="notice_running")
    before = workflow.snapshot(case)
    notice.outcome, notice.closed_at = PublicNotice.Outcome.ENDED, timezone.now()
    notice.save(update_fields=["outcome", "closed_at"])
    policy = policy_in_force(county_division(case.division_code), on_date)
    step = add_working_days(notice.ends_on, policy.decision_days)
    case.step_deadline, case.step_name = step.date, "decision"
    case.deadline_uncertain = case.deadline_uncertain or step.uncertain
    return workflow.commit("end_notice", actor=actor, case=case, before=before, extra={"notice": notice.pk})


def _approved_amount(case, policy, benefit, inputs, override_amount, override_reason, override_reason_kind):
    """(amount, reasons a second officer must confirm, reason text, reason kind) of an approval."""
    amount = benefit.amount
    if override_amount is not None:
        override_reason = (override_reason or "").strip()
        if not override_reason:
            raise _invalid("override_reason", _("An amount different from the calculation needs a written reason."))
        if override_amount <= 0:
            raise _invalid("override_amount", _("The amount must be more than zero."))
        amount = Decimal(override_amount).quantize(Decimal("0.01"))
    elif not benefit.eligible:
        raise Conflict(_("The calculated benefit is zero (income reaches the standard): reject, or give an "
                         "amount with a written reason."), code="not_eligible")
    reasons, kind = amounts.check_amount(
        policy, standard=Decimal(inputs["standard"]), household_size=case.household.size,
        calculated=benefit.amount, amount=amount, explain=override_amount is not None, reason=override_reason,
        reason_kind=override_reason_kind)
    reason = override_reason if override_amount is not None else ""
    return amount, reasons, reason, kind


def case_approve(*, actor, case, category: str = "", first_payment_month: date | None = None,
                 override_amount: Decimal | None = None, override_reason: str = "", override_reason_kind: str = "",
                 on_date: date | None = None, findings_override_reason: str = ""):
    findings_override_reason = (findings_override_reason or "").strip()
    on_date = on_date or workflow.today()
    if category not in Category.values:
        raise _invalid("category", _("Choose category A, B or C."))
    earliest = next_month(on_date)
    month = first_of_month(first_payment_month) if first_payment_month else earliest
    if month < earliest:
        raise _invalid("first_payment_month",
                       _("Payment starts the month after approval (%(month)s) at the earliest.")
                       % {"month": earliest.strftime("%Y-%m")})
    benefit, inputs = benefit_for_case(case, on_date)
    policy = policy_in_force(county_division(case.division_code), on_date)
    amount, reasons, reason, kind = _approved_amount(case, policy, benefit, inputs, override_amount,
                                                     override_reason, override_reason_kind)
    before = workflow.snapshot(case)
    decision = Decision.objects.create(
        case=case, outcome=Decision.Outcome.APPROVED, category=category, calculated_amount=benefit.amount,
        monthly_amount=amount, override_reason=reason, override_reason_kind=kind,
        confirmation=Decision.Confirmation.PENDING if reasons else Decision.Confirmation.NOT_NEEDED,
        first_payment_month=month, inputs=inputs, decided_by=actor, decided_on=on_date,
    )
    extra = {"decision": decision.pk}
    if findings_override_reason:
        extra["findings_override_reason"] = findings_override_reason
    if reasons:
        # Nothing is paid yet: the case stays awaiting decision until another county officer confirms.
        extra |= {"awaiting_second_approval": reasons, "amount": str(amount), "reason_kind": kind}
        return workflow.commit("approve", actor=actor, case=case, before=before, extra=extra)
    _apply_approval(case, decision)
    return workflow.commit("approve", actor=actor, case=case, before=before, status=workflow.S.ACTIVE, extra=extra)


def _apply_approval(case, decision):
    case.category, case.monthly_amount = decision.category, decision.monthly_amount
    case.first_payment_month = decision.first_payment_month
    case.decided_at, case.decided_by = timezone.now(), decision.decided_by
    case.step_deadline, case.step_name = None, ""


def case_confirm_amount(*, actor, case, on_date: date | None = None):
    """The second county officer confirms the pending approval (guards: another officer, not the entrant)."""
    on_date = on_date or workflow.today()
    decision = amounts.pending_decision(case)
    before = workflow.snapshot(case)
    # Payment starts the month after the approval is complete at the earliest.
    decision.first_payment_month = max(decision.first_payment_month, next_month(on_date))
    decision.confirmation, decision.confirmed_by, decision.confirmed_at = (
        Decision.Confirmation.CONFIRMED, actor, timezone.now())
    decision.save(update_fields=["first_payment_month", "confirmation", "confirmed_by", "confirmed_at"])
    _apply_approval(case, decision)
    return workflow.commit("confirm_amount", actor=actor, case=case, before=before,
                           extra={"decision": decision.pk, "approved_by": decision.decided_by.username,
                                  "amount": str(decision.monthly_amount)})


def case_reject(*, actor, case, reason: str = "", on_date: date | None = None):
    reason = _required_text(reason, "reason")
    on_date = on_date or workflow.today()
    before = workflow.snapshot(case)
    amounts.cancel_pending(case)
    benefit, inputs = benefit_for_case(case, on_date, strict=False)
    decision = Decision.objects.create(case=case, outcome=Decision.Outcome.REJECTED, reason=reason,
                                       calculated_amount=benefit.amount if benefit else None, inputs=inputs,
                                       decided_by=actor, decided_on=on_date)
    case.decided_at, case.decided_by, case.closed_at = timezone.now(), actor, timezone.now()
    case.step_deadline, case.step_name = None, ""
    return workflow.commit("reject", actor=actor, case=case, before=before,
                           extra={"decision": decision.pk, "reason": reason})


def case_withdraw(*, actor, case, reason: str = ""):
    reason = _required_text(reason, "reason")
    before = workflow.snapshot(case)
    amounts.cancel_pending(case)
    case.notices.filter(outcome=PublicNotice.Outcome.OPEN).update(outcome=PublicNotice.Outcome.ENDED,
                                                                 closed_at=timezone.now())
    case.closed_at, case.exit_reason = timezone.now(), reason
    case.step_deadline, case.step_name = None, ""
    return workflow.commit("withdraw", actor=actor, case=case, before=before, extra={"reason": reason})
