"""A whole day per role in real headless Chromium, in Chinese and in English, on a 390 px phone, reaching
everything by clicking: after the login page no URL is typed (no `get` of a deep page). Each journey
starts at the home page and follows the menu, the work queue and the links of the records:

(a) village clerk: a household entered, an application for it, submitted;
(b) county officer: a due periodic review opened from the work queue (its case link and the household's
    current income on the page), completed; then a case awaiting decision from the queue, approved;
(c) county officer: a high-severity finding from the findings page, followed to its case and household,
    resolved;
(d) county officer: a case from the case list, a complaint recorded about it (the case page offers it),
    the complaint linked to the case, investigated and answered;
(e) auditor: a report exported as CSV (the file lands), the audit log read, and the access log tab
    showing that export.

On every page the visible text is checked for developer words (code names, dotted names, reprs), and on
the Chinese pages for English words too (tests/security/test_page_words.py's rules). Screenshots are kept
in test-artifacts/<test name>/.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.models import AccessLog, AuditEvent
from cases.models import Case, CaseStatus
from evidence.models import Complaint
from households.idnumber import make_id_number
from households.models import Household
from overlaps.models import FlagStatus, OverlapFlag, RuleCode, Severity
from overlaps.services import overlaps_scan
from recipients.models import Review, ReviewStatus
from tests.cases.conftest import Walker, new_draft
from tests.cases.factories import make_household
from tests.factories import PASSWORD, UserFactory
from tests.households.factories import make_policy, make_standard
from tests.overlaps import builders as ob
from tests.recipients.factories import make_case
from tests.security.test_page_words import developer_words

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = (390, 844)
LANGUAGES = ["zh-hans", "en"]
# What people typed or are called: user names, and the pinyin of the persons' names (the finding's comparison
# shows it, as the registry spells them).
USERNAMES = {"village1", "township1", "township2", "county1", "county2", "auditor", "zhangsan", "lisi"}


@pytest.fixture
def day(request, shared_browser, county, township, village, village_staff, county_officer, county_officer2,
        township_staff, auditor, language):
    """The phone, in the journey's language, with the county's standard and policy in place."""
    request.node.keep_shots = True
    make_standard(county)
    make_policy(county)
    b = shared_browser
    b.driver.set_window_size(*PHONE)
    if language == "en":
        b.get("/accounts/login/")
        b.select("#language-select", "en")
        b.wait_for(lambda: 'lang="en"' in b.html)
    return b


def check_words(b, language):
    """No developer words on the page; on a Chinese page no English words either."""
    b.wait_for(lambda: b.driver.execute_script("return document.readyState") == "complete")
    found = developer_words(b.html, names=USERNAMES)
    if language != "zh-hans":  # English prose: its words, and its abbreviations (e.g., i.e.)
        found = [f for f in found if not f.startswith("English ") and f not in ("dotted e.g", "dotted i.e")]
    assert not found, (b.path, found[:10])
    assert f'lang="{language}"' in b.html


def visit(b, language, name):
    check_words(b, language)
    b.shot(name)
    assert b.driver.execute_script("return document.documentElement.scrollWidth") <= PHONE[0], name


def menu(b, href):
    """A link of the main menu: on a phone behind the menu button."""
    link = b.find(f'#mainnav a[href="{href}"]')
    if not link.is_displayed():
        b.click("button.navbar-toggler")
        b.wait_for(link.is_displayed)
    link.click()
    b.wait_for(lambda: b.path.split("?")[0] == href)


def home(b):
    b.click("a.navbar-brand")
    b.wait_for(lambda: b.path == "/")


def log_in(b, username, language):
    b.log_in(username, PASSWORD)
    assert b.path == "/"
    visit(b, language, f"home-{username}")


def submit_case_form(b, case_id):
    b.click("form.js-case-form button[type=submit]")
    b.wait_for(lambda: b.path == f"/cases/{case_id}/")


@pytest.mark.parametrize("language", LANGUAGES)
def test_village_clerk_enters_a_household_and_submits_an_application(day, language, village):
    b = day
    log_in(b, "village1", language)
    menu(b, "/households/")
    visit(b, language, "households")
    b.click('main a[href="/households/new/"]')
    b.wait_for(lambda: b.path == "/households/new/")
    visit(b, language, "household-form")
    address = f"东关村{LANGUAGES.index(language) + 7}号"
    b.fill("input[name=address]", address)
    b.fill("input[name=bank_name]", "农村商业银行")
    b.fill("input[name=bank_account]", "6228480012345678")
    members = [(make_id_number("370283", date(1968, 3, 4), 11), "王建国", "head"),
               (make_id_number("370283", date(2008, 1, 15), 33), "王小明", "child")]
    b.click("[data-formset=members] .formset-add")
    for i, (id_number, name, relationship) in enumerate(members):
        b.fill(f"input[name=members-{i}-id_number]", id_number)
        b.fill(f"input[name=members-{i}-name]", name)
        b.select(f"select[name=members-{i}-relationship]", relationship)
    b.click("[data-formset=incomes] .formset-add")
    b.select("select[name=incomes-0-kind]", "wages")
    b.fill("input[name=incomes-0-monthly_amount]", "700")
    b.shot("household-filled")
    b.click("main form[method=post] button[type=submit].btn-primary")
    b.wait_for(lambda: b.path.startswith("/households/") and b.path != "/households/new/")
    household = Household.objects.get(address=address)
    assert b.path == f"/households/{household.pk}/" and household.size == 2
    b.wait_for(lambda: b.find_all("#household-cases a.btn-primary"))  # the Applications card (htmx)
    visit(b, language, "household-saved")

    b.click("#household-cases a.btn-primary")
    b.wait_for(lambda: b.path.startswith("/cases/new/"))
    visit(b, language, "application-form")
    b.select("#id_applicant", str(household.members.get(relationship="head").pk))
    b.fill("#id_reason", "因病致贫，户主长期住院")
    b.click("#id_authorisation_signed")
    b.set_value("#id_authorisation_date", str(timezone.localdate()))
    b.click("main form[method=post] button[type=submit]")
    b.wait_for(lambda: not b.path.startswith("/cases/new/"))
    case = Case.objects.get(household=household)
    assert b.path == f"/cases/{case.pk}/" and case.status == CaseStatus.DRAFT
    visit(b, language, "draft")
    b.click(f'#case-actions a[href="/cases/{case.pk}/submit/"]')
    b.wait_for(lambda: b.path == f"/cases/{case.pk}/submit/")
    visit(b, language, "submit-form")
    submit_case_form(b, case.pk)
    visit(b, language, "submitted")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED
    # Home again: the application waits for the county now, and the clerk's list shows it.
    home(b)
    menu(b, "/cases/")
    assert b.find_all(f'main a[href="/cases/{case.pk}/"]')
    visit(b, language, "cases-after")


@pytest.fixture
def walker(county, township, village_staff, county_officer, county_officer2, township_staff):
    investigator = UserFactory(username="township2", role="township_staff", division=township, first_name="调查员")
    return Walker(village_staff, county_officer, county_officer2, township_staff, investigator)


@pytest.mark.parametrize("language", LANGUAGES)
def test_county_officer_reviews_and_decides_from_the_queue(day, language, walker, village, village_staff,
                                                          county_officer):
    b = day
    recipient = make_case(village, county_officer, household=make_household(village, monthly_income=Decimal("1300")))
    review = Review.objects.create(case=recipient, division_code=recipient.division_code,
                                   due_date=timezone.localdate() + timedelta(days=3))
    waiting = walker.to(new_draft(village_staff, make_household(village)), CaseStatus.AWAITING_DECISION)
    log_in(b, "county1", language)

    # The review from the work queue: the case it concerns and the household's income are on its page.
    b.click(f'#due-table a[href="/recipients/reviews/{review.pk}/"]')
    b.wait_for(lambda: b.path == f"/recipients/reviews/{review.pk}/")
    visit(b, language, "review")
    assert "650.00" in b.find("main").text  # 1300 yuan a month for two people
    b.click(f'main a[href="/households/{recipient.household_id}/"]')
    b.wait_for(lambda: b.path == f"/households/{recipient.household_id}/")
    visit(b, language, "review-household")
    b.driver.back()
    b.click(f'main a[href="/cases/{recipient.pk}/"]')
    b.wait_for(lambda: b.path == f"/cases/{recipient.pk}/")
    visit(b, language, "review-case")
    b.driver.back()
    b.wait_for(lambda: b.path == f"/recipients/reviews/{review.pk}/")
    b.select("select[name=outcome]", "continue")
    b.fill("textarea[name=findings]", "入户核查：家庭情况无变化")
    b.shot("review-filled")
    b.click("form.js-review-form button[type=submit]")
    b.wait_for(lambda: Review.objects.get(pk=review.pk).status == ReviewStatus.COMPLETED)
    visit(b, language, "review-done")

    # The decision due, from the queue.
    home(b)
    b.click(f'#due-table a[href="/cases/{waiting.pk}/"]')
    b.wait_for(lambda: b.path == f"/cases/{waiting.pk}/")
    visit(b, language, "case-to-decide")
    b.click(f'#case-actions a[href="/cases/{waiting.pk}/approve/"]')
    b.wait_for(lambda: b.path == f"/cases/{waiting.pk}/approve/")
    b.select("select[name=category]", "B")
    visit(b, language, "approve-form")
    submit_case_form(b, waiting.pk)
    visit(b, language, "approved")
    waiting.refresh_from_db()
    assert waiting.status == CaseStatus.ACTIVE and waiting.decided_by == county_officer
    home(b)
    assert not b.find_all(f'#due-table a[href="/cases/{waiting.pk}/"]')
    assert not b.find_all(f'#due-table a[href="/recipients/reviews/{review.pk}/"]')
    visit(b, language, "home-after")


@pytest.mark.parametrize("language", LANGUAGES)
def test_county_officer_follows_a_high_severity_finding_and_resolves_it(day, language, village, other_village,
                                                                        county_officer):
    b = day
    person = ob.person(name="张三")
    first = ob.household(village, [person])
    second = ob.household(other_village, [ob.person(name="李四")])
    ob.member(second, person, is_active=False)
    case = ob.case(first, county_officer)
    ob.case(second, county_officer, status="submitted")
    for i in range(3):  # edge households: a watch list of their own, not on the findings page
        ob.household(village, [ob.person(name=f"边缘{i}")], income=Decimal("1000"))
    overlaps_scan()
    flag = OverlapFlag.objects.get(rule=RuleCode.DOUBLE_DIBAO, status=FlagStatus.OPEN)
    assert flag.severity == Severity.HIGH

    log_in(b, "county1", language)
    menu(b, "/findings/")
    visit(b, language, "findings")
    numbers = [href.rstrip("/").rsplit("/", 1)[1] for href in
               (a.get_attribute("href") for a in b.find_all('main table a[href^="/findings/"]'))]
    shown = [int(n) for n in numbers if n.isdigit()]
    # The page opens on high severity: the double dibao first, no edge household among the findings.
    assert shown[0] == flag.pk
    assert not OverlapFlag.objects.filter(pk__in=shown, rule=RuleCode.EDGE_HOUSEHOLD).exists()
    b.click(f'main a[href="/findings/{flag.pk}/"]')
    b.wait_for(lambda: b.path == f"/findings/{flag.pk}/")
    visit(b, language, "finding")
    b.click(f'main a[data-link="case"][href="/cases/{case.pk}/"]')
    b.wait_for(lambda: b.path == f"/cases/{case.pk}/")
    visit(b, language, "finding-case")
    b.driver.back()
    b.click(f'main a[data-link="household"][href="/households/{first.pk}/"]')
    b.wait_for(lambda: b.path == f"/households/{first.pk}/")
    visit(b, language, "finding-household")
    b.driver.back()
    b.wait_for(lambda: b.path == f"/findings/{flag.pk}/")
    b.click("#resolve-form input[name=outcome][value=confirmed]")
    b.fill("#resolve-form textarea[name=note]", "已核实：同一人在两户享受低保，已停发其中一户")
    b.shot("resolve-filled")
    b.click("#resolve-form button[type=submit]")
    b.wait_for(lambda: OverlapFlag.objects.get(pk=flag.pk).status == FlagStatus.CONFIRMED)
    visit(b, language, "finding-resolved")
    assert AuditEvent.objects.filter(action="overlap_flag.resolve", object_id=str(flag.pk)).exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_county_officer_records_a_complaint_about_a_case_and_answers_it(day, language, walker, village,
                                                                         village_staff):
    b = day
    case = walker.to(new_draft(village_staff, make_household(village)), CaseStatus.UNDER_INVESTIGATION)
    log_in(b, "county1", language)
    menu(b, "/cases/")
    visit(b, language, "cases")
    b.click(f'main a[href="/cases/{case.pk}/"]')
    b.wait_for(lambda: b.path == f"/cases/{case.pk}/")
    visit(b, language, "case")
    b.click("#record-complaint")
    b.wait_for(lambda: b.path.startswith("/evidence/complaints/new/"))
    assert b.find("input[name=case]").get_attribute("value") == str(case.pk)
    b.select("select[name=channel]", b.find_all("select[name=channel] option")[0].get_attribute("value"))
    b.fill("input[name=complainant_name]", "赵六")
    b.fill("textarea[name=text]", "反映该户有一辆货车未申报")
    visit(b, language, "complaint-form")
    b.click("main form[method=post] button[type=submit]")
    b.wait_for(lambda: "/evidence/complaints/" in b.path and "/new/" not in b.path)
    complaint = Complaint.objects.get(case=case)
    assert b.path == f"/evidence/complaints/{complaint.pk}/"
    visit(b, language, "complaint")
    b.click(f'main a[data-link="case"][href="/cases/{case.pk}/"]')  # linked to its case
    b.wait_for(lambda: b.path == f"/cases/{case.pk}/")
    b.driver.back()
    b.wait_for(lambda: b.path == f"/evidence/complaints/{complaint.pk}/")
    b.click(f'form[action="/evidence/complaints/{complaint.pk}/investigate/"] button[type=submit]')
    b.wait_for(lambda: b.find_all(f'form[action="/evidence/complaints/{complaint.pk}/resolve/"]'))
    visit(b, language, "complaint-investigating")
    b.fill("#id_findings", "入户核实：货车系借用亲属，已核对车辆登记")
    b.click(f'form[action="/evidence/complaints/{complaint.pk}/resolve/"] button[type=submit]')
    b.wait_for(lambda: Complaint.objects.get(pk=complaint.pk).resolved_at is not None)
    visit(b, language, "complaint-answered")
    menu(b, "/evidence/complaints/")
    visit(b, language, "complaints")


@pytest.mark.parametrize("language", LANGUAGES)
def test_auditor_exports_a_list_and_reads_the_export_in_the_access_log(day, language, village, county_officer,
                                                                        auditor):
    b = day
    make_case(village, county_officer)
    log_in(b, "auditor", language)
    menu(b, "/reports/")
    visit(b, language, "dashboard")
    b.click('main a[href="/reports/reports/"]')
    b.wait_for(lambda: b.path == "/reports/reports/")
    visit(b, language, "reports")
    b.click('main a[href^="/reports/reports/case_register/"]')
    b.wait_for(lambda: b.find_all("#export-form"))
    visit(b, language, "report")
    b.select("#export-format", "csv")
    b.click("#export-form button[type=submit]")
    exported = b.wait_for_download(".csv")
    b.wait_for(lambda: "户主" in exported.read_text(encoding="utf-8-sig"))  # the file is written to its end
    assert "户主" in exported.read_text(encoding="utf-8-sig")
    export = AccessLog.objects.filter(user=auditor, action__icontains="export").latest("id")

    menu(b, "/audit/")
    visit(b, language, "audit-log")
    b.click('main .nav-tabs a[href$="?log=access"]')
    b.wait_for(lambda: "log=access" in b.path)
    visit(b, language, "access-log")
    b.driver.execute_script("document.getElementById('audit-events').scrollIntoView({block: 'start'});")
    b.shot("access-log-rows")
    rows = b.find("#audit-events").text
    assert export.created_at.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d %H:%M") in rows
    assert ("导出" if language == "zh-hans" else "export") in rows
