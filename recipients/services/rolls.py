"""Monthly payment rolls: generate (idempotent, locked), review, finalise (immutable afterwards).

Generation is a Job (`payment_roll_start`): the page and the API answer at once with the job, whose page shows
the progress; the work (`payment_roll_generate`) runs in a Celery worker, or in the embedded mode's job
thread (recipients.tasks.generate_payment_roll, runs_long).
"""

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Division, Level, Role
from accounts.scoping import division_in_scope, require_role
from audit import services as audit
from cases.models import PAID_STATES, Case
from cases.months import first_of_month
from dibao.errors import Conflict, DomainError, InvalidTransition, NotFound, NotPermitted
from households.models import Member
from jobs.models import Job, JobStatus
from jobs.outbox import dispatch
from jobs.services import job_create, job_fail, job_progress, job_start, job_succeed
from recipients.models import BenefitChange, PaymentLine, PaymentRoll, RollStatus
from recipients.payments import payment_for_month
from recipients.selectors import access_roll_by_id
from recipients.services.common import check_version, field_error

ROLL_JOB_KIND = "payment_roll"
PROGRESS_EVERY = 500  # cases between two progress writes


def _lock_county(county: Division) -> None:
    """Serialise generations for one county: PostgreSQL row lock (SQLite locks the whole database on write)."""
    if connection.vendor == "postgresql":
        Division.objects.select_for_update().filter(pk=county.pk).first()


def _payee(case: Case):
    member = case.applicant
    if member is None and getattr(case.household, "heads", None):
        member = case.household.heads[0]
    if member is None:
        return case.household.head_name, ""
    return member.name, member.person.masked_id


def cases_paid_in(county: Division, month: date):
    """The cases that may be paid in `month`: being paid now, or exited with payments running past `month`."""
    return (Case.objects.filter(division_code__startswith=county.prefix, first_payment_month__lte=month)
            .filter(Q(status__in=PAID_STATES) | Q(exit__end_month__gt=month))
            .select_related("household__village", "applicant__person", "exit")
            .prefetch_related(
                Prefetch("benefit_changes", queryset=BenefitChange.objects.order_by("effective_month", "id")),
                Prefetch("household__members",
                         queryset=Member.objects.filter(is_active=True, relationship=Member.Relationship.HEAD)
                         .select_related("person"), to_attr="heads"))
            .order_by("division_code", "id"))


def build_lines(roll: PaymentRoll, progress=None) -> list[PaymentLine]:
    lines = []
    cases = cases_paid_in(roll.county, roll.month)
    total = cases.count() if progress else 0
    for done, case in enumerate(cases, 1):
        if progress and done % PROGRESS_EVERY == 0:
            progress(int(90 * done / max(total, 1)))
        case_exit = getattr(case, "exit", None)  # reverse one-to-one: None when the case has not exited
        payment = payment_for_month(case, roll.month, changes=list(case.benefit_changes.all()), case_exit=case_exit)
        if payment is None:
            continue
        household = case.household
        name, masked = _payee(case)
        lines.append(PaymentLine(
            roll=roll, case=case, household=household, village_code=household.village.code,
            village_name=household.village.name, payee_name=name, payee_id_masked=masked,
            bank_name=household.bank_name, bank_account=household.bank_account,
            full_amount=payment.full_amount, percent=payment.percent, amount=payment.amount))
    return lines


def _checked_month(*, actor, county: Division, month, today: date | None) -> date:
    require_role(actor, Role.COUNTY_OFFICER)
    if not division_in_scope(actor, county):
        raise NotFound()
    if county.level != Level.COUNTY:
        raise field_error("county", _("A payment roll is made for a county."))
    today = today or timezone.localdate()
    if not isinstance(month, date):
        raise field_error("month", _("Give the month as YYYY-MM."))
    month = first_of_month(month)
    if month > first_of_month(today):
        raise field_error("month", _("A payment roll cannot be made for a future month."))
    return month


def _refuse_locked(roll: PaymentRoll) -> None:
    if roll.status != RollStatus.DRAFT:
        raise Conflict(_("The payment roll for %(month)s is %(status)s and can no longer be changed.")
                       % {"month": f"{roll.month:%Y-%m}", "status": roll.get_status_display()},
                       code="roll_locked")


def payment_roll_start(*, actor, county: Division, month: date, today: date | None = None) -> Job:
    """Queue the generation of the roll of `county` for `month` as a job; the caller answers with the job.

    The checks that need no work (role, scope, county, month, a roll no longer a draft) answer at once. A
    generation of the same county and month already queued or running is that job (no second one).
    """
    month = _checked_month(actor=actor, county=county, month=month, today=today)
    params = {"county": county.code, "month": month.isoformat()}
    with transaction.atomic():
        _lock_county(county)
        roll = PaymentRoll.objects.filter(county=county, month=month).first()
        if roll is not None:
            _refuse_locked(roll)
        running = Job.objects.filter(kind=ROLL_JOB_KIND, status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
                                     division_code=county.code, params__month=params["month"]).first()
        if running is not None:
            return running
        job = job_create(actor=actor, kind=ROLL_JOB_KIND, division_code=county.code, params=params)
        dispatch("recipients.tasks.generate_payment_roll", job.pk, job=job)
    return job


def payment_roll_run(*, job_id: int) -> None:
    """The job body: generate the roll the job names, as the officer who asked; idempotent (a finished job
    is not redone, and generating twice gives the same one roll)."""
    if not job_start(job_id=job_id):
        return
    job = Job.objects.select_related("created_by").get(pk=job_id)
    try:
        county = Division.objects.get(code=job.params["county"])
        roll = payment_roll_generate(actor=job.created_by, county=county, month=date.fromisoformat(job.params["month"]),
                                     progress=lambda pct: job_progress(job_id=job_id, progress=pct))
    except DomainError as error:
        job_fail(job_id=job_id, message=str(error.message))
        return
    Job.objects.filter(pk=job_id).update(params={**job.params, "roll": roll.pk})
    job_succeed(job_id=job_id, counts={"households": roll.line_count, "total_amount": str(roll.total_amount)})


def payment_roll_generate(*, actor, county: Division, month: date, today: date | None = None,
                          progress=None) -> PaymentRoll:
    """Create (or regenerate, while a draft) the roll of `county` for `month` (the job's work).

    Two generations of the same month never make two rolls: the county row is locked and
    (county, month) is unique. A reviewed or finalised roll is never changed.
    """
    month = _checked_month(actor=actor, county=county, month=month, today=today)
    with transaction.atomic():
        _lock_county(county)
        roll = PaymentRoll.objects.select_for_update().filter(county=county, month=month).first()
        created = roll is None
        if created:
            try:
                with transaction.atomic():
                    roll = PaymentRoll.objects.create(county=county, month=month, generated_by=actor)
            except IntegrityError:  # SQLite: a concurrent generation got there first
                roll = PaymentRoll.objects.select_for_update().get(county=county, month=month)
                created = False
        _refuse_locked(roll)
        before = {"line_count": roll.line_count, "total_amount": roll.total_amount}
        roll.lines.all().delete()
        lines = build_lines(roll, progress)
        PaymentLine.objects.bulk_create(lines, batch_size=1000)
        roll.line_count = len(lines)
        roll.total_amount = sum((line.amount for line in lines), Decimal("0"))
        roll.generated_by = actor
        roll.generated_at = timezone.now()
        if not created:
            roll.version += 1
        roll.save()
        audit.record(actor=actor, action="payment_roll.generated" if created else "payment_roll.regenerated",
                     obj=roll, division_code=county.code, before=None if created else before,
                     after={"month": month, "line_count": roll.line_count, "total_amount": roll.total_amount})
    return roll


def _advance(*, actor, roll: PaymentRoll, version, expected: str, new_status: str, action: str) -> PaymentRoll:
    require_role(actor, Role.COUNTY_OFFICER)
    with transaction.atomic():
        locked = access_roll_by_id(actor, roll.pk, for_update=True)
        check_version(locked, version)
        if locked.status != expected:
            raise InvalidTransition(_("The payment roll is %(status)s; this action is not allowed now.")
                                    % {"status": locked.get_status_display()})
        if new_status == RollStatus.REVIEWED and locked.generated_by_id == actor.pk:
            raise NotPermitted(_("The roll must be reviewed by someone other than the officer who generated it."))
        now = timezone.now()
        locked.status = new_status
        if new_status == RollStatus.REVIEWED:
            locked.reviewed_by, locked.reviewed_at = actor, now
        else:
            locked.finalised_by, locked.finalised_at = actor, now
        locked.version += 1
        locked.save()
        audit.record(actor=actor, action=action, obj=locked, division_code=locked.county.code,
                     before={"status": expected}, after={"status": new_status, "total_amount": locked.total_amount,
                                                         "line_count": locked.line_count})
    return locked


def payment_roll_review(*, actor, roll: PaymentRoll, version: int | None = None) -> PaymentRoll:
    return _advance(actor=actor, roll=roll, version=version, expected=RollStatus.DRAFT,
                    new_status=RollStatus.REVIEWED, action="payment_roll.reviewed")


def payment_roll_finalise(*, actor, roll: PaymentRoll, version: int | None = None) -> PaymentRoll:
    return _advance(actor=actor, roll=roll, version=version, expected=RollStatus.REVIEWED,
                    new_status=RollStatus.FINALISED, action="payment_roll.finalised")
