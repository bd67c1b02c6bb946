"""Browser journeys in real headless Chromium.

Village staff log in, create a household with three members through the form (adding member rows with
the page's own JavaScript), see it; an officer and the auditor find it, the auditor is refused the edit
form and opens the dashboard without a script error. The whole application (apply, submit, accept, visit,
notice, approve, dashboard, export), in Chinese and in English, is in test_application_journey.py.
"""

from datetime import date

import pytest

from households.idnumber import make_id_number
from households.models import Household
from tests.factories import PASSWORD
from tests.households.factories import make_policy, make_standard

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _members():
    return [
        (make_id_number("370283", date(1968, 3, 4), 11), "王建国", "head"),
        (make_id_number("370283", date(1970, 7, 9), 22), "李秀英", "spouse"),
        (make_id_number("370283", date(2008, 1, 15), 33), "王小明", "child"),
    ]


def create_household_in_the_browser(b, village, address, bank_account="", wages=None):
    b.get("/households/new/")
    b.shot("household-form")
    if b.find_all("select[name=village]"):
        b.select("select[name=village]", village.code)
    b.fill("input[name=address]", address)
    if bank_account:  # needed before an application can be submitted
        b.fill("input[name=bank_name]", "农村商业银行")
        b.fill("input[name=bank_account]", bank_account)
    members = _members()
    for _ in range(len(members) - 1):
        b.click("[data-formset=members] .formset-add")
    assert b.find("input[name=members-TOTAL_FORMS]").get_attribute("value") == "3"
    for i, (id_number, name, relationship) in enumerate(members):
        b.fill(f"input[name=members-{i}-id_number]", id_number)
        b.fill(f"input[name=members-{i}-name]", name)
        b.select(f"select[name=members-{i}-relationship]", relationship)
    if wages is not None:  # an application needs income recorded, zero included
        b.click("[data-formset=incomes] .formset-add")
        b.select("select[name=incomes-0-kind]", "wages")
        b.fill("input[name=incomes-0-monthly_amount]", wages)
    b.shot("household-filled")
    b.click("main form[method=post] button[type=submit].btn-primary")
    b.wait_for(lambda: "/households/new/" not in b.driver.current_url)
    b.shot("household-saved")
    household = Household.objects.get(address=address)
    assert b.path == f"/households/{household.pk}/"
    assert household.members.filter(is_active=True).count() == 3
    assert household.size == 3
    return household


def test_village_staff_enter_a_household_officer_and_auditor_find_it(browser, county, village, village_staff,
                                                                      county_officer, auditor):
    make_standard(county)
    make_policy(county)
    b = browser
    b.log_in("village1", PASSWORD)
    assert 'lang="zh-hans"' in b.html
    household = create_household_in_the_browser(b, village, "东关村8号")
    html = b.html
    for _, name, _ in _members():
        assert name in html
    assert "户主" in html  # relationship shown in Chinese
    # The full ID number is not on the page: the list and detail show it masked.
    assert _members()[0][0] not in html

    b.log_out()
    b.log_in("county1", PASSWORD)
    b.get("/households/?q=王建国")
    b.shot("officer-search")
    assert f"/households/{household.pk}/" in b.html
    b.get(f"/households/{household.pk}/")
    assert "王小明" in b.html

    b.log_out()
    b.log_in("auditor", PASSWORD)
    b.get(f"/households/{household.pk}/")
    b.shot("auditor-detail")
    assert "王小明" in b.html
    # The auditor reads but is not offered the edit form, and the form itself is refused.
    assert f"/households/{household.pk}/edit/" not in b.html
    b.get(f"/households/{household.pk}/edit/")
    assert "无权操作" in b.driver.title  # the 403 page
    # The dashboard renders with its scripts under the CSP: no violation or script error in the console.
    b.driver.get_log("browser")  # drop what came before
    b.get("/reports/")
    b.wait_for(lambda: "/reports/" in b.driver.current_url)
    b.shot("auditor-dashboard")
    problems = [e for e in b.driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not problems, problems
