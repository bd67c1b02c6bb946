"""Batch work: the same transition on several cases, each through the workflow runner on its own.

Every case goes through `workflow.run` in its own transaction, so scope, role, state, version and the
row's guards apply to each exactly as on its own page, each success writes its one audit event, and one
refusal does not undo the others. The result says, per case, whether it went through and if not why.
"""

from dataclasses import dataclass

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from cases import workflow
from cases.models import CaseStatus
from dibao.errors import DomainError, InvalidInput


@dataclass(frozen=True)
class BatchAction:
    slug: str
    action: str  # the workflow action fired on each case
    status: str  # the state the listed cases must be in to be offered
    label: str


BATCH_ACTIONS = {b.slug: b for b in [
    BatchAction("accept", "accept", CaseStatus.SUBMITTED, _("Accept the selected applications")),
    BatchAction("open-notice", "open_notice", CaseStatus.INVESTIGATED, _("Open the public notices of the selected")),
]}


def batch_for_status(user, status: str) -> BatchAction | None:
    """The batch action a case list of this state offers the user (None: no checkboxes)."""
    for batch in BATCH_ACTIONS.values():
        if batch.status == status and workflow.role_may(user, workflow.TRANSITIONS[batch.action]):
            return batch
    return None


def parse_selection(values: list[str]) -> list[tuple[int, int | None]]:
    """"<case id>:<version>" pairs from the form; a bad one is a 400 naming the field."""
    items, seen = [], set()
    for value in values:
        case_id, _sep, version = (value or "").partition(":")
        try:
            pair = (int(case_id), int(version) if version else None)
        except ValueError:
            raise InvalidInput(fields={"case": [_("“%(value)s” is not a case.") % {"value": value}]}) from None
        if pair[0] not in seen:
            seen.add(pair[0])
            items.append(pair)
    if not items:
        raise InvalidInput(fields={"case": [_("Select at least one case.")]})
    return items


def run_batch(action: str, *, actor, items: list[tuple[int, int | None]], **data) -> list[dict]:
    """Fire `action` on each (case id, version); [{"case": id, "ok": bool, "reason": str, "result": Case|None}]."""
    results = []
    for case_id, version in items:
        try:
            with transaction.atomic():
                case = workflow.run(action, actor=actor, case=case_id, version=version, **data)
        except DomainError as error:
            results.append({"case": case_id, "ok": False, "reason": str(error.message), "result": None})
        except Http404:
            results.append({"case": case_id, "ok": False, "reason": str(_("Not found in your area.")),
                            "result": None})
        else:
            results.append({"case": case_id, "ok": True, "reason": "", "result": case})
    return results


def may_batch(user) -> bool:
    return user.is_authenticated and user.has_role(Role.COUNTY_OFFICER)
