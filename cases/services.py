"""Writes on cases that are not workflow transitions (entry and draft edits, the notice sweep),
and the figures the transitions need. Transitions themselves: `cases.transitions`."""

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from accounts.models import Division, Role
from accounts.scoping import require_role, scope_queryset
from audit.services import changed_fields, record
from cases import benefit as calc
from cases.models import OPEN_STATES, Case, CaseStatus, PublicNotice
from cases.selectors import access_case_by_id
from dibao.errors import Conflict, DomainError, InvalidTransition, NotPermitted
from households.models import Asset, Household, Member

ENTRY_ROLES = (Role.VILLAGE_STAFF, Role.TOWNSHIP_STAFF)
DRAFT_FIELDS = ("applicant", "reason", "authorisation_signed", "authorisation_date", "staff_relative",
                "staff_relative_relation", "staff_relative_to", "individual_member")


def county_of(case: Case) -> Division:
    return Division.objects.get(code=case.division_code[:6] + "000000")


def _fields_error(field, message):
    return DomainError(_("Invalid input."), code="invalid", fields={field: [message]})


def _check_draft_fields(household: Household, data: dict) -> None:
    for field in ("applicant", "individual_member"):
        member = data.get(field)
        if member is not None and (member.household_id != household.pk or not member.is_active):
            raise _fields_error(field, _("Choose an active member of this household."))
    if data.get("authorisation_signed") and not data.get("authorisation_date"):
        raise _fields_error("authorisation_date", _("Give the date the authorisation was signed."))
    if data.get("authorisation_date") and data["authorisation_date"] > date.today():
        raise _fields_error("authorisation_date", _("The date cannot be in the future."))
    if data.get("staff_relative") and not (data.get("staff_relative_relation") and data.get("staff_relative_to")):
        raise _fields_error("staff_relative_relation",
                            _("A staff-relative declaration names the relation and the staff member."))


@transaction.atomic
def case_create(*, actor, household: Household, **data) -> Case:
    """Village entry: a draft application for a household in the user's area."""
    require_role(actor, *ENTRY_ROLES)
    if not scope_queryset(actor, Household.objects.filter(pk=household.pk)).exists():
        raise _fields_error("household", _("This household is not in your area."))
    data = {k: v for k, v in data.items() if k in DRAFT_FIELDS}
    _check_draft_fields(household, data)
    if Case.objects.filter(household=household, status__in=OPEN_STATES).exists():
        raise Conflict(_("This household already has an open case."), code="open_case_exists")
    try:
        with transaction.atomic():
            case = Case.objects.create(household=household, division_code=household.division_code,
                                       entered_by=actor, **data)
    except IntegrityError:
        raise Conflict(_("This household already has an open case."), code="open_case_exists") from None
    record(actor=actor, action="case.create", obj=case, division_code=case.division_code,
           after={"household": household.pk, **{k: data.get(k) for k in DRAFT_FIELDS if k in data}})
    return case


@transaction.atomic
def case_update(*, actor, case: Case, version: int | None = None, **data) -> Case:
    """Edit the application while it is a draft (entry or after a return)."""
    require_role(actor, *ENTRY_ROLES)
    locked = access_case_by_id(actor, case.pk, for_update=True)
    if locked.status != CaseStatus.DRAFT:
        raise InvalidTransition(_("Only a draft application can be edited."))
    if version is not None and int(version) != locked.version:
        from dibao.errors import StaleVersion

        raise StaleVersion()
    data = {k: v for k, v in data.items() if k in DRAFT_FIELDS}
    merged = {f: getattr(locked, f) for f in DRAFT_FIELDS} | data
    _check_draft_fields(locked.household, merged)
    before = {f: getattr(locked, f) for f in DRAFT_FIELDS}
    for key, value in data.items():
        setattr(locked, key, value)
    locked.version += 1
    locked.save()
    old, new = changed_fields({k: getattr(v, "pk", v) for k, v in before.items()},
                              {k: getattr(getattr(locked, k), "pk", getattr(locked, k)) for k in DRAFT_FIELDS})
    record(actor=actor, action="case.update", obj=locked, division_code=locked.division_code, before=old, after=new)
    return locked


# Other apps add what they require before submission (evidence: the county's required documents). The case
# page lists them with the items below; each app still refuses the submission through its own guard.
SUBMIT_CHECKLIST: list = []


def missing_for_submission(case: Case) -> list:
    """Everything still missing before submission, for the case page: the items below and other apps'."""
    return missing_items(case) + [item for provider in SUBMIT_CHECKLIST for item in provider(case)]


def missing_items(case: Case) -> list:
    """What is still missing before the application can be submitted (empty when complete)."""
    household = case.household
    members = list(household.members.filter(is_active=True))
    missing = []
    if not members:
        missing.append(_("no members recorded"))
    if not any(m.relationship == Member.Relationship.HEAD for m in members):
        missing.append(_("no head of household"))
    if not household.incomes.exists():
        missing.append(_("no income recorded (record zero income explicitly)"))
    if not household.bank_account:
        missing.append(_("no bank account"))
    if not case.applicant_id:
        missing.append(_("no applicant chosen"))
    if not case.reason.strip():
        missing.append(_("no reason for applying"))
    if not (case.authorisation_signed and case.authorisation_date):
        missing.append(_("no signed authorisation for information checks"))
    if case.staff_relative and not (case.staff_relative_relation and case.staff_relative_to):
        missing.append(_("staff-relative declaration incomplete"))
    return missing


def declared_financial_assets(household: Household):
    return household.assets.filter(kind__in=[Asset.Kind.DEPOSITS, Asset.Kind.SECURITIES]).aggregate(
        total=Sum("value"))["total"] or 0


def _verified_visit(case: Case):
    """The latest visit (round, then number) with a verified income; from the visits already
    prefetched with the case (the case page and API detail) when there are, else one query."""
    prefetched = getattr(case, "_prefetched_objects_cache", {}).get("visits")
    if prefetched is not None:
        verified = [v for v in prefetched if v.verified_monthly_income is not None]
        return max(verified, key=lambda v: (v.round, v.number), default=None)
    return (case.visits.filter(verified_monthly_income__isnull=False).order_by("-round", "-number").first())


def benefit_for_case(case: Case, on_date: date, *, strict: bool = True):
    """(Benefit, inputs) for the case on the date, verified income first. Non-strict returns
    (None, inputs) when no standard is configured (a rejection needs no amount)."""
    household = case.household
    county = county_of(case)
    standard = calc._standard_in_force(county, on_date)
    policy = calc.policy_in_force(county, on_date)
    rules = calc.rules_from_policy(policy)
    visit = _verified_visit(case)
    counted = household.counted_members
    if visit is not None and counted:
        per_capita = (visit.verified_monthly_income / counted).quantize(calc.CENT)
        source = "verified"
    else:
        per_capita, source = household.per_capita_monthly_income, "declared"
    extra = {"income_source": source, "visit": visit.pk if visit else None,
             "declared_per_capita_income": str(household.per_capita_monthly_income),
             "standard_effective_from": standard.effective_from.isoformat() if standard else None,
             "policy_effective_from": policy.effective_from.isoformat(), "on_date": on_date.isoformat()}
    if standard is None:
        if not strict:
            return None, extra
        raise Conflict(_("No standard is in force for this county on %(date)s: an administrator must set one.")
                       % {"date": on_date}, code="no_standard")
    if case.individual_member_id:
        member = case.individual_member
        age = on_date.year - member.birth_date.year - ((on_date.month, on_date.day) <
                                                         (member.birth_date.month, member.birth_date.day))
        figures = calc.Figures(standard=standard.monthly_amount, per_capita_income=per_capita, counted_members=1,
                               elderly=int(age >= 60), minors=int(age < 18),
                               disabled=int(member.is_severely_disabled),
                               seriously_ill=int(member.health == Member.Health.SERIOUS))
        result = calc.individual_benefit(figures, rules)
    else:
        figures = calc.Figures(standard=standard.monthly_amount, per_capita_income=per_capita,
                               counted_members=counted, elderly=household.elderly_count,
                               minors=household.minor_count, disabled=household.disabled_count,
                               seriously_ill=household.seriously_ill_count)
        result = calc.household_benefit(figures, rules)
    inputs = {**result.inputs, **extra, "amount": str(result.amount), "base": str(result.base),
              "surcharges": result.surcharges, "minimum_applied": result.minimum_applied}
    return result, inputs


def notices_close_due(today: date | None = None) -> int:
    """Close every notice whose period is over with no objection: the case awaits decision."""
    from cases.workflow import run
    from cases.workflow import today as _today

    today = today or _today()
    case_ids = list(PublicNotice.objects.filter(outcome=PublicNotice.Outcome.OPEN, ends_on__lt=today,
                                                case__status=CaseStatus.IN_NOTICE)
                    .values_list("case_id", flat=True))
    closed = 0
    for case_id in case_ids:
        try:
            run("end_notice", actor=None, case=case_id, on_date=today)
            closed += 1
        except (InvalidTransition, NotPermitted):
            continue  # someone else moved it meanwhile
    return closed


def close_notice_if_due(case: Case, today: date | None = None) -> Case:
    """Called when a user opens a case: a notice that is over moves the case on before it is shown."""
    from cases.workflow import run
    from cases.workflow import today as _today

    today = today or _today()
    if case.status != CaseStatus.IN_NOTICE:
        return case
    if not PublicNotice.objects.filter(case=case, outcome=PublicNotice.Outcome.OPEN, ends_on__lt=today).exists():
        return case
    try:
        return run("end_notice", actor=None, case=case.pk, on_date=today)
    except InvalidTransition:
        return Case.objects.get(pk=case.pk)
