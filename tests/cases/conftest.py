"""Case fixtures: a household with a standard, and a helper that walks a case to any state."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from cases import services, workflow
from cases.models import Case, CaseStatus
from tests.cases.factories import make_household, make_standard
from tests.factories import UserFactory

TODAY = date.today()


@pytest.fixture
def standard(county):
    return make_standard(county, Decimal("784"), date(2020, 1, 1))


@pytest.fixture
def household(village, standard):
    return make_household(village, members=2, monthly_income=Decimal("600"))


@pytest.fixture
def investigator(township):
    return UserFactory(username="township2", role="township_staff", division=township, first_name="调查员")


@pytest.fixture
def draft(village_staff, household):
    return new_draft(village_staff, household)


def new_draft(actor, household, **extra):
    applicant = household.members.get(relationship="head")
    data = dict(applicant=applicant, reason="因病致贫", authorisation_signed=True,
                authorisation_date=TODAY - timedelta(days=1)) | extra
    return services.case_create(actor=actor, household=household, **data)


class Walker:
    """Moves a case forward through the services, as the people of each role would."""

    def __init__(self, village_staff, county_officer, county_officer2, township_staff, investigator):
        self.village, self.county, self.county2 = village_staff, county_officer, county_officer2
        self.township, self.investigator = township_staff, investigator

    def visit(self, case, number, income=None, who=None):
        who = who or [self.township, self.investigator]
        return workflow.run("visits", actor=self.township, case=case, number=number,
                            visit_date=TODAY, investigators=who, findings="属实",
                            verified_monthly_income=income, applicant_signed=True)

    def to(self, case: Case, status: str, **kw) -> Case:
        order = [CaseStatus.DRAFT, CaseStatus.SUBMITTED, CaseStatus.UNDER_INVESTIGATION, CaseStatus.INVESTIGATED,
                 CaseStatus.IN_NOTICE, CaseStatus.AWAITING_DECISION, CaseStatus.ACTIVE]
        special = {CaseStatus.REJECTED: CaseStatus.AWAITING_DECISION, CaseStatus.WITHDRAWN: CaseStatus.DRAFT,
                   CaseStatus.CLOSED: CaseStatus.ACTIVE, CaseStatus.GRADUAL_EXIT: CaseStatus.ACTIVE}
        goal = special.get(status, status)
        while case.status != goal:
            step = order.index(case.status)
            if step == 0:
                case = workflow.run("submit", actor=self.village, case=case)
            elif step == 1:
                case = workflow.run("accept", actor=self.county, case=case)
            elif step == 2:
                case = self.visit(case, 1)
                case = self.visit(case, 2)
            elif step == 3:
                case = workflow.run("open_notice", actor=self.county, case=case, on_date=TODAY - timedelta(days=10))
            elif step == 4:
                case = workflow.run("end_notice", actor=self.county, case=case)
            elif step == 5:
                case = workflow.run("approve", actor=self.county2, case=case, category="B")
        if status == CaseStatus.REJECTED:
            case = workflow.run("reject", actor=self.county2, case=case, reason="收入超标")
        elif status == CaseStatus.WITHDRAWN:
            case = workflow.run("withdraw", actor=self.village, case=case, reason="申请人撤回")
        elif status == CaseStatus.CLOSED:
            case = workflow.run("exit", actor=self.county, case=case, kind="death", reason="死亡")
        elif status == CaseStatus.GRADUAL_EXIT:
            case = workflow.run("exit", actor=self.county, case=case, kind="income_above_line", reason="务工收入超过标准")
        return case


@pytest.fixture
def walker(village_staff, county_officer, county_officer2, township_staff, investigator):
    return Walker(village_staff, county_officer, county_officer2, township_staff, investigator)
