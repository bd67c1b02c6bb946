"""Issue 17 items 2 and 3: money needs two people and a ceiling; separation of duties.

Household: 2 members, 600 a month against a standard of 784: the calculation gives 968 (category A/B
alike); the absolute ceiling by default is 10 x 784 x 2 = 15,680.
"""

from datetime import date
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from cases import workflow
from cases.models import Case, CasePolicy, CaseStatus, Decision
from dibao.errors import Conflict, DomainError, NotPermitted
from recipients.models import PaymentLine
from recipients.services import payment_roll_generate
from tests.cases.conftest import TODAY, new_draft
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/cases/"
HIGHER = {"override_amount": Decimal("1200"), "override_reason_kind": "medical",
          "override_reason": "户主住院，自付医疗费每月约八百元"}


def actions(case):
    return list(AuditEvent.objects.filter(object_id=str(case.pk), action__startswith="case.")
                .order_by("id").values_list("action", flat=True))


def unchanged(case, status):
    before = case.version
    case.refresh_from_db()
    assert case.status == status and case.version == before


@pytest.fixture
def awaiting(walker, draft):
    return walker.to(draft, CaseStatus.AWAITING_DECISION)


# --- the ceiling and the reason -----------------------------------------------------------------------------

def test_above_the_absolute_ceiling_is_refused_with_400(api, awaiting, county_officer2):
    r = api(county_officer2).post(f"{URL}{awaiting.pk}/approve/", {
        "category": "A", "override_amount": "9999999999.99", "override_reason": ".", "version": awaiting.version},
        format="json")
    assert r.status_code == 400 and r.json()["code"] == "above_absolute_ceiling", r.json()
    assert "override_amount" in r.json()
    unchanged(awaiting, CaseStatus.AWAITING_DECISION)
    assert not Decision.objects.exists()
    # Just above 10 x 784 x 2 = 15,680, even with a reason of substance: refused.
    with pytest.raises(DomainError) as err:
        workflow.run("approve", actor=county_officer2, case=awaiting, category="A",
                     **(HIGHER | {"override_amount": Decimal("15680.01")}))
    assert err.value.code == "above_absolute_ceiling"
    unchanged(awaiting, CaseStatus.AWAITING_DECISION)


def test_the_absolute_ceiling_is_the_countys(awaiting, county, county_officer2):
    CasePolicy.objects.create(county=county, effective_from=date(2020, 1, 1), absolute_ceiling_factor=Decimal("1"))
    with pytest.raises(DomainError) as err:  # 1 x 784 x 2 = 1,568
        workflow.run("approve", actor=county_officer2, case=awaiting, category="A",
                     **(HIGHER | {"override_amount": Decimal("1600")}))
    assert err.value.code == "above_absolute_ceiling"
    case = workflow.run("approve", actor=county_officer2, case=awaiting, category="A",
                        **(HIGHER | {"override_amount": Decimal("1568")}))
    assert case.decisions.get().confirmation == Decision.Confirmation.PENDING


@pytest.mark.parametrize(("kind", "reason", "field"), [
    ("", "户主住院，自付医疗费每月约八百元", "override_reason_kind"),
    ("nonsense", "户主住院，自付医疗费每月约八百元", "override_reason_kind"),
    ("medical", ".", "override_reason"),
    ("medical", "住院费用", "override_reason"),  # under 10 characters
])
def test_a_higher_amount_needs_a_reason_of_substance(awaiting, county_officer2, kind, reason, field):
    with pytest.raises(DomainError) as err:
        workflow.run("approve", actor=county_officer2, case=awaiting, category="A",
                     override_amount=Decimal("1200"), override_reason_kind=kind, override_reason=reason)
    assert field in err.value.fields
    unchanged(awaiting, CaseStatus.AWAITING_DECISION)
    assert not Decision.objects.exists()


# --- two people ---------------------------------------------------------------------------------------------

def test_a_higher_amount_waits_for_a_second_officer(api, web, awaiting, county_officer, county_officer2, county):
    case = workflow.run("approve", actor=county_officer2, case=awaiting, category="A", **HIGHER)
    assert case.status == CaseStatus.AWAITING_DECISION and case.monthly_amount is None
    decision = case.decisions.get()
    assert (decision.monthly_amount, decision.calculated_amount, decision.confirmation,
            decision.override_reason_kind) == (Decimal("1200.00"), Decimal("968.00"), "pending", "medical")
    event = AuditEvent.objects.filter(action="case.approve").get()
    assert event.after["awaiting_second_approval"] == ["above_calculation"] and event.after["status"] == \
        "awaiting_decision"

    # The API and the page say so; only the other officer is offered the confirmation.
    body = api(county_officer).get(f"{URL}{case.pk}/").json()
    assert body["awaiting_second_approval"] is True and body["decision"]["confirmation"] == "pending"
    assert "confirm_amount" in body["allowed_actions"] and "approve" not in body["allowed_actions"]
    page = web(county_officer).get(f"/cases/{case.pk}/").content.decode()
    assert "待第二名审核人确认" in page and f"/cases/{case.pk}/confirm-amount/" in page
    assert web(county_officer).get(f"/cases/{case.pk}/letter/").status_code == 404  # no decision yet

    # The approver cannot confirm it (403), nor approve again (409).
    r = api(county_officer2).post(f"{URL}{case.pk}/confirm-amount/", {"version": case.version}, format="json")
    assert r.status_code == 403 and r.json()["code"] == "second_officer"
    with pytest.raises(Conflict) as err:
        workflow.run("approve", actor=county_officer2, case=case, category="A")
    assert err.value.code == "awaiting_second_approval"
    unchanged(case, CaseStatus.AWAITING_DECISION)

    # Not on any payment roll while it waits.
    month = decision.first_payment_month
    roll = payment_roll_generate(actor=county_officer, county=county, month=month, today=month)
    assert not PaymentLine.objects.filter(roll=roll, case=case).exists()

    r = api(county_officer).post(f"{URL}{case.pk}/confirm-amount/", {"version": case.version}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "active" and r.json()["awaiting_second_approval"] is False
    case.refresh_from_db()
    decision.refresh_from_db()
    assert case.monthly_amount == Decimal("1200.00") and case.decided_by == county_officer2
    assert decision.confirmation == "confirmed" and decision.confirmed_by == county_officer
    assert actions(case)[-2:] == ["case.approve", "case.confirm_amount"]
    confirm = AuditEvent.objects.get(action="case.confirm_amount")
    assert confirm.actor == county_officer and confirm.after["approved_by"] == county_officer2.username
    roll = payment_roll_generate(actor=county_officer, county=county, month=month, today=month)
    assert PaymentLine.objects.get(roll=roll, case=case).amount == Decimal("1200.00")


def test_the_calculated_amount_needs_no_second_officer(awaiting, county_officer2):
    case = workflow.run("approve", actor=county_officer2, case=awaiting, category="A")
    assert case.status == CaseStatus.ACTIVE and case.monthly_amount == Decimal("968.00")
    assert case.decisions.get().confirmation == ""
    # A lower amount with a short reason: one officer decides.
    assert "confirm_amount" not in [t.action for t in workflow.allowed_actions(case, county_officer2)]


def test_a_lower_amount_needs_no_second_officer(awaiting, county_officer2):
    case = workflow.run("approve", actor=county_officer2, case=awaiting, category="A",
                        override_amount=Decimal("500"), override_reason="临时困难")
    assert case.status == CaseStatus.ACTIVE and case.monthly_amount == Decimal("500.00")


def test_nothing_to_confirm_is_409(awaiting, county_officer):
    with pytest.raises(Conflict) as err:
        workflow.run("confirm_amount", actor=county_officer, case=awaiting)
    assert err.value.code == "nothing_to_confirm"
    unchanged(awaiting, CaseStatus.AWAITING_DECISION)


def test_the_countys_threshold_asks_for_a_second_officer(awaiting, county, county_officer, county_officer2):
    CasePolicy.objects.create(county=county, effective_from=date(2020, 1, 1),
                              second_approval_above=Decimal("900"))
    case = workflow.run("approve", actor=county_officer2, case=awaiting, category="A")  # 968 > 900
    assert case.status == CaseStatus.AWAITING_DECISION
    assert case.decisions.get().confirmation == "pending"
    case = workflow.run("confirm_amount", actor=county_officer, case=case)
    assert case.status == CaseStatus.ACTIVE and case.monthly_amount == Decimal("968.00")


def test_a_county_may_ask_a_second_officer_for_every_approval(awaiting, county, county_officer, county_officer2):
    CasePolicy.objects.create(county=county, effective_from=date(2020, 1, 1), second_officer_for_every_approval=True)
    case = workflow.run("approve", actor=county_officer2, case=awaiting, category="A",
                        override_amount=Decimal("500"), override_reason="临时困难")
    assert case.status == CaseStatus.AWAITING_DECISION
    assert AuditEvent.objects.get(action="case.approve").after["awaiting_second_approval"] == ["every_approval"]
    with pytest.raises(NotPermitted):
        workflow.run("confirm_amount", actor=county_officer2, case=case)
    case = workflow.run("confirm_amount", actor=county_officer, case=case)
    assert case.status == CaseStatus.ACTIVE and case.monthly_amount == Decimal("500.00")


def test_a_rejection_cancels_the_pending_approval(awaiting, county_officer, county_officer2):
    case = workflow.run("approve", actor=county_officer2, case=awaiting, category="A", **HIGHER)
    case = workflow.run("reject", actor=county_officer, case=case, reason="医疗费用无票据佐证")
    assert case.status == CaseStatus.REJECTED
    assert list(case.decisions.values_list("outcome", "confirmation")) == [("rejected", ""),
                                                                           ("approved", "cancelled")]


def test_the_entrant_cannot_confirm(walker, awaiting, county, county_officer2):
    entrant = UserFactory(username="county3", role="county_officer", division=county)
    Case.objects.filter(pk=awaiting.pk).update(entered_by=entrant)  # as if a county officer had entered it
    case = Case.objects.get(pk=awaiting.pk)
    case = workflow.run("approve", actor=county_officer2, case=case, category="A", **HIGHER)
    with pytest.raises(NotPermitted) as err:
        workflow.run("confirm_amount", actor=entrant, case=case)
    assert err.value.code == "separation_of_duties"
    unchanged(case, CaseStatus.AWAITING_DECISION)


# --- separation of duties -----------------------------------------------------------------------------------

def test_the_entrant_never_records_a_visit(api, walker, county, household, standard, township_staff, investigator):
    entrant = UserFactory(username="township3", role="township_staff", division=township_staff.division)
    case = walker.to(new_draft(entrant, household), CaseStatus.UNDER_INVESTIGATION)
    r = api(entrant).post(f"{URL}{case.pk}/visits/", {
        "number": 1, "visit_date": str(TODAY), "findings": "属实", "investigators": [township_staff.pk, investigator.pk],
        "applicant_signed": True, "version": case.version}, format="json")
    assert r.status_code == 403 and r.json()["code"] == "separation_of_duties"
    assert "职责分离" in r.json()["detail"]  # the reason names the rule
    unchanged(case, CaseStatus.UNDER_INVESTIGATION)
    assert not case.visits.exists()
    # Another user records it, the entrant named with an account that is not the entrant's: accepted.
    case = workflow.run("visits", actor=township_staff, case=case, number=1, visit_date=TODAY,
                        investigators=[entrant, investigator], findings="属实", applicant_signed=True)
    assert case.visits.count() == 1


def test_a_visit_needs_an_account_other_than_the_entrant(walker, draft, village_staff, township_staff):
    case = walker.to(draft, CaseStatus.UNDER_INVESTIGATION)
    with pytest.raises(NotPermitted) as err:  # the entrant's account with a named cadre
        workflow.run("visits", actor=township_staff, case=case, number=1, visit_date=TODAY,
                     investigators=[village_staff], investigator_names=["村委委员孙立"], findings="属实")
    assert err.value.code == "investigator_account"
    unchanged(case, CaseStatus.UNDER_INVESTIGATION)


def test_the_approver_is_not_the_only_investigator_of_both_visits(walker, draft, county_officer2):
    case = walker.to(draft, CaseStatus.UNDER_INVESTIGATION)
    for number in (1, 2):
        case = workflow.run("visits", actor=county_officer2, case=case, number=number, visit_date=TODAY,
                            investigators=[county_officer2], investigator_names=["村委委员孙立"], findings="属实",
                            applicant_signed=True)
    case = walker.to(case, CaseStatus.AWAITING_DECISION)
    with pytest.raises(NotPermitted) as err:
        workflow.run("approve", actor=county_officer2, case=case, category="A")
    assert err.value.code == "sole_investigator"
    unchanged(case, CaseStatus.AWAITING_DECISION)
    # Another officer may decide.
    case = workflow.run("approve", actor=walker.county, case=case, category="A")
    assert case.status == CaseStatus.ACTIVE


def test_an_approver_who_shared_the_visits_may_decide(walker, draft, county_officer2, township_staff):
    case = walker.to(draft, CaseStatus.UNDER_INVESTIGATION)
    for number in (1, 2):
        case = walker.visit(case, number, who=[county_officer2, township_staff])
    case = walker.to(case, CaseStatus.ACTIVE)
    assert case.decided_by == county_officer2


def test_the_pages_approve_higher_then_confirm(web, awaiting, county_officer, county_officer2):
    county, county2 = web(county_officer), web(county_officer2)
    r = county2.post(f"/cases/{awaiting.pk}/approve/", {"category": "B", "override_amount": "1200",
                                                       "override_reason": "住院", "version": awaiting.version})
    assert r.status_code == 200 and "override_reason_kind" in r.context["form"].errors
    awaiting.refresh_from_db()
    r = county2.post(f"/cases/{awaiting.pk}/approve/", {
        "category": "B", "override_amount": "1200", "override_reason_kind": "medical",
        "override_reason": "户主住院，自付医疗费每月约八百元", "version": awaiting.version})
    assert r.status_code == 302
    awaiting.refresh_from_db()
    assert awaiting.status == CaseStatus.AWAITING_DECISION
    # The approver's confirmation is sent back with the rule; nothing changes.
    r = county2.post(f"/cases/{awaiting.pk}/confirm-amount/", {"version": awaiting.version}, follow=True)
    assert "另一名县级审核人员确认" in r.content.decode()
    unchanged(awaiting, CaseStatus.AWAITING_DECISION)
    assert county.post(f"/cases/{awaiting.pk}/confirm-amount/", {"version": awaiting.version}).status_code == 302
    awaiting.refresh_from_db()
    assert awaiting.status == CaseStatus.ACTIVE and awaiting.monthly_amount == Decimal("1200.00")
