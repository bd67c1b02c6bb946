"""On a 390 px phone, wide tables keep their numbers reachable: a visible cue says the table scrolls
sideways and a shadow marks the side with hidden columns. The help link and the division picker are
reached without typing a URL. Screenshots: test-artifacts/<test>/ (E2E_KEEP_SHOTS=1 keeps them)."""

import pytest

from tests.factories import PASSWORD
from tests.security.conftest import world  # noqa: F401 - one object of each kind in three scopes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_phone_width_tables_show_that_they_scroll(browser, world):  # noqa: F811
    browser.driver.set_window_size(390, 844)
    officer = world.users["county_officer"]
    browser.log_in(officer.username, PASSWORD)
    for path, name in (("/recipients/payment-rolls/", "payment-rolls"), ("/cases/", "cases"),
                       ("/reports/", "dashboard"), (f"/households/{world.household['own'].pk}/", "household")):
        browser.get(path)
        browser.wait_for(lambda: browser.driver.execute_script("return document.readyState") == "complete")
        browser.shot(name)
        wide = browser.driver.execute_script(
            "return Array.from(document.querySelectorAll('.table-responsive'))"
            ".filter(b => b.scrollWidth > b.clientWidth + 2).length")
        cues = browser.find_all(".scroll-cue")
        visible_cues = [c for c in cues if c.is_displayed()]
        marked = browser.driver.execute_script(
            "return document.querySelectorAll('.table-responsive.is-scrollable').length")
        assert marked == wide, (path, marked, wide)
        assert len(visible_cues) == wide, (path, len(visible_cues), wide)
        if visible_cues:
            assert "左右滑动" in visible_cues[0].text
    # The page itself never scrolls sideways: only the tables do.
    assert browser.driver.execute_script("return document.documentElement.scrollWidth") <= 392


def test_help_and_division_picker_without_typing_a_url(browser, world):  # noqa: F811
    browser.driver.set_window_size(390, 844)
    auditor = world.users["auditor"]
    browser.log_in(auditor.username, PASSWORD)
    browser.get("/reports/reports/case_register/")
    browser.shot("report-filters")
    counties = browser.find_all("#report-filters select[name=division]")
    assert counties, "the first level of the picker"
    options = [o.get_attribute("value") for o in counties[0].find_elements("css selector", "option") if o.get_attribute("value")]
    browser.select("#report-filters select[name=division]", options[0])
    browser.wait_for(lambda: len(browser.find_all("#report-filters select[name=division]")) >= 2)
    browser.shot("picker-second-level")
    # the help page is one tap away (the menu on a phone, the footer link everywhere)
    browser.click("footer a[href='/help/']")
    browser.wait_for(lambda: browser.path.startswith("/help/"))
    browser.shot("help")
    assert "审计人员" in browser.html
