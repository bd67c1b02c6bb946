"""A county officer's and a township's day on a phone (390 px wide), in real headless Chromium, without typing a
URL after logging in: the home queue leads to the case, the case to its action. The screenshots are kept in
test-artifacts/<test name>/ (the officers' phones are the first place the layout breaks)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case, CaseStatus, PublicNotice
from tests.cases.conftest import Walker, new_draft
from tests.cases.factories import make_household
from tests.factories import PASSWORD, UserFactory
from tests.households.factories import make_policy, make_standard

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = (390, 844)


@pytest.fixture
def walker(county, township, village_staff, county_officer, county_officer2, township_staff):
    make_standard(county)
    make_policy(county)
    investigator = UserFactory(username="township2", role="township_staff", division=township, first_name="调查员")
    return Walker(village_staff, county_officer, county_officer2, township_staff, investigator)


@pytest.fixture
def phone(request, browser):
    request.node.keep_shots = True
    browser.driver.set_window_size(*PHONE)
    return browser


def fits_the_phone(b):
    """Nothing but the tables' own scroll areas is wider than the screen."""
    width = b.driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= PHONE[0], width


def test_county_officers_day_on_a_phone(phone, walker, village, village_staff):
    b = phone
    to_accept = walker.to(new_draft(village_staff, make_household(village)), CaseStatus.SUBMITTED)
    ready = [walker.to(new_draft(village_staff, make_household(village)), CaseStatus.INVESTIGATED) for _ in range(2)]
    b.log_in("county1", PASSWORD)
    assert b.path == "/"
    b.shot("officer-home")
    fits_the_phone(b)

    # The home queue: the submission to accept -> its case -> accept.
    b.click(f'#due-table a[href="/cases/{to_accept.pk}/"]')
    b.wait_for(lambda: b.path == f"/cases/{to_accept.pk}/")
    b.shot("case-to-accept")
    b.click(f'#case-actions a[href="/cases/{to_accept.pk}/accept/"]')
    b.wait_for(lambda: b.path == f"/cases/{to_accept.pk}/accept/")
    b.shot("accept-form")
    b.click("form.js-case-form button[type=submit]")
    b.wait_for(lambda: b.path == f"/cases/{to_accept.pk}/")
    b.shot("accepted")
    assert Case.objects.get(pk=to_accept.pk).status == CaseStatus.UNDER_INVESTIGATION

    # Home again, the count of cases ready for notice -> the list -> open both notices together.
    b.click("a.navbar-brand")
    b.wait_for(lambda: b.path == "/")
    b.click('main a[href="/cases/?status=investigated"]')
    b.wait_for(lambda: b.path == "/cases/?status=investigated")
    for case in ready:
        version = Case.objects.get(pk=case.pk).version
        b.click(f'input[name=case][value="{case.pk}:{version}"]')
    b.shot("batch-open-notices")
    fits_the_phone(b)
    b.click("#batch-submit")
    b.wait_for(lambda: b.find_all("#batch-summary"))
    b.shot("batch-result")
    assert len(b.find_all('#batch-results tr[data-ok="1"]')) == 2
    assert set(Case.objects.filter(pk__in=[c.pk for c in ready]).values_list("status", flat=True)) == {
        CaseStatus.IN_NOTICE}

    # The village's notice board: both applicants on one sheet, then its PDF.
    b.click(f'a[href="/cases/notice-board/{village.code}/"]')
    b.wait_for(lambda: b.path == f"/cases/notice-board/{village.code}/")
    b.shot("notice-board")
    sheet = b.find("article.doc-sheet").text
    for notice in PublicNotice.objects.filter(case__in=ready):
        assert notice.applicant_name in sheet and str(notice.proposed_amount) in sheet
    b.click("#pdf-download")
    pdf = b.wait_for_download(".pdf")
    assert pdf.read_bytes().startswith(b"%PDF")

    # Back home: the notices now wait in the queue, with the day they close by themselves.
    b.click("a.navbar-brand")
    b.wait_for(lambda: b.path == "/")
    b.shot("officer-home-after")
    queue = b.find("#due-table").text
    closes = PublicNotice.objects.get(case=ready[0]).ends_on + timedelta(days=1)
    assert closes.isoformat() in queue


def test_township_day_on_a_phone(phone, walker, village, village_staff, township_staff):
    b = phone
    case = walker.to(new_draft(village_staff, make_household(village)), CaseStatus.UNDER_INVESTIGATION)
    b.log_in("township1", PASSWORD)
    b.shot("township-home")
    fits_the_phone(b)
    assert "乡镇审核" not in b.find("main").text
    for number in (1, 2):
        b.click(f'#due-table a[href="/cases/{case.pk}/"]')
        b.wait_for(lambda: b.path == f"/cases/{case.pk}/")
        b.shot(f"case-visit-{number}")
        b.click(f'#case-actions a[href="/cases/{case.pk}/visits/"]')
        b.wait_for(lambda: b.path == f"/cases/{case.pk}/visits/")
        b.select("select[name=number]", str(number))
        b.set_value("input[name=visit_date]", str(timezone.localdate()))
        b.click(f'input[name=investigators][value="{township_staff.pk}"]')
        b.click(f'input[name=investigators][value="{walker.investigator.pk}"]')
        b.fill("textarea[name=findings]", f"第{number}次入户：情况属实")
        b.shot(f"visit-form-{number}")
        fits_the_phone(b)
        b.click("form.js-case-form button[type=submit]")
        b.wait_for(lambda: b.path == f"/cases/{case.pk}/")
        b.shot(f"visit-{number}-recorded")
        b.click("a.navbar-brand")
        b.wait_for(lambda: b.path == "/")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.INVESTIGATED
    # Nothing left for the township: the queue no longer lists the case.
    assert not b.find_all(f'#due-table a[href="/cases/{case.pk}/"]')
    b.shot("township-home-done")
