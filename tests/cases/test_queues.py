"""Work queues: the case list (open cases by default, by deadline, sortable, days left), close-notice only
after the period, and each role's home page (what is due, by working days left; query counts pinned)."""

import re
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.test import RequestFactory
from django.utils import timezone

from accounts import views as account_views
from cases import workflow
from cases.models import Case, CaseStatus, PublicNotice
from tests.cases.conftest import new_draft
from tests.cases.factories import make_household
from tests.factories import DivisionFactory, UserFactory

pytestmark = pytest.mark.django_db

# Monday 21 September 2026: Sunday the 20th is a swapped working day, 25-27 September (Mid-Autumn) and
# 1-7 October (National Day) are holidays, Saturday 10 October is worked.
MONDAY = date(2026, 9, 21)


def at(day: date):
    return time_machine.travel(timezone.make_aware(datetime(day.year, day.month, day.day, 9, 0)), tick=False)


def case_ids(page: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr>\s*(?:<td>[^<]*</td>\s*)?<td><a href="/cases/(\d+)/">', page)]


@pytest.fixture
def mix(walker, village, village_staff, standard):
    """Cases in several states; the pending ones get known deadlines around the holidays."""
    def make(status, **deadlines):
        case = walker.to(new_draft(village_staff, make_household(village)), status)
        if deadlines:
            Case.objects.filter(pk=case.pk).update(**deadlines)
        return Case.objects.get(pk=case.pk)
    return {
        "far": make(CaseStatus.UNDER_INVESTIGATION, deadline=date(2026, 10, 9)),
        "near": make(CaseStatus.UNDER_INVESTIGATION, deadline=date(2026, 9, 24)),
        # The step limit is nearer than the whole procedure's: the nearer one counts.
        "late": make(CaseStatus.AWAITING_DECISION, deadline=date(2026, 10, 30), step_deadline=date(2026, 9, 18)),
        "submitted": make(CaseStatus.SUBMITTED),
        "active": make(CaseStatus.ACTIVE),
        "rejected": make(CaseStatus.REJECTED),
    }


def test_case_list_shows_open_cases_by_deadline_with_working_days_left(web, mix, county_officer):
    with at(MONDAY):
        page = web(county_officer).get("/cases/").content.decode()
        ids = case_ids(page)
        # Decided cases are left out; the nearest deadline first, cases without one last.
        assert ids == [mix["late"].pk, mix["near"].pk, mix["far"].pk, mix["submitted"].pk]
        left = dict(re.findall(r'<a href="/cases/(\d+)/">\d+</a>.*?data-days-left="(-?\d*)"', page, re.S))
        # 18 Sep (Fri) -> 21 Sep: Sunday the 20th was worked, so 2 working days overdue.
        assert left[str(mix["late"].pk)] == "-2"
        assert left[str(mix["near"].pk)] == "3"
        # 22, 23, 24, 28, 29, 30 September, 8 and 9 October: the holidays do not count.
        assert left[str(mix["far"].pk)] == "8"
        assert left[str(mix["submitted"].pk)] == ""
        # The submission date is shown.
        assert mix["submitted"].submitted_at.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d") in page
        every = case_ids(web(county_officer).get("/cases/?status=all").content.decode())
        assert mix["active"].pk in every and mix["rejected"].pk in every
        decided = case_ids(web(county_officer).get("/cases/?status=active").content.decode())
        assert decided == [mix["active"].pk]


def test_case_list_columns_sort_from_a_whitelist(web, mix, county_officer):
    client = web(county_officer)
    with at(MONDAY):
        ids = case_ids(client.get("/cases/?sort=-deadline").content.decode())
        assert ids[:3] == [mix["far"].pk, mix["near"].pk, mix["late"].pk]
        ids = case_ids(client.get("/cases/?sort=id").content.decode())
        assert ids == sorted(ids)
        page = client.get("/cases/?sort=deadline").content.decode()
        # The header links keep the filters and flip the direction of the current column.
        assert 'href="?sort=-deadline"' in page and 'aria-sort="ascending"' in page
        for bad in ("password", "household__head_name", "deadline;drop"):
            response = client.get(f"/cases/?sort={bad}")
            assert response.status_code == 400 and "sort" in response.content.decode()


def test_close_notice_is_offered_only_once_the_period_is_over(web, walker, draft, county_officer):
    case = walker.to(draft, CaseStatus.IN_NOTICE)
    PublicNotice.objects.filter(case=case).update(starts_on=date(2026, 9, 18), ends_on=date(2026, 9, 24))
    with at(MONDAY):
        client = web(county_officer)
        page = client.get(f"/cases/{case.pk}/").content.decode()
        assert f"/cases/{case.pk}/end-notice/" not in page
        assert 'data-notice-closes="2026-09-25"' in page and "2026-09-25" in page
        response = client.get(f"/cases/{case.pk}/end-notice/", follow=True)
        assert response.redirect_chain[-1][0] == f"/cases/{case.pk}/"
        assert "2026-09-25" in response.content.decode()
        # A posted close before the end changes nothing.
        client.post(f"/cases/{case.pk}/end-notice/", {"version": case.version})
        assert Case.objects.get(pk=case.pk).status == CaseStatus.IN_NOTICE
    with at(date(2026, 9, 25)):
        client = web(county_officer)
        assert f"/cases/{case.pk}/end-notice/" in client.get(f"/cases/{case.pk}/").content.decode()
        assert client.post(f"/cases/{case.pk}/end-notice/", {"version": case.version}).status_code == 302
        assert Case.objects.get(pk=case.pk).status == CaseStatus.AWAITING_DECISION


def due_rows(page: str) -> list[tuple[str, str]]:
    table = re.search(r'<table[^>]*id="due-table".*?</table>', page, re.S)
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S) if table else []:
        link, left = re.search(r'<a href="(/[^"]+)"', row), re.search(r'data-days-left="(-?\d+)"', row)
        if link:
            rows.append((link.group(1), left.group(1) if left else ""))
    return rows


def test_county_home_lists_what_is_due_by_working_days_left(web, mix, walker, village, village_staff,
                                                           county_officer):
    notice = walker.to(new_draft(village_staff, make_household(village)), CaseStatus.IN_NOTICE)
    PublicNotice.objects.filter(case=notice).update(starts_on=date(2026, 9, 18), ends_on=date(2026, 9, 24))
    with at(MONDAY):
        page = web(county_officer).get("/").content.decode()
    rows = due_rows(page)
    urls = [u for u, _ in rows]
    # Overdue decision, then the visits and the notice ending on the 24th (3 working days), the far
    # visits (8), and the submission to accept (no time limit of its own) last.
    assert urls[0] == f"/cases/{mix['late'].pk}/" and rows[0][1] == "-2"
    assert set(urls[1:3]) == {f"/cases/{mix['near'].pk}/", f"/cases/{notice.pk}/"}
    assert {r[1] for r in rows[1:3]} == {"3"}
    assert urls[3] == f"/cases/{mix['far'].pk}/" and rows[3][1] == "8"
    assert urls[4] == f"/cases/{mix['submitted'].pk}/"
    assert f"/cases/{mix['active'].pk}/" not in urls and f"/cases/{mix['rejected'].pk}/" not in urls
    # The notice says when it closes by itself.
    assert "2026-09-25" in page


def test_township_home_shows_visits_in_its_villages(web, mix, township_staff, county, walker, village_staff):
    other_township = DivisionFactory(code="370283102000", name="北村镇", level="township", parent=county)
    other_village = DivisionFactory(code="370283102201", name="北村", level="village", parent=other_township)
    other_staff = UserFactory(username="beicun", role="village_staff", division=other_village)
    elsewhere = workflow.run("submit", actor=other_staff, case=new_draft(other_staff, make_household(other_village)))
    elsewhere = workflow.run("accept", actor=walker.county, case=elsewhere)
    with at(MONDAY):
        page = web(township_staff).get("/").content.decode()
    urls = [u for u, _ in due_rows(page)]
    assert urls == [f"/cases/{mix['near'].pk}/", f"/cases/{mix['far'].pk}/"]
    assert f"/cases/{elsewhere.pk}/" not in page
    # No promise of a township review step that does not exist.
    assert "乡镇审核" not in page and "township check" not in page
    assert "/cases/?status=under_investigation" in page


ROLE_FIXTURES = ["village_staff", "township_staff", "county_officer", "county_auditor", "admin_user"]
# Home page queries per role with due work in the area (session and user included).
HOME_QUERIES = {"village_staff": 11, "township_staff": 12, "county_officer": 14, "county_auditor": 4,
                "admin_user": 9}


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_home_page_query_count_per_role(request, role, web, mix, django_assert_num_queries):
    user = request.getfixturevalue(role)
    client = web(user)
    client.get("/")
    with at(MONDAY), django_assert_num_queries(HOME_QUERIES[role]):
        assert client.get("/").status_code == 200


def test_each_home_panel_query_count(mix, county_officer, django_assert_num_queries):
    """Per panel (registered from the apps' ready()): cases = counts + calendar + due cases + their calendar."""
    expected = {"cases.panels.cases_panel": 4, "households.views.households_panel": 0,
                "poverty_registry.panels.home_panel": 1, "evidence.views.complaints_home_panel": 2,
                "overlaps.views.home_panel": 2, "recipients.views.home_panel": 2}
    names = {f"{p.__module__}.{p.__name__}" for p in account_views.HOME_PANELS}
    assert set(expected) <= names
    request = RequestFactory().get("/")
    request.user = county_officer
    with at(MONDAY):
        for panel in account_views.HOME_PANELS:
            name = f"{panel.__module__}.{panel.__name__}"
            if name not in expected:
                continue
            with django_assert_num_queries(expected[name]):
                panel(request)


def test_due_order_puts_time_limits_first_then_the_longest_waiting():
    rows = [{"days_left": None, "waited": 2}, {"days_left": 5}, {"days_left": -1}, {"days_left": None, "waited": 9},
            {"days_left": None, "waited": None}]
    ordered = sorted(rows, key=account_views.due_order)
    assert [r.get("days_left") for r in ordered[:2]] == [-1, 5]
    assert [r.get("waited") for r in ordered[2:]] == [9, 2, None]


def test_detail_page_tells_when_the_notice_closes_itself(web, walker, draft, county_officer):
    case = walker.to(draft, CaseStatus.IN_NOTICE)
    PublicNotice.objects.filter(case=case).update(starts_on=MONDAY, ends_on=MONDAY + timedelta(days=6))
    with at(MONDAY):
        page = web(county_officer).get(f"/cases/{case.pk}/").content.decode()
    assert "2026-09-28" in page  # the first day after the last day of the notice
