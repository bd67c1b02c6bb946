"""One function per transition of `cases.workflow.TRANSITIONS` (the table lives there).

Each is `case_<action>(*, actor, case, version=None, ...)`: it locks the row through
`workflow.lock`, validates its own input, applies the change and `workflow.commit`s it (one
audit event), all inside one transaction.
"""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from cases import workflow
from cases.benefit import add_months, month_start, policy_in_force
from cases.models import Category, Decision, HomeVisit, Objection, PublicNotice
from cases.services import benefit_for_case, county_of, missing_items
from cases.working_days import add_working_days
from dibao.errors import Conflict, DomainError, InvalidTransition, NotPermitted


def _invalid(field: str, message) -> DomainError:
    return DomainError(_("Invalid input."), code="invalid", fields={field: [message]})


def _required_text(value, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise _invalid(field, _("A written reason is required."))
    return text


def _not_entrant(case, actor, data):
    """Separation of duties: whoever entered the application cannot decide it."""
    if actor is not None and actor.pk == case.entered_by_id:
        raise NotPermitted(_("You entered this application, so another officer must decide it."),
                           code="separation_of_duties")


def _submit_complete(case, actor, data):
    missing = missing_items(case)
    if missing:
        raise DomainError(_("The application is incomplete."), code="incomplete",
                          fields={"missing": [str(m) for m in missing]})


workflow.register_guard("submit", _submit_complete)
workflow.register_guard("approve", _not_entrant)
workflow.register_guard("reject", _not_entrant)


@transaction.atomic
def case_submit(*, actor, case, version=None):
    case = workflow.lock("submit", actor=actor, case=case, version=version)
    before = workflow.snapshot(case)
    case.submitted_at = timezone.now()
    return workflow.commit("submit", actor=actor, case=case, before=before)


@transaction.atomic
def case_return(*, actor, case, reasons: str = "", version=None):
    case = workflow.lock("return", actor=actor, case=case, version=version)
    reasons = _required_text(reasons, "reasons")
    before = workflow.snapshot(case)
    case.return_reasons = reasons
    return workflow.commit("return", actor=actor, case=case, before=before, extra={"reasons": reasons})


@transaction.atomic
def case_accept(*, actor, case, version=None, on_date: date | None = None):
    case = workflow.lock("accept", actor=actor, case=case, version=version)
    on_date = on_date or workflow.today()
    before = workflow.snapshot(case)
    policy = policy_in_force(county_of(case), on_date)
    deadline = add_working_days(on_date, policy.deadline_days)
    case.accepted_at = timezone.now()
    case.accepted_on = on_date
    case.deadline, case.deadline_uncertain = deadline.date, deadline.uncertain
    case.return_reasons = ""
    return workflow.commit("accept", actor=actor, case=case, before=before)


@transaction.atomic
def case_extend(*, actor, case, reason: str = "", version=None):
    case = workflow.lock("extend", actor=actor, case=case, version=version)
    reason = _required_text(reason, "reason")
    if case.deadline_extended:
        raise Conflict(_("The time limit has already been extended once."), code="already_extended")
    before = workflow.snapshot(case)
    policy = policy_in_force(county_of(case), case.accepted_on)
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


@transaction.atomic
def case_visits(*, actor, case, number: int, visit_date: date, investigators=(), investigator_names=(),
                findings: str = "", verified_monthly_income: Decimal | None = None,
                verified_financial_assets: Decimal | None = None, applicant_signed: bool = False,
                version=None):
    case = workflow.lock("visits", actor=actor, case=case, version=version,
                         data={"number": number, "applicant_signed": bool(applicant_signed)})
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
    from cases.services import declared_financial_assets

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


@transaction.atomic
def case_open_notice(*, actor, case, version=None, on_date: date | None = None):
    case = workflow.lock("open_notice", actor=actor, case=case, version=version)
    on_date = on_date or workflow.today()
    before = workflow.snapshot(case)
    benefit, _inputs = benefit_for_case(case, on_date)
    policy = policy_in_force(county_of(case), on_date)
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


@transaction.atomic
def case_objection(*, actor, case, content: str = "", raised_by: str = "", received_on: date | None = None,
                   version=None):
    case = workflow.lock("objection", actor=actor, case=case, version=version)
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


@transaction.atomic
def case_reinvestigate(*, actor, case, reason: str = "", version=None):
    """Back to investigation for a new round of two visits (a complaint, new information)."""
    case = workflow.lock("reinvestigate", actor=actor, case=case, version=version)
    reason = _required_text(reason, "reason")
    before = workflow.snapshot(case)
    case.investigation_round += 1
    return workflow.commit("reinvestigate", actor=actor, case=case, before=before,
                           extra={"reason": reason, "round": case.investigation_round})


@transaction.atomic
def case_end_notice(*, actor, case, version=None, on_date: date | None = None):
    case = workflow.lock("end_notice", actor=actor, case=case, version=version)
    on_date = on_date or workflow.today()
    notice = _open_notice(case)
    if on_date <= notice.ends_on:
        raise InvalidTransition(_("The notice runs until %(date)s.") % {"date": notice.ends_on},
                                code="notice_running")
    before = workflow.snapshot(case)
    notice.outcome, notice.closed_at = PublicNotice.Outcome.ENDED, timezone.now()
    notice.save(update_fields=["outcome", "closed_at"])
    policy = policy_in_force(county_of(case), on_date)
    step = add_working_days(notice.ends_on, policy.decision_days)
    case.step_deadline, case.step_name = step.date, "decision"
    case.deadline_uncertain = case.deadline_uncertain or step.uncertain
    return workflow.commit("end_notice", actor=actor, case=case, before=before, extra={"notice": notice.pk})


@transaction.atomic
def case_approve(*, actor, case, category: str = "", first_payment_month: date | None = None,
                 override_amount: Decimal | None = None, override_reason: str = "", version=None,
                 on_date: date | None = None, findings_override_reason: str = ""):
    findings_override_reason = (findings_override_reason or "").strip()
    case = workflow.lock("approve", actor=actor, case=case, version=version,
                         data={"findings_override_reason": findings_override_reason})
    on_date = on_date or workflow.today()
    if category not in Category.values:
        raise _invalid("category", _("Choose category A, B or C."))
    earliest = add_months(month_start(on_date), 1)
    month = month_start(first_payment_month) if first_payment_month else earliest
    if month < earliest:
        raise _invalid("first_payment_month",
                       _("Payment starts the month after approval (%(month)s) at the earliest.")
                       % {"month": earliest.strftime("%Y-%m")})
    benefit, inputs = benefit_for_case(case, on_date)
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
    before = workflow.snapshot(case)
    decision = Decision.objects.create(
        case=case, outcome=Decision.Outcome.APPROVED, category=category, calculated_amount=benefit.amount,
        monthly_amount=amount, override_reason=override_reason if override_amount is not None else "",
        first_payment_month=month, inputs=inputs, decided_by=actor, decided_on=on_date,
    )
    case.category, case.monthly_amount, case.first_payment_month = category, amount, month
    case.decided_at, case.decided_by = timezone.now(), actor
    case.step_deadline, case.step_name = None, ""
    extra = {"decision": decision.pk}
    if findings_override_reason:
        extra["findings_override_reason"] = findings_override_reason
    return workflow.commit("approve", actor=actor, case=case, before=before, extra=extra)


@transaction.atomic
def case_reject(*, actor, case, reason: str = "", version=None, on_date: date | None = None):
    case = workflow.lock("reject", actor=actor, case=case, version=version)
    reason = _required_text(reason, "reason")
    on_date = on_date or workflow.today()
    before = workflow.snapshot(case)
    benefit, inputs = benefit_for_case(case, on_date, strict=False)
    decision = Decision.objects.create(case=case, outcome=Decision.Outcome.REJECTED, reason=reason,
                                       calculated_amount=benefit.amount if benefit else None, inputs=inputs,
                                       decided_by=actor, decided_on=on_date)
    case.decided_at, case.decided_by, case.closed_at = timezone.now(), actor, timezone.now()
    case.step_deadline, case.step_name = None, ""
    return workflow.commit("reject", actor=actor, case=case, before=before,
                           extra={"decision": decision.pk, "reason": reason})


@transaction.atomic
def case_withdraw(*, actor, case, reason: str = "", version=None):
    case = workflow.lock("withdraw", actor=actor, case=case, version=version)
    reason = _required_text(reason, "reason")
    before = workflow.snapshot(case)
    case.notices.filter(outcome=PublicNotice.Outcome.OPEN).update(outcome=PublicNotice.Outcome.ENDED,
                                                                 closed_at=timezone.now())
    case.closed_at, case.exit_reason = timezone.now(), reason
    case.step_deadline, case.step_name = None, ""
    return workflow.commit("withdraw", actor=actor, case=case, before=before, extra={"reason": reason})


@transaction.atomic
def case_exit(*, actor, case, reason: str = "", version=None):
    case = workflow.lock("exit", actor=actor, case=case, version=version)
    reason = _required_text(reason, "reason")
    before = workflow.snapshot(case)
    case.closed_at, case.exit_reason = timezone.now(), reason
    return workflow.commit("exit", actor=actor, case=case, before=before, extra={"reason": reason})
