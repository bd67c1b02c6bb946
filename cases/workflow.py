"""The case workflow: one table of transitions, one function per transition.

Read TRANSITIONS top to bottom: (action, from states, roles, next state). Guards are lists of
callables per action (GUARDS), so later features (documents, complaints, overlap findings) add a
check with `register_guard(action, func)` instead of editing the transition.

Why a plain table rather than django-fsm-2: the rules here are data the pages and API read (which
buttons to show, the illegal-pair tests are generated from it), transitions need row locks, version
checks and one audit event each - a small explicit runner (`_locked`/`_commit`) does that in a few
lines, with nothing hidden in decorators or model-level magic.

Every transition: scope (404) -> role (403) -> lock the row -> state (409 invalid_transition) ->
version (409 stale_version) -> guards (400/403/409) -> apply -> one audit event, all in one transaction.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.scoping import scope_queryset
from audit.services import record
from cases.models import PENDING_STATES, Case, CaseStatus
from dibao.errors import InvalidTransition, NotPermitted, StaleVersion

S = CaseStatus
VILLAGE, TOWNSHIP, COUNTY = Role.VILLAGE_STAFF, Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICER
SYSTEM = "system"  # the scheduler may fire this transition without a user
AFTER_ACCEPTANCE = (S.UNDER_INVESTIGATION, S.INVESTIGATED, S.IN_NOTICE, S.AWAITING_DECISION)


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple
    roles: tuple
    target: str | None  # None: the transition decides (a visit may or may not complete the round)
    label: str
    style: str = "primary"


TRANSITIONS: dict[str, Transition] = {t.action: t for t in [
    #           action            from states                        roles                        next state
    Transition("submit",         (S.DRAFT,),                         (VILLAGE, TOWNSHIP),         S.SUBMITTED,
               _("Submit to the county")),
    Transition("return",         (S.SUBMITTED,),                     (COUNTY,),                   S.DRAFT,
               _("Return to the village"), "warning"),
    Transition("accept",         (S.SUBMITTED,),                     (COUNTY,),                   S.UNDER_INVESTIGATION,
               _("Accept")),
    Transition("visits",         (S.UNDER_INVESTIGATION,),           (TOWNSHIP, COUNTY),          None,
               _("Record a home visit")),
    Transition("extend",         AFTER_ACCEPTANCE,                   (COUNTY,),                   None,
               _("Extend the time limit"), "secondary"),
    Transition("open_notice",    (S.INVESTIGATED,),                  (COUNTY,),                   S.IN_NOTICE,
               _("Open the public notice")),
    Transition("objection",      (S.IN_NOTICE,),                     (COUNTY,),                   S.UNDER_INVESTIGATION,
               _("Record an objection"), "warning"),
    Transition("reinvestigate",  (S.INVESTIGATED, S.AWAITING_DECISION), (COUNTY,),                S.UNDER_INVESTIGATION,
               _("Investigate again (e.g. after a complaint)"), "warning"),
    Transition("end_notice",     (S.IN_NOTICE,),                     (COUNTY, SYSTEM),            S.AWAITING_DECISION,
               _("Close the notice (period over)"), "secondary"),
    Transition("approve",        (S.AWAITING_DECISION,),             (COUNTY,),                   S.ACTIVE,
               _("Approve"), "success"),
    Transition("reject",         (S.AWAITING_DECISION,),             (COUNTY,),                   S.REJECTED,
               _("Reject"), "danger"),
    Transition("withdraw",       PENDING_STATES,                     (VILLAGE, TOWNSHIP, COUNTY), S.WITHDRAWN,
               _("Withdraw"), "outline-danger"),
    # Immediate exit only; gradual exit and payment rolls come with issue 5.
    Transition("exit",           (S.ACTIVE, S.GRADUAL_EXIT),         (COUNTY,),                   S.CLOSED,
               _("End benefit (exit)"), "outline-danger"),
]}

# action -> guard callables (case, actor, data) that raise a DomainError to refuse.
GUARDS: dict[str, list[Callable]] = {action: [] for action in TRANSITIONS}


def register_guard(action: str, func: Callable) -> Callable:
    GUARDS[action].append(func)
    return func


def role_may(user, transition: Transition) -> bool:
    if user is None:
        return SYSTEM in transition.roles
    roles = [r for r in transition.roles if r != SYSTEM]
    return bool(user.is_authenticated and user.has_role(*roles))


def allowed_actions(case: Case, user) -> list[Transition]:
    """The transitions this user may fire on the case now (state and role): the page's buttons."""
    return [t for t in TRANSITIONS.values() if case.status in t.sources and role_may(user, t)]


def today() -> date:
    return timezone.localdate()


def snapshot(case: Case) -> dict:
    return {"status": case.status, "version": case.version, "deadline": case.deadline,
            "step_deadline": case.step_deadline, "category": case.category,
            "monthly_amount": case.monthly_amount}


def lock(action: str, *, actor, case: Case | int, version: int | None = None, data: dict | None = None) -> Case:
    """Scope, role, lock, state, version, guards: the common start of every transition."""
    transition = TRANSITIONS[action]
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
    for guard in GUARDS[action]:
        guard(locked, actor, data or {})
    return locked


def commit(action: str, *, actor, case: Case, before: dict, status: str | None = None, extra: dict | None = None) -> Case:
    """Apply the new state, bump the version, save and write the one audit event."""
    target = status or TRANSITIONS[action].target or case.status
    case.status = target
    case.version += 1
    case.save()
    record(actor=actor, action=f"case.{action}", obj=case, division_code=case.division_code,
           before=before, after={**snapshot(case), **(extra or {})})
    return case


# action -> a callable that replaces cases.transitions.case_<action>: an app further down the
# dependency chain that owns the action's full rules (recipients owns exits with gradual exit).
IMPLEMENTATIONS: dict[str, Callable] = {}
# action -> URL name of the page that performs it, when that page belongs to another app.
ACTION_PAGES: dict[str, str] = {}


def run(action: str, **kwargs) -> Case:
    """Call a transition by its action name (the API and pages dispatch through here)."""
    from cases import transitions

    with transaction.atomic():
        implementation = IMPLEMENTATIONS.get(action) or getattr(transitions, f"case_{action}")
        return implementation(**kwargs)
