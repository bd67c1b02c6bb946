"""The workflow through the services: every path, every illegal pair, the bad inputs."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.http import Http404
from django.utils import translation

from audit.models import AuditEvent
from cases import services, sweeps, workflow
from cases.models import Case, CaseStatus, Decision, HomeVisit, PublicNotice
from dibao.errors import Conflict, DomainError, InvalidTransition, NotPermitted, StaleVersion
from recipients.models import CaseExit
from tests.cases.conftest import TODAY, new_draft
from tests.cases.factories import make_household

pytestmark = pytest.mark.django_db


def events(case):
    return list(AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk))
                .order_by("id").values_list("action", flat=True))


def test_approve_path_writes_one_event_per_transition(walker, draft, county_officer2):
    case = walker.to(draft, CaseStatus.ACTIVE)
    assert case.status == CaseStatus.ACTIVE
    assert events(case) == ["case.create", "case.submit", "case.accept", "case.visits", "case.visits",
                            "case.open_notice", "case.end_notice", "case.approve"]
    decision = Decision.objects.get(case=case)
    # (784 - 300) x 2 = 968
    assert decision.monthly_amount == Decimal("968.00") == case.monthly_amount
    assert decision.inputs["standard"] == "784.00" and decision.inputs["counted_members"] == 2
    assert decision.inputs["income_source"] == "declared" and decision.inputs["rules_version"]
    assert case.first_payment_month == (TODAY.replace(day=1) + timedelta(days=32)).replace(day=1)
    assert case.decided_by == county_officer2
    assert case.deadline and case.accepted_on == TODAY


def test_verified_income_replaces_declared(walker, draft):
    case = walker.to(draft, CaseStatus.UNDER_INVESTIGATION)
    case = walker.visit(case, 1, income=Decimal("1000"))
    case = walker.visit(case, 2, income=Decimal("800"))
    case = walker.to(case, CaseStatus.ACTIVE)
    decision = case.decisions.get()
    assert decision.inputs["income_source"] == "verified"
    assert decision.inputs["per_capita_income"] == "400.00"
    assert case.monthly_amount == Decimal("768.00")  # (784 - 400) x 2
    visit = case.visits.get(number=2)
    assert visit.declared_monthly_income == Decimal("600.00") and visit.verified_monthly_income == Decimal("800")


def test_reject_path(walker, draft):
    case = walker.to(draft, CaseStatus.REJECTED)
    assert case.status == CaseStatus.REJECTED
    assert case.decisions.get().reason == "收入超标"


def test_return_and_resubmit(walker, draft, village_staff, county_officer):
    case = workflow.run("submit", actor=village_staff, case=draft)
    case = workflow.run("return", actor=county_officer, case=case, reasons="缺少银行流水")
    assert case.status == CaseStatus.DRAFT and case.return_reasons == "缺少银行流水"
    case = services.case_update(actor=village_staff, case=case, reason="因病致贫，补充材料")
    case = workflow.run("submit", actor=village_staff, case=case)
    case = workflow.run("accept", actor=county_officer, case=case)
    assert case.status == CaseStatus.UNDER_INVESTIGATION and case.return_reasons == ""


def test_objection_and_renotice(walker, draft, county_officer):
    case = walker.to(draft, CaseStatus.INVESTIGATED)
    case = workflow.run("open_notice", actor=county_officer, case=case)
    case = workflow.run("objection", actor=county_officer, case=case, content="家中有车", raised_by="村民")
    assert case.status == CaseStatus.UNDER_INVESTIGATION and case.investigation_round == 2
    assert case.notices.get().outcome == PublicNotice.Outcome.OBJECTED
    # a new round needs two new visits, then a new notice
    case = walker.visit(case, 1)
    assert case.status == CaseStatus.UNDER_INVESTIGATION
    case = walker.visit(case, 2)
    assert case.status == CaseStatus.INVESTIGATED
    case = walker.to(case, CaseStatus.ACTIVE)
    assert case.notices.count() == 2 and case.visits.count() == 4


def test_withdraw_from_each_pending_state(walker, village, village_staff, standard):
    for status in [CaseStatus.DRAFT, CaseStatus.SUBMITTED, CaseStatus.IN_NOTICE, CaseStatus.AWAITING_DECISION]:
        case = walker.to(new_draft(village_staff, make_household(village)), status)
        case = workflow.run("withdraw", actor=village_staff, case=case, reason="撤回")
        assert case.status == CaseStatus.WITHDRAWN


def test_exit_runs_the_recipients_exit_service(walker, draft, county_officer):
    """The table's exit row hands the locked case to recipients: an immediate exit closes it with
    one exit row and one event; an exit of a case that is no longer active is refused unchanged."""
    case = walker.to(draft, CaseStatus.ACTIVE)
    case = workflow.run("exit", actor=county_officer, case=case, kind="death", reason="户主去世", version=case.version)
    assert case.status == CaseStatus.CLOSED and case.closed_at and case.exit_reason == "户主去世"
    assert CaseExit.objects.get(case=case).kind == "death"
    assert events(case)[-1] == "case.exit" and events(case).count("case.exit") == 1
    with pytest.raises(InvalidTransition):
        workflow.run("exit", actor=county_officer, case=case, kind="death", reason="again")
    assert CaseExit.objects.filter(case=case).count() == 1 and events(case).count("case.exit") == 1


def test_gradual_exit_then_an_immediate_end(walker, draft, county_officer):
    case = walker.to(draft, CaseStatus.GRADUAL_EXIT)
    assert case.status == CaseStatus.GRADUAL_EXIT and CaseExit.objects.get(case=case).gradual_schedule
    case = workflow.run("exit", actor=county_officer, case=case, kind="death", reason="去世")
    assert case.status == CaseStatus.CLOSED


# Inputs that let each action pass its own validation once the state allows it.
ACTION_INPUT = {
    "return": {"reasons": "x"}, "extend": {"reason": "x"}, "objection": {"content": "x"},
    "approve": {"category": "A"}, "reject": {"reason": "x"}, "withdraw": {"reason": "x"},
    "exit": {"reason": "x"}, "visits": {"number": 1, "visit_date": TODAY, "findings": "x",
                                        "investigator_names": ["甲", "乙"]},
}
# The states each action may leave, written out here (not read from the table under test).
STATES = ["draft", "submitted", "under_investigation", "investigated", "in_notice", "awaiting_decision",
          "active", "gradual_exit", "rejected", "closed", "withdrawn"]
PENDING = {"draft", "submitted", "under_investigation", "investigated", "in_notice", "awaiting_decision"}
ALLOWED_FROM = {
    "submit": {"draft"},
    "return": {"submitted"},
    "accept": {"submitted"},
    "visits": {"under_investigation"},
    "extend": {"under_investigation", "investigated", "in_notice", "awaiting_decision"},
    "open_notice": {"investigated"},
    "objection": {"in_notice"},
    "reinvestigate": {"investigated", "awaiting_decision"},
    "end_notice": {"in_notice"},
    "approve": {"awaiting_decision"},
    "confirm_amount": {"awaiting_decision"},
    "reject": {"awaiting_decision"},
    "withdraw": PENDING,
    "exit": {"active", "gradual_exit"},
}
ILLEGAL = [(state, action) for action, allowed in ALLOWED_FROM.items() for state in STATES if state not in allowed]


def test_the_illegal_pairs_cover_every_state_and_action():
    assert sorted(STATES) == sorted(CaseStatus.values) and sorted(ALLOWED_FROM) == sorted(workflow.TRANSITIONS)


@pytest.mark.parametrize(("state", "action"), ILLEGAL)
def test_every_illegal_pair_is_refused(state, action, draft, admin_user):
    Case.objects.filter(pk=draft.pk).update(status=state)
    with pytest.raises(InvalidTransition):
        workflow.run(action, actor=admin_user, case=draft.pk, **ACTION_INPUT.get(action, {}))
    draft.refresh_from_db()
    assert draft.status == state and draft.version == 1
    assert events(draft) == ["case.create"]


def test_table_roles(draft, auditor, county_auditor, village_staff, other_village_staff):
    with pytest.raises(NotPermitted):
        workflow.run("submit", actor=county_auditor, case=draft)
    with pytest.raises(Http404):
        workflow.run("submit", actor=other_village_staff, case=draft)
    with pytest.raises(NotPermitted):
        workflow.run("accept", actor=village_staff, case=draft)
    assert [t.action for t in workflow.allowed_actions(draft, village_staff)] == ["submit", "withdraw"]
    assert workflow.allowed_actions(draft, auditor) == []


def test_scope_is_checked_before_the_role(draft, other_county_officer, county_officer):
    """Out of the area is 404 whether or not the role may take the action (the lock's scoped read
    is the scope check); in the area, a role that may not is 403."""
    with pytest.raises(Http404):
        workflow.run("submit", actor=other_county_officer, case=draft)  # a role that may not submit
    with pytest.raises(Http404):
        workflow.run("withdraw", actor=other_county_officer, case=draft, reason="x")  # one that may withdraw
    with pytest.raises(NotPermitted):
        workflow.run("submit", actor=county_officer, case=draft)
    with pytest.raises(Case.DoesNotExist):  # the scheduler (no user) on a case that is gone
        workflow.run("end_notice", actor=None, case=draft.pk + 1000)
    draft.refresh_from_db()
    assert draft.status == CaseStatus.DRAFT and draft.version == 1


def test_stale_version(draft, village_staff):
    with pytest.raises(StaleVersion):
        workflow.run("submit", actor=village_staff, case=draft, version=draft.version + 5)
    workflow.run("submit", actor=village_staff, case=draft, version=draft.version)


def test_submit_lists_missing_items(village, village_staff, standard):
    household = make_household(village, with_income=False, bank_account="", with_head=False)
    case = services.case_create(actor=village_staff, household=household)
    with translation.override("en"), pytest.raises(DomainError) as err:
        workflow.run("submit", actor=village_staff, case=case)
    missing = " ".join(err.value.fields["missing"])
    for word in ("head", "income", "bank account", "authorisation", "applicant", "reason"):
        assert word in missing
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT


def test_one_open_case_per_household(draft, village_staff, household):
    with pytest.raises(Conflict):
        new_draft(village_staff, household)


def test_staff_relative_declaration_needs_relation(village_staff, household):
    with pytest.raises(DomainError) as err:
        new_draft(village_staff, household, staff_relative=True)
    assert "staff_relative_relation" in err.value.fields


# --- bad inputs: each refused, case unchanged ------------------------------------------------


def unchanged(case, status):
    before = case.version
    case.refresh_from_db()
    assert case.status == status and case.version == before


def test_approve_before_both_visits(walker, draft, county_officer2):
    case = walker.to(draft, CaseStatus.UNDER_INVESTIGATION)
    walker.visit(case, 1)
    case.refresh_from_db()
    with pytest.raises(InvalidTransition):
        workflow.run("approve", actor=county_officer2, case=case, category="A")
    unchanged(case, CaseStatus.UNDER_INVESTIGATION)


def test_visit_with_one_investigator_or_same_person_twice(walker, draft, township_staff):
    case = walker.to(draft, CaseStatus.UNDER_INVESTIGATION)
    for who, names in [([township_staff], []), ([township_staff, township_staff], []),
                       ([township_staff], ["张三", "张三"]), ([township_staff], [township_staff.username])]:
        with pytest.raises(DomainError) as err:
            workflow.run("visits", actor=township_staff, case=case, number=1, visit_date=TODAY,
                         investigators=who, investigator_names=names, findings="x")
        assert "investigators" in err.value.fields
    unchanged(case, CaseStatus.UNDER_INVESTIGATION)
    assert not HomeVisit.objects.exists()


def test_named_cadres_need_an_account_among_the_investigators(walker, draft, township_staff):
    """Separation of duties: named village cadres alone are not enough; one investigator is a user account
    serving the area (not the entrant), the others may be named cadres."""
    case = walker.to(draft, CaseStatus.UNDER_INVESTIGATION)
    with pytest.raises(NotPermitted) as err:
        workflow.run("visits", actor=township_staff, case=case, number=1, visit_date=TODAY,
                     investigator_names=["张三", "李四"], findings="x")
    assert err.value.code == "investigator_account"
    unchanged(case, CaseStatus.UNDER_INVESTIGATION)
    case = workflow.run("visits", actor=township_staff, case=case, number=1, visit_date=TODAY,
                        investigators=[township_staff], investigator_names=["张三"], findings="x")
    assert case.visits.get().investigator_names == ["张三"]


def test_entrant_cannot_investigate_both_visits(walker, draft, village_staff, township_staff):
    case = walker.to(draft, CaseStatus.UNDER_INVESTIGATION)
    case = walker.visit(case, 1, who=[village_staff, township_staff])
    with pytest.raises(DomainError) as err:
        walker.visit(case, 2, who=[village_staff, township_staff])
    assert "investigators" in err.value.fields
    unchanged(case, CaseStatus.UNDER_INVESTIGATION)


def test_staff_relative_case_needs_county_investigator(walker, village_staff, household, county_officer):
    case = new_draft(village_staff, household, staff_relative=True, staff_relative_relation="子女",
                     staff_relative_to="村主任王某")
    case = walker.to(case, CaseStatus.UNDER_INVESTIGATION)
    walker.visit(case, 1)
    with pytest.raises(DomainError):
        walker.visit(case, 2)
    case = walker.visit(case, 2, who=[county_officer, walker.investigator])
    assert case.status == CaseStatus.INVESTIGATED


def test_objection_after_notice_closed(walker, draft, county_officer):
    case = walker.to(draft, CaseStatus.IN_NOTICE)  # opened 10 days ago: period over
    with pytest.raises(Conflict) as err:
        workflow.run("objection", actor=county_officer, case=case, content="x")
    assert err.value.code == "notice_closed"
    unchanged(case, CaseStatus.IN_NOTICE)


def test_notice_cannot_end_early(walker, draft, county_officer):
    case = walker.to(draft, CaseStatus.INVESTIGATED)
    case = workflow.run("open_notice", actor=county_officer, case=case)
    assert case.notices.get().ends_on == TODAY + timedelta(days=6)
    with pytest.raises(InvalidTransition):
        workflow.run("end_notice", actor=county_officer, case=case)
    assert sweeps.notices_close_due(TODAY) == 0
    assert sweeps.notices_close_due(TODAY + timedelta(days=7)) == 1
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_DECISION and case.step_deadline
    assert AuditEvent.objects.filter(action="case.end_notice", actor=None).count() == 1


def test_reject_without_reason(walker, draft, county_officer2):
    case = walker.to(draft, CaseStatus.AWAITING_DECISION)
    with pytest.raises(DomainError) as err:
        workflow.run("reject", actor=county_officer2, case=case, reason="  ")
    assert "reason" in err.value.fields
    unchanged(case, CaseStatus.AWAITING_DECISION)


def test_decision_by_entrant(walker, village, county_officer, household):
    # a county officer can enter a case only through the village/township roles, so make one the entrant
    case = new_draft(walker.village, household)
    case = walker.to(case, CaseStatus.AWAITING_DECISION)
    Case.objects.filter(pk=case.pk).update(entered_by=county_officer)
    case.refresh_from_db()
    for call in (lambda: workflow.run("approve", actor=county_officer, case=case, category="A"),
                                      lambda: workflow.run("reject", actor=county_officer, case=case, reason="x")):
        with pytest.raises(NotPermitted) as err:
            call()
        assert err.value.code == "separation_of_duties"
    unchanged(case, CaseStatus.AWAITING_DECISION)


def test_first_payment_month_in_the_past(walker, draft, county_officer2):
    case = walker.to(draft, CaseStatus.AWAITING_DECISION)
    with pytest.raises(DomainError) as err:
        workflow.run("approve", actor=county_officer2, case=case, category="A",
                     first_payment_month=date(TODAY.year - 1, 1, 1))
    assert "first_payment_month" in err.value.fields
    unchanged(case, CaseStatus.AWAITING_DECISION)


def test_override_needs_reason(walker, draft, county_officer2):
    case = walker.to(draft, CaseStatus.AWAITING_DECISION)
    with pytest.raises(DomainError) as err:
        workflow.run("approve", actor=county_officer2, case=case, category="A", override_amount=Decimal("500"))
    assert "override_reason" in err.value.fields
    unchanged(case, CaseStatus.AWAITING_DECISION)
    case = workflow.run("approve", actor=county_officer2, case=case, category="A", override_amount=Decimal("500"),
                        override_reason="临时困难")
    decision = case.decisions.get()
    assert case.monthly_amount == Decimal("500.00") and decision.calculated_amount == Decimal("968.00")


def test_extend_deadline(walker, draft, county_officer):
    case = walker.to(draft, CaseStatus.UNDER_INVESTIGATION)
    first = case.deadline
    with pytest.raises(DomainError):
        workflow.run("extend", actor=county_officer, case=case, reason="")
    case = workflow.run("extend", actor=county_officer, case=case, reason="需补充调查")
    assert case.deadline > first and case.deadline_extended
    with pytest.raises(Conflict):
        workflow.run("extend", actor=county_officer, case=case, reason="again")
