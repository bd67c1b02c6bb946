"""The workflow table written out, and the system check that every path in it imports.

GOLDEN is the table as a newcomer reads it; any change to a row (a state, a role, a guard, the
handler, a page) shows here as a diff in review.
"""

import dataclasses

import pytest
from django.core import checks

from cases import workflow
from cases.checks import check_workflow_table
from cases.models import CaseStatus
from tests.cases.conftest import new_draft

pytestmark = pytest.mark.django_db

PENDING = ("draft", "submitted", "under_investigation", "investigated", "in_notice", "awaiting_decision")
DECIDE_GUARDS = ("cases.guards.not_entrant", "evidence.guards.guard_decision_after_complaint")

GOLDEN = [
    # action, from states, roles, next state (None: the handler decides), guards, handler, page, checklist
    ("submit", ("draft",), ("village_staff", "township_staff"), "submitted",
     ("cases.guards.submission_complete", "evidence.guards.guard_submit_documents"),
     "cases.handlers.case_submit", None,
     ("cases.checklists.missing_items", "evidence.guards.missing_documents_for_submit")),
    ("return", ("submitted",), ("county_officer",), "draft", (), "cases.handlers.case_return", None, ()),
    ("accept", ("submitted",), ("county_officer",), "under_investigation", (), "cases.handlers.case_accept",
     None, ()),
    ("visits", ("under_investigation",), ("township_staff", "county_officer"), None,
     ("cases.guards.not_entrant", "cases.guards.investigator_account", "evidence.guards.guard_signed_visit_record"),
     "cases.handlers.case_visits", None, ()),
    ("extend", ("under_investigation", "investigated", "in_notice", "awaiting_decision"), ("county_officer",),
     None, (), "cases.handlers.case_extend", None, ()),
    ("open_notice", ("investigated",), ("county_officer",), "in_notice", (), "cases.handlers.case_open_notice",
     None, ()),
    ("objection", ("in_notice",), ("county_officer",), "under_investigation", (), "cases.handlers.case_objection",
     None, ()),
    ("reinvestigate", ("investigated", "awaiting_decision"), ("county_officer",), "under_investigation", (),
     "cases.handlers.case_reinvestigate", None, ()),
    ("end_notice", ("in_notice",), ("county_officer", "system"), "awaiting_decision", (),
     "cases.handlers.case_end_notice", None, ()),
    ("approve", ("awaiting_decision",), ("county_officer",), None,
     ("cases.guards.not_entrant", "cases.guards.not_sole_investigator", "cases.guards.no_pending_approval",
      "evidence.guards.guard_decision_after_complaint", "overlaps.guards.guard_double_dibao"),
     "cases.handlers.case_approve", None, ()),
    ("confirm_amount", ("awaiting_decision",), ("county_officer",), "active",
     ("cases.guards.not_entrant", "cases.guards.second_officer"), "cases.handlers.case_confirm_amount", None, ()),
    ("reject", ("awaiting_decision",), ("county_officer",), "rejected", DECIDE_GUARDS,
     "cases.handlers.case_reject", None, ()),
    ("withdraw", PENDING, ("village_staff", "township_staff", "county_officer"), "withdrawn", (),
     "cases.handlers.case_withdraw", None, ()),
    ("exit", ("active", "gradual_exit"), ("county_officer",), None, (),
     "recipients.workflow_hooks.exit_through_recipients", "recipients:exit", ()),
]


def written_out(table) -> list[tuple]:
    return [(t.action, tuple(str(s) for s in t.sources), tuple(str(r) for r in t.roles),
             None if t.target is None else str(t.target), t.guards, t.handler, t.page, t.checklist)
            for t in table.values()]


def test_the_table_as_written():
    assert written_out(workflow.TRANSITIONS) == GOLDEN


def test_the_check_passes_on_the_table():
    assert check_workflow_table() == []


@pytest.mark.parametrize(("field", "value", "error_id", "named"), [
    ("guards", ("cases.guards.not_entrant", "overlaps.guards.no_such_guard"), "cases.E001",
     "overlaps.guards.no_such_guard"),
    ("guards", ("evidnce.guards.guard_decision_after_complaint",), "cases.E001",
     "evidnce.guards.guard_decision_after_complaint"),
    ("handler", "cases.handlers.case_aprove", "cases.E001", "cases.handlers.case_aprove"),
    ("handler", "cases.workflow.TRANSITIONS", "cases.E002", "cases.workflow.TRANSITIONS"),
    ("checklist", ("cases.checklists.missing",), "cases.E001", "cases.checklists.missing"),
    ("page", "recipients:no_such_page", "cases.E003", "recipients:no_such_page"),
])
def test_the_check_reports_a_broken_row(monkeypatch, field, value, error_id, named):
    broken = dataclasses.replace(workflow.TRANSITIONS["approve"], **{field: value})
    monkeypatch.setitem(workflow.TRANSITIONS, "approve", broken)
    errors = check_workflow_table()
    assert [(e.id, e.obj) for e in errors] == [(error_id, "cases.workflow.TRANSITIONS['approve']")]
    assert named in errors[0].msg
    # Registered in CasesConfig.ready: `manage.py check` (and every start) reports it too.
    assert error_id in [e.id for e in checks.run_checks()]


def test_run_resolves_the_rows_paths_when_it_fires(monkeypatch, draft, village_staff):
    """A guard named in the row runs through `workflow.run`: a row whose guard path is broken fails
    the transition, and the case stays a draft."""
    broken = dataclasses.replace(workflow.TRANSITIONS["submit"], guards=("cases.guards.no_such_guard",))
    monkeypatch.setitem(workflow.TRANSITIONS, "submit", broken)
    with pytest.raises(ImportError):
        workflow.run("submit", actor=village_staff, case=draft)
    draft.refresh_from_db()
    assert draft.status == CaseStatus.DRAFT and draft.version == 1


def test_the_case_action_url_of_another_apps_action_leads_to_its_page(web, walker, village_staff, household,
                                                                    county_officer):
    case = walker.to(new_draft(village_staff, household), CaseStatus.ACTIVE)
    response = web(county_officer).get(f"/cases/{case.pk}/exit/")
    assert response.status_code == 302 and response["Location"] == f"/recipients/cases/{case.pk}/exit/"
    # A role that may not exit is refused before that, and nothing changed.
    assert web(village_staff).get(f"/cases/{case.pk}/exit/").status_code == 403
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
