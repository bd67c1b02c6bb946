"""The case workflow: one table of transitions and the runner that fires them.

Read TRANSITIONS top to bottom. Each row says everything a transition is: the action, the states it
leaves, the roles that may fire it, the state it reaches, its guards (checks that refuse it), its
handler (the function that applies it) and, when another app's page performs it, that page. Guards
and handlers are dotted paths resolved when the transition runs, so the row can name what evidence,
overlaps and recipients own without cases importing them; `cases/checks.py` (a Django system check)
verifies that every path imports and is callable.

Every transition: scope (404) -> role (403) -> lock the row -> state (409 invalid_transition) ->
version (409 stale_version) -> guards (400/403/409) -> handler (its own input, apply, `commit`: one
audit event), all in one transaction (`run`).

Why a plain table rather than django-fsm-2: the rules here are data the pages and API read (which
buttons to show, where they lead), transitions need row locks, version checks and one audit event
each - a small explicit runner does that in a few lines, with nothing hidden in decorators or
model-level magic.

The layout of cases/, each module importing only those above it:
    models.py        the tables and the state groups
    benefit.py       the benefit calculator (pure) and the policy look-ups that feed it
    working_days.py  the working-day calendar (time limits)
    figures.py       a case's county, declared assets and benefit, read from the database
    amounts.py       money needs two people and a ceiling: when a second officer confirms an approval
    checklists.py    what an application still lacks before submission
    workflow.py      this table and its runner (lock, commit, run)
    guards.py        the table's guards owned by cases (evidence/ and overlaps/ keep theirs)
    handlers.py      one function per transition, named by the table
    services.py      writes that are not transitions: entry and draft edits
    sweeps.py        what the clock moves: notices whose period is over
    selectors.py, views.py, forms.py, api/, tasks.py, panels.py: reads and entry points
"""

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.scoping import scope_queryset
from audit.services import record
from cases.amounts import pending_decision
from cases.models import (
    ACCEPTED_PENDING_STATES,
    PAID_STATES,
    PENDING_STATES,
    Case,
    CaseStatus,
    household_paid_flags_refresh,
)
from dibao.errors import InvalidTransition, NotPermitted, StaleVersion

S = CaseStatus
VILLAGE, TOWNSHIP, COUNTY = Role.VILLAGE_STAFF, Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICER
SYSTEM = "system"  # the scheduler may fire this transition without a user


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple
    roles: tuple
    target: str | None  # None: the handler decides (a visit may or may not complete the round)
    label: str
    style: str = "primary"
    handler: str = ""  # dotted path: (*, actor, case, **input) -> Case, given the locked case
    guards: tuple[str, ...] = ()  # dotted paths: (case, actor, input) that raise a DomainError to refuse
    page: str | None = None  # URL name (args: case id) of another app's page that performs the action
    checklist: tuple[str, ...] = ()  # dotted paths: (case) -> labels still missing, listed on the case page
    # dotted paths: (case, actor, input) run after the handler in the same transaction: another app's part
    # of the transition (evidence stores the signed visit record sent with the visit)
    effects: tuple[str, ...] = ()

    def paths(self) -> tuple[str, ...]:
        return (self.handler, *self.guards, *self.checklist, *self.effects)


TRANSITIONS: dict[str, Transition] = {t.action: t for t in [
    #           action            from states                        roles                        next state
    Transition("submit",         (S.DRAFT,),                         (VILLAGE, TOWNSHIP),         S.SUBMITTED,
               _("Submit to the county"),
               handler="cases.handlers.case_submit",
               guards=("cases.guards.submission_complete", "evidence.guards.guard_submit_documents"),
               checklist=("cases.checklists.missing_items", "evidence.guards.missing_documents_for_submit")),
    Transition("return",         (S.SUBMITTED,),                     (COUNTY,),                   S.DRAFT,
               _("Return to the village"), "warning",
               handler="cases.handlers.case_return"),
    Transition("accept",         (S.SUBMITTED,),                     (COUNTY,),                   S.UNDER_INVESTIGATION,
               _("Accept"),
               handler="cases.handlers.case_accept"),
    Transition("visits",         (S.UNDER_INVESTIGATION,),           (TOWNSHIP, COUNTY),          None,
               _("Record a home visit"),
               handler="cases.handlers.case_visits",
               guards=("cases.guards.not_entrant", "cases.guards.investigator_account",
                       "evidence.guards.guard_signed_visit_record"),
               effects=("evidence.services.visit_signed_record_store",)),
    Transition("extend",         ACCEPTED_PENDING_STATES,            (COUNTY,),                   None,
               _("Extend the time limit"), "secondary",
               handler="cases.handlers.case_extend"),
    Transition("open_notice",    (S.INVESTIGATED,),                  (COUNTY,),                   S.IN_NOTICE,
               _("Open the public notice"),
               handler="cases.handlers.case_open_notice"),
    Transition("objection",      (S.IN_NOTICE,),                     (COUNTY,),                   S.UNDER_INVESTIGATION,
               _("Record an objection"), "warning",
               handler="cases.handlers.case_objection"),
    Transition("reinvestigate",  (S.INVESTIGATED, S.AWAITING_DECISION), (COUNTY,),                S.UNDER_INVESTIGATION,
               _("Investigate again (e.g. after a complaint)"), "warning",
               handler="cases.handlers.case_reinvestigate"),
    Transition("end_notice",     (S.IN_NOTICE,),                     (COUNTY, SYSTEM),            S.AWAITING_DECISION,
               _("Close the notice (period over)"), "secondary",
               handler="cases.handlers.case_end_notice"),
    # Active at once, or (an amount above the calculation or the county's threshold, or a county that
    # asks it for every approval: cases/amounts.py) still awaiting decision until a second officer confirms.
    Transition("approve",        (S.AWAITING_DECISION,),             (COUNTY,),                   None,
               _("Approve"), "success",
               handler="cases.handlers.case_approve",
               guards=("cases.guards.not_entrant", "cases.guards.not_sole_investigator",
                       "cases.guards.no_pending_approval", "evidence.guards.guard_decision_after_complaint",
                       "overlaps.guards.guard_double_dibao")),
    Transition("confirm_amount", (S.AWAITING_DECISION,),             (COUNTY,),                   S.ACTIVE,
               _("Confirm the approval (second officer)"), "success",
               handler="cases.handlers.case_confirm_amount",
               guards=("cases.guards.not_entrant", "cases.guards.second_officer")),
    Transition("reject",         (S.AWAITING_DECISION,),             (COUNTY,),                   S.REJECTED,
               _("Reject"), "danger",
               handler="cases.handlers.case_reject",
               guards=("cases.guards.not_entrant", "evidence.guards.guard_decision_after_complaint")),
    Transition("withdraw",       PENDING_STATES,                     (VILLAGE, TOWNSHIP, COUNTY), S.WITHDRAWN,
               _("Withdraw"), "outline-danger",
               handler="cases.handlers.case_withdraw"),
    # Recipients owns exits: closed at once, or a gradual exit first (its service decides the state).
    Transition("exit",           (S.ACTIVE, S.GRADUAL_EXIT),         (COUNTY,),                   None,
               _("End benefit (exit)"), "outline-danger",
               handler="recipients.workflow_hooks.exit_through_recipients",
               page="recipients:exit"),
]}


def role_may(user, transition: Transition) -> bool:
    if user is None:
        return SYSTEM in transition.roles
    roles = [r for r in transition.roles if r != SYSTEM]
    return bool(user.is_authenticated and user.has_role(*roles))


def allowed_actions(case: Case, user) -> list[Transition]:
    """The transitions this user may fire on the case now (state and role): the page's buttons. While an
    approval awaits its second officer, confirming replaces approving."""
    actions = [t for t in TRANSITIONS.values() if case.status in t.sources and role_may(user, t)]
    if any(t.action in ("approve", "confirm_amount") for t in actions):
        hidden = "approve" if pending_decision(case) is not None else "confirm_amount"
        actions = [t for t in actions if t.action != hidden]
    return actions


def missing_before(case: Case, action: str) -> list:
    """What the case still lacks before the action (the row's checklist), for the case page."""
    return [item for path in TRANSITIONS[action].checklist for item in import_string(path)(case)]


def today() -> date:
    return timezone.localdate()


def snapshot(case: Case) -> dict:
    return {"status": case.status, "version": case.version, "deadline": case.deadline,
            "step_deadline": case.step_deadline, "category": case.category,
            "monthly_amount": case.monthly_amount}


def lock(transition: Transition, *, actor, case: Case | int, version: int | None, data: dict) -> Case:
    """Scope, role, lock, state, version, guards: the common start of every transition."""
    case_id = case if isinstance(case, int) else case.pk
    qs = Case.objects.all() if actor is None else scope_queryset(actor, Case.objects.all())
    if not role_may(actor, transition):
        # Out of scope is 404 whatever the role: look before refusing.
        if actor is not None and not qs.filter(pk=case_id).exists():
            raise Http404
        raise NotPermitted()
    # The scoped read under the row lock is also the scope check (one query, not exists() + get()).
    try:
        locked = qs.select_for_update().select_related("household").get(pk=case_id)
    except Case.DoesNotExist:
        if actor is None:
            raise
        raise Http404 from None
    if locked.status not in transition.sources:
        raise InvalidTransition(
            _("“%(action)s” is not allowed while the case is %(status)s.")
            % {"action": transition.label, "status": locked.get_status_display()})
    if version is not None and int(version) != locked.version:
        raise StaleVersion()
    for guard in transition.guards:
        import_string(guard)(locked, actor, data)
    return locked


def commit(action: str, *, actor, case: Case, before: dict, status: str | None = None, extra: dict | None = None) -> Case:
    """Apply the new state, bump the version, save and write the one audit event."""
    target = status or TRANSITIONS[action].target or case.status
    was_paid = case.status in PAID_STATES
    case.status = target
    case.version += 1
    case.save()
    if was_paid != (target in PAID_STATES):
        household_paid_flags_refresh([case.household_id])
    record(actor=actor, action=f"case.{action}", obj=case, division_code=case.division_code,
           before=before, after={**snapshot(case), **(extra or {})})
    return case


def run(action: str, *, actor, case: Case | int, version: int | None = None, **data) -> Case:
    """Fire a transition by its action name: the API, the pages, the sweeps and the demo come here."""
    transition = TRANSITIONS[action]
    with transaction.atomic():
        locked = lock(transition, actor=actor, case=case, version=version, data=data)
        result = import_string(transition.handler)(actor=actor, case=locked, **data)
        for effect in transition.effects:
            import_string(effect)(result, actor, data)
        return result
