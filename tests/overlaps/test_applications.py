"""Issue 17 item 10: the cross-check runs on applications (APPLICATION_ROSTER_CONFLICT).

From acceptance until the decision, an applicant household sharing a member with a poverty-roster
household that is lifted out with an income above the standard, or whose roster income is far above
the declared one, has an open finding; it shows on the case page and blocks nothing before the decision.
"""

from datetime import date
from decimal import Decimal

import pytest

from cases import workflow
from cases.models import CaseStatus
from households import services as households
from overlaps.models import FlagStatus, OverlapFlag, OverlapPolicy, RuleCode
from overlaps.rules import RULES
from overlaps.services import overlaps_check_persons, overlaps_scan
from poverty_registry import services as registry
from tests.cases.conftest import investigator, new_draft, standard, walker  # noqa: F401
from tests.cases.factories import make_household
from tests.overlaps import builders as b

pytestmark = pytest.mark.django_db
RULE = RuleCode.APPLICATION_ROSTER_CONFLICT


def keys(prefix="", person_ids=None):
    return {f.subject_key for f in RULES[RULE].scan(prefix, person_ids=person_ids)}


def open_flags(rule=RULE):
    return OverlapFlag.objects.filter(rule=rule, status=FlagStatus.OPEN)


# -- the rule on its own ------------------------------------------------------------------------------


def test_rule_states_and_thresholds(village, county, county_officer, std):  # standard 800
    made = {}
    for status in ("draft", "submitted", "under_investigation", "investigated", "in_notice", "awaiting_decision",
                   "active", "rejected", "withdrawn"):
        p = b.person(name="甲")
        made[status] = b.case(b.household(village, [p], income=Decimal("300")), county_officer, status=status)
        b.registry(village, [p], status="lifted", annual=Decimal("60000"))  # 5000 a month
    accepted = {f"c:{made[s].pk}" for s in ("under_investigation", "investigated", "in_notice", "awaiting_decision")}
    assert keys() == accepted  # drafts, submitted-only, paid and decided cases: not this rule

    def case_with(income, status, annual):
        p = b.person(name="乙")
        c = b.case(b.household(village, [p], income=Decimal(income)), county_officer, status="under_investigation")
        b.registry(village, [p], status=status, annual=Decimal(annual))
        return f"c:{c.pk}"

    agrees = case_with("300", "registered", "3900")  # 325 vs 300: the roster agrees
    lifted_below = case_with("700", "lifted", "9000")  # lifted, 750 < 800, close to 700: consistent
    lower = case_with("600", "registered", "1200")  # the roster says poorer: no contradiction
    lifted_above = case_with("700", "lifted", "9600")  # lifted at 800 >= 800 against 700 declared
    above = case_with("700", "registered", "10200")  # 850 > 800 x 1.00, figures close (0.18)
    far = case_with("100", "registered", "6000")  # 500 vs 100 declared: 0.8 > 0.5
    found = {f.subject_key: f for f in RULES[RULE].scan("")}
    assert set(found) == accepted | {lifted_above, above, far}
    assert not {agrees, lifted_below, lower} & set(found)
    assert found[lifted_above].details["reasons"] == ["registry_lifted_above_standard"]
    assert found[above].details["reasons"] == ["registry_income_above_standard"]
    assert found[far].details["reasons"] == ["income_figures_disagree"]
    example = found[f"c:{made['under_investigation'].pk}"].details
    assert example["reasons"] == ["registry_lifted_above_standard", "registry_income_above_standard",
                                  "income_figures_disagree"]
    assert (example["registry_monthly_income"], example["dibao_monthly_income"], example["standard"]) == (
        "5000.00", "300.00", "800.00")
    # The county's thresholds: a higher multiple spares `above`, a wider ratio spares `far`.
    OverlapPolicy.objects.create(county=county, effective_from=date(2020, 1, 1), ineligible_multiple=Decimal("1.10"),
                                 income_disagreement_ratio=Decimal("0.90"))
    assert keys() == accepted | {lifted_above}
    # The incremental check of any subset finds exactly the full scan's findings for that subset.
    every = [m.person_id for c in made.values() for m in c.household.members.all()]
    assert keys(person_ids=every) == accepted
    one = made["in_notice"].household.members.get().person_id
    assert keys(person_ids=[one]) == {f"c:{made['in_notice'].pk}"}
    assert keys(prefix=village.code) == keys() and keys(prefix="9") == set()


def test_full_scan_and_incremental_check_agree(village, county_officer, std):
    cases = []
    for income, annual in (("300", "60000"), ("300", "3900"), ("100", "6000")):
        p = b.person(name="丙")
        cases.append(b.case(b.household(village, [p], income=Decimal(income)), county_officer,
                            status="under_investigation"))
        b.registry(village, [p], status="lifted", annual=Decimal(annual))
    persons = [c.household.members.get().person_id for c in cases]
    incremental = overlaps_check_persons(persons)[RULE]
    assert incremental["raised"] == 2
    by_check = {(f.subject_key, f.data_fingerprint) for f in open_flags()}
    full = overlaps_scan()[RULE]
    assert full["found"] == 2 and full["raised"] == 0 and full["closed"] == 0  # the same findings, kept
    assert {(f.subject_key, f.data_fingerprint) for f in open_flags()} == by_check == {
        (f"c:{c.pk}", f.fingerprint) for c, f in zip((cases[0], cases[2]), sorted(
            RULES[RULE].scan(""), key=lambda f: f.details["case"]), strict=True)}


def test_an_explained_finding_is_not_raised_again_as_the_case_moves_on(village, county_officer, std):
    p = b.person()
    case = b.case(b.household(village, [p], income=Decimal("300")), county_officer, status="under_investigation")
    b.registry(village, [p], status="lifted", annual=Decimal("60000"))
    overlaps_scan(rules=[RULE])
    open_flags().update(status=FlagStatus.EXPLAINED)
    case.status = CaseStatus.INVESTIGATED
    case.save()
    assert overlaps_scan(rules=[RULE])[RULE]["suppressed"] == 1
    assert not open_flags().exists()


# -- through the real workflow and the change feed ------------------------------------------------------


@pytest.fixture
def applicant(village, standard):  # standard 784; 600 a month for two: 300 per person declared  # noqa: F811
    household = make_household(village, members=2, monthly_income=Decimal("600"))
    head = household.members.get(relationship="head").person
    roster = b.registry(village, [head], status="lifted", annual=Decimal("60000"))
    return household, roster


def test_acceptance_raises_the_finding_and_it_blocks_nothing_until_decision(
        applicant, village_staff, walker, web, county_officer, django_capture_on_commit_callbacks):  # noqa: F811
    household, roster = applicant
    with django_capture_on_commit_callbacks(execute=True):
        case = new_draft(village_staff, household)
    assert not open_flags().exists()  # a draft: none
    with django_capture_on_commit_callbacks(execute=True):
        case = workflow.run("submit", actor=village_staff, case=case)
    assert not open_flags().exists()  # submitted, not yet accepted: none
    with django_capture_on_commit_callbacks(execute=True):
        case = workflow.run("accept", actor=county_officer, case=case)
    flag = open_flags().get()
    assert flag.subject_key == f"c:{case.pk}" and flag.division_code == case.division_code
    assert list(flag.cases.all()) == [case] and list(flag.registry_households.all()) == [roster]
    assert flag.details["registry_status"] == "lifted" and flag.details["dibao_monthly_income"] == "300.00"
    # The case page lists it with a link to the finding, for the village staff who entered it.
    html = web(village_staff).get(f"/findings/counts/case/{case.pk}/").content.decode()
    assert f'href="/findings/{flag.pk}/"' in html and "APPLICATION_ROSTER_CONFLICT × 1" in html
    detail = web(village_staff).get(f"/findings/{flag.pk}/")
    assert detail.status_code == 200 and roster.registry_code in detail.content.decode()
    # Nothing refuses: visits, notice and approval (without an override reason) go through.
    with django_capture_on_commit_callbacks(execute=True):
        case = walker.to(case, CaseStatus.AWAITING_DECISION)
    assert open_flags().get().pk == flag.pk  # the same finding all along, refreshed not re-raised
    with django_capture_on_commit_callbacks(execute=True):
        case = workflow.run("approve", actor=walker.county2, case=case, category="B")
    assert case.status == CaseStatus.ACTIVE
    flag.refresh_from_db()
    assert flag.status == FlagStatus.CLOSED  # decided: the recipient rules take over
    assert open_flags(RuleCode.STATUS_CONFLICT).filter(cases=case).exists()


def test_an_agreeing_roster_raises_none(applicant, village_staff, walker, django_capture_on_commit_callbacks):  # noqa: F811
    household, roster = applicant
    roster.status, roster.annual_income_per_capita = "registered", Decimal("3900")  # 325 vs 300 declared
    roster.save()
    with django_capture_on_commit_callbacks(execute=True):
        walker.to(new_draft(village_staff, household), CaseStatus.UNDER_INVESTIGATION)
    assert not OverlapFlag.objects.filter(rule=RULE).exists()


def _accepted(applicant, village_staff, walker, capture):  # noqa: F811
    household, _roster = applicant
    with capture(execute=True):
        case = walker.to(new_draft(village_staff, household), CaseStatus.UNDER_INVESTIGATION)
    flag = open_flags().get()
    return case, flag


def test_correcting_the_household_income_closes_it(applicant, village_staff, walker,  # noqa: F811
                                                   django_capture_on_commit_callbacks):
    case, flag = _accepted(applicant, village_staff, walker, django_capture_on_commit_callbacks)
    household = case.household
    household.refresh_from_db()
    income = household.incomes.get()
    with django_capture_on_commit_callbacks(execute=True):
        households.household_update(actor=village_staff, household=household, version=household.version, data={
            "incomes": [{"id": income.pk, "kind": "wages", "monthly_amount": "9800", "period_months": 12}]})
    household.refresh_from_db()
    assert household.per_capita_monthly_income > Decimal("4000")  # the policy deducts a share of wages
    flag.refresh_from_db()
    assert flag.status == FlagStatus.CLOSED and flag.closed_at


def test_correcting_the_roster_closes_it(applicant, village_staff, county_officer, walker,  # noqa: F811
                                         django_capture_on_commit_callbacks):
    _household, roster = applicant
    _case, flag = _accepted(applicant, village_staff, walker, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        registry.registration_update(actor=county_officer, household=roster, status="registered",
                                     annual_income_per_capita=Decimal("3600"))
    flag.refresh_from_db()
    assert flag.status == FlagStatus.CLOSED


@pytest.mark.parametrize("end", ["withdraw", "reject"])
def test_withdrawal_or_rejection_closes_it(end, applicant, village_staff, walker,  # noqa: F811
                                           django_capture_on_commit_callbacks):
    case, flag = _accepted(applicant, village_staff, walker, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        if end == "withdraw":
            case = workflow.run("withdraw", actor=village_staff, case=case, reason="申请人撤回")
        else:
            case = walker.to(case, CaseStatus.REJECTED)
    assert case.status in (CaseStatus.WITHDRAWN, CaseStatus.REJECTED)
    flag.refresh_from_db()
    assert flag.status == FlagStatus.CLOSED
    assert not OverlapFlag.objects.filter(status=FlagStatus.OPEN, cases=case).exists()


def test_the_case_page_lists_only_findings_in_scope(applicant, village_staff, other_village_staff, walker,  # noqa: F811
                                                    web, django_capture_on_commit_callbacks):
    case, flag = _accepted(applicant, village_staff, walker, django_capture_on_commit_callbacks)
    assert f'hx-get="/findings/counts/case/{case.pk}/"' in web(village_staff).get(f"/cases/{case.pk}/").content.decode()
    OverlapFlag.objects.filter(pk=flag.pk).update(status=FlagStatus.EXPLAINED)
    html = web(village_staff).get(f"/findings/counts/case/{case.pk}/").content.decode()
    assert f"/findings/{flag.pk}/" not in html  # resolved: no longer listed
    assert web(other_village_staff).get(f"/findings/counts/case/{case.pk}/").status_code == 404
