"""Every finding links what it concerns; a protection gap offers a new application; edge households are a watch
list of their own and the findings page opens on high severity (issue 21 items 4 and 7)."""

import re
from decimal import Decimal

import pytest

from overlaps.models import FlagStatus, OverlapFlag, RuleCode
from overlaps.services import overlaps_scan
from tests.overlaps import builders as b

pytestmark = pytest.mark.django_db


def household_links(html: str) -> int:
    return len(re.findall(r'href="/households/\d+/"', html))


def flag(rule) -> OverlapFlag:
    return OverlapFlag.objects.get(rule=rule, status=FlagStatus.OPEN)


@pytest.fixture
def gap(village, std):
    """A registered-poor person (500 a month against 800) in a dibao household without a case."""
    p = b.person(name="甲")
    registration = b.registry(village, [p], status="registered", annual=Decimal("6000"))
    household = b.household(village, [p], income=Decimal("500"))
    overlaps_scan()
    return flag(RuleCode.PROTECTION_GAP), household, registration


def test_a_protection_gap_links_its_household_and_registration_and_offers_an_application(
        web, gap, village_staff, county_officer, other_village_staff):
    finding, household, registration = gap
    page = web(village_staff).get(f"/findings/{finding.pk}/").content.decode()
    assert f'href="/households/{household.pk}/" data-link="household"' in page
    assert f'href="/poverty-registry/{registration.pk}/" data-link="registry"' in page
    assert f'href="/cases/new/?household={household.pk}" id="new-application"' in page and "新建申请" in page
    # The link leads to the application form of that household.
    form = web(village_staff).get(f"/cases/new/?household={household.pk}")
    assert form.status_code == 200 and household.head_name in form.content.decode()
    # County officers do not enter applications: the links, no button.
    officer = web(county_officer).get(f"/findings/{finding.pk}/").content.decode()
    assert f'/households/{household.pk}/' in officer and 'id="new-application"' not in officer
    assert web(other_village_staff).get(f"/findings/{finding.pk}/").status_code == 404


def test_a_gap_whose_household_already_applied_offers_no_second_application(web, gap, village_staff,
                                                                            county_officer):
    finding, household, _registration = gap
    b.case(household, county_officer, status="submitted")
    page = web(village_staff).get(f"/findings/{finding.pk}/").content.decode()
    assert f'/households/{household.pk}/' in page and 'id="new-application"' not in page


def test_a_case_finding_links_its_cases_that_the_user_may_open(web, village, other_village, county_officer,
                                                               village_staff):
    p = b.person()
    h1 = b.household(village, [p])
    h2 = b.household(other_village, [b.person(name="李四")])
    b.member(h2, p, is_active=False)
    c1 = b.case(h1, county_officer)
    c2 = b.case(h2, county_officer, status="submitted")
    overlaps_scan()
    finding = flag(RuleCode.DOUBLE_DIBAO)
    page = web(county_officer).get(f"/findings/{finding.pk}/").content.decode()
    for case in (c1, c2):
        assert f'href="/cases/{case.pk}/" data-link="case"' in page
        assert f'href="/households/{case.household_id}/" data-link="household"' in page
    if finding.division_code.startswith(village.code):
        village_page = web(village_staff).get(f"/findings/{finding.pk}/").content.decode()
        assert f"/cases/{c1.pk}/" in village_page and f"/cases/{c2.pk}/" not in village_page  # other village


@pytest.fixture
def edges(village, other_village, std, county_officer):
    """Edge households (income 1 x to 1.5 x the standard of 800) in two villages, and one high finding."""
    made = [b.household(village, [b.person(name=f"边{i}")], income=Decimal("900") + i) for i in range(3)]
    made.append(b.household(other_village, [b.person(name="西边")], income=Decimal("1150")))
    p = b.person(name="重")
    b.case(b.household(village, [p]), county_officer)
    h2 = b.household(other_village, [b.person(name="李四")])
    b.member(h2, p, is_active=False)
    b.case(h2, county_officer, status="submitted")
    overlaps_scan()
    return made


def test_edge_households_have_a_watch_list_of_their_own(web, edges, village, other_village, village_staff,
                                                       county_officer, django_assert_num_queries):
    client = web(county_officer)
    client.get("/findings/watch-list/")
    with django_assert_num_queries(7):  # session, user, its division, villages, count, findings, households
        page = client.get("/findings/watch-list/")
    text = page.content.decode()
    assert page.status_code == 200 and household_links(text) == 4
    assert "1150.00" in text and "800.00" in text and "1200.00" in text  # income, standard, edge line 1.5 x
    assert 'href="/cases/new/' not in text  # county officers do not enter applications
    b.household(village, [b.person(name="再一户")], income=Decimal("1000"))
    overlaps_scan()
    with django_assert_num_queries(7):  # not one more per household
        assert household_links(client.get("/findings/watch-list/").content.decode()) == 5
    # Per village.
    one = client.get(f"/findings/watch-list/?village={other_village.code}").content.decode()
    assert household_links(one) == 1 and "1150.00" in one
    # Village staff see their village's, each with a new application.
    own = web(village_staff).get("/findings/watch-list/").content.decode()
    assert household_links(own) == 4 and "1150.00" not in own
    assert own.count('href="/cases/new/?household=') == 4


def test_the_findings_page_opens_on_high_severity_without_edge_households(web, edges, county_officer):
    client = web(county_officer)
    page = client.get("/findings/")
    listed = list(page.context["page"])
    assert listed and {f.severity for f in listed} == {"high"}
    assert 'href="/findings/watch-list/"' in page.content.decode()
    # Every severity, still no edge household unless its rule is asked for.
    everything = list(client.get("/findings/?status=open&severity=").context["page"])
    assert everything and RuleCode.EDGE_HOUSEHOLD not in {f.rule for f in everything}
    edge = list(client.get(f"/findings/?rule={RuleCode.EDGE_HOUSEHOLD}&severity=").context["page"])
    assert len(edge) == 4 and {f.rule for f in edge} == {RuleCode.EDGE_HOUSEHOLD}
    # The home panel counts the watch list apart.
    home = client.get("/").content.decode()
    assert "/findings/watch-list/" in home
