"""The whole application in real headless Chromium, by clicking what each person would click.

Village staff enter a household with three members, apply for it, upload the signed authorisation the
county requires and submit. A county officer accepts, records two home visits, opens the public notice
and prints it; ten days later (the clock really moves: time-machine, in the browser's server too) the
notice has closed by itself and the officer approves. The auditor sees the recipient on the dashboard,
and downloads the recipients roster as CSV, whose ID numbers are masked. Once in Chinese, once in English.
"""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone, translation

from audit.models import AccessLog
from cases.models import Case, CaseStatus
from cases.tasks import close_due_notices
from evidence.models import Document, DocumentType, RequiredDocument, Stage
from tests.e2e.test_journeys import _members, create_household_in_the_browser
from tests.evidence.conftest import MINIMAL_PDF
from tests.factories import PASSWORD
from tests.households.factories import make_policy, make_standard

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The scanned, signed authorisation: the evidence tests' one-page PDF.
SIGNED_AUTHORISATION = MINIMAL_PDF

MISSING_DOCUMENT = {"zh-hans": "授权书", "en": "authorisation"}


def label(status, language):
    with translation.override(language):
        return str(CaseStatus(status).label)


def status_of(case_id):
    return Case.objects.values_list("status", flat=True).get(pk=case_id)


def run_action(b, case_id, slug, fill=None):
    """Click the case page's button for an action, fill its form, confirm; back on the case page."""
    b.get(f"/cases/{case_id}/")
    b.click(f'#case-actions a[href="/cases/{case_id}/{slug}/"]')
    b.wait_for(lambda: f"/cases/{case_id}/{slug}/" in b.driver.current_url)
    if fill:
        fill()
    b.shot(f"{slug}-form")
    b.click("form.js-case-form button[type=submit]")
    b.wait_for(lambda: b.path == f"/cases/{case_id}/")
    b.shot(f"{slug}-done")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_application_from_entry_to_approval_dashboard_and_export(browser, language, county, village, village_staff,
                                                                 county_officer, county_officer2, auditor,
                                                                 tmp_path):
    make_standard(county)
    make_policy(county)
    RequiredDocument.objects.create(county=county, stage=Stage.SUBMIT, document_type=DocumentType.AUTHORISATION,
                                    effective_from=timezone.localdate() - timedelta(days=30))
    b = browser
    if language == "en":
        b.get("/accounts/login/")
        b.select("#language-select", "en")
        b.wait_for(lambda: 'lang="en"' in b.html)

    # --- Village staff: household, application, document, submission ----------------------------------------
    b.log_in("village1", PASSWORD)
    assert f'lang="{language}"' in b.html
    household = create_household_in_the_browser(b, village, f"东关村{language}号", bank_account="6228480012345678",
                                                wages="900")
    b.wait_for(lambda: b.find_all("#household-cases a.btn-primary"))  # the Applications card (htmx)
    b.click("#household-cases a.btn-primary")
    b.wait_for(lambda: "/cases/new/" in b.driver.current_url)
    b.shot("application-form")
    head = household.members.get(relationship="head")
    b.select("#id_applicant", str(head.pk))
    b.fill("#id_reason", "因病致贫，丈夫长期住院")
    b.click("#id_authorisation_signed")
    b.set_value("#id_authorisation_date", str(timezone.localdate()))
    b.click("main form[method=post] button[type=submit]")
    b.wait_for(lambda: "/cases/new/" not in b.driver.current_url)
    case = Case.objects.get(household=household)
    assert b.path == f"/cases/{case.pk}/" and case.status == CaseStatus.DRAFT
    # The page says what is still missing before submission: the county requires the signed authorisation.
    assert MISSING_DOCUMENT[language] in b.find(".alert-warning").text
    b.shot("draft-missing-document")

    b.wait_for(lambda: b.find_all(f'#documents-panel-case-{case.pk} a.btn-primary'))
    b.click(f'#documents-panel-case-{case.pk} a.btn-primary')
    b.wait_for(lambda: "/evidence/upload/" in b.driver.current_url)
    b.select("select[name=document_type]", DocumentType.AUTHORISATION)
    scan = tmp_path / "授权书.pdf"
    scan.write_bytes(SIGNED_AUTHORISATION)
    b.find("input[type=file][name=file]").send_keys(str(scan))
    b.shot("upload-form")
    b.click("#upload-form button[type=submit]")
    b.wait_for(lambda: "/evidence/upload/" not in b.driver.current_url)
    assert case.documents.filter(document_type=DocumentType.AUTHORISATION, deleted_at=None).count() == 1

    run_action(b, case.pk, "submit")
    assert status_of(case.pk) == CaseStatus.SUBMITTED
    assert label(CaseStatus.SUBMITTED, language) in b.find("main").text

    # --- County officer: queue, accept, two visits, notice -------------------------------------------------
    b.log_out()
    b.log_in("county1", PASSWORD)
    b.get("/cases/?status=submitted")
    b.shot("officer-queue")
    b.click(f'main a[href="/cases/{case.pk}/"]')
    b.wait_for(lambda: b.path == f"/cases/{case.pk}/")
    run_action(b, case.pk, "accept")
    assert status_of(case.pk) == CaseStatus.UNDER_INVESTIGATION

    for number in (1, 2):
        def visit(number=number):
            b.select("select[name=number]", str(number))
            b.set_value("input[name=visit_date]", str(timezone.localdate()))
            b.click(f'input[name=investigators][value="{county_officer.pk}"]')
            b.click(f'input[name=investigators][value="{county_officer2.pk}"]')
            # The investigator list is laid out above the next field, not over it (a bug the screenshots showed).
            last = b.find_all("input[name=investigators]")[-1]
            below = b.find("textarea[name=investigator_names]")
            assert last.rect["y"] + last.rect["height"] <= below.rect["y"]
            b.fill("textarea[name=findings]", f"第{number}次入户：家中无车辆，丈夫住院属实")
            b.fill("input[name=verified_monthly_income]", "600")
            b.click("input[name=applicant_signed]")
            # The signed record goes with the visit, in the same form (a phone offers its camera here).
            record = tmp_path / f"入户调查记录{number}.pdf"
            record.write_bytes(SIGNED_AUTHORISATION)
            b.find("input[type=file][name=signed_record]").send_keys(str(record))
        run_action(b, case.pk, "visits", visit)
    assert status_of(case.pk) == CaseStatus.INVESTIGATED
    assert case.visits.count() == 2
    assert sorted(Document.objects.filter(case=case, document_type=DocumentType.VISIT_RECORD)
                  .values_list("visit_number", flat=True)) == [1, 2]

    run_action(b, case.pk, "open-notice")
    assert status_of(case.pk) == CaseStatus.IN_NOTICE
    notice = case.notices.get()
    b.click(f'#case-actions a[href="/cases/{case.pk}/notice/"]')
    b.wait_for(lambda: b.path == f"/cases/{case.pk}/notice/")
    b.shot("notice-print")
    board = b.find("main").text
    # The board names the household and amount, never an ID number or the address.
    assert str(notice.proposed_amount) in board
    assert all(id_number not in b.html for id_number, _name, _rel in _members())
    assert household.address not in board

    # --- Ten days later: the nightly sweep closed the notice (reading the case never does); approve -------
    with time_machine.travel(timezone.now() + timedelta(days=notice.days + 3), tick=True):
        b.log_out()
        b.log_in("county1", PASSWORD)
        b.get(f"/cases/{case.pk}/")
        assert status_of(case.pk) == CaseStatus.IN_NOTICE
        assert b.find_all(f'[data-notice-closes="{notice.ends_on + timedelta(days=1):%Y-%m-%d}"]')
        assert close_due_notices() == 1
        b.get(f"/cases/{case.pk}/")
        assert status_of(case.pk) == CaseStatus.AWAITING_DECISION
        run_action(b, case.pk, "approve", lambda: b.select("select[name=category]", "B"))
        case.refresh_from_db()
        assert case.status == CaseStatus.ACTIVE and case.decided_by == county_officer
        assert label(CaseStatus.ACTIVE, language) in b.find("main").text
        assert str(case.monthly_amount) in b.find("main").text

        # --- The auditor: dashboard, then the roster as CSV ------------------------------------------------
        b.log_out()
        b.log_in("auditor", PASSWORD)
        b.driver.get_log("browser")
        b.get(f"/reports/?division={county.code}")
        b.shot("auditor-dashboard")
        recipients = b.find('#summary a[href*="status=active"]')
        assert recipients.text.strip() == "1"
        assert not [e for e in b.driver.get_log("browser") if e["level"] == "SEVERE"]
        b.click('a[href="/reports/reports/"]')
        b.wait_for(lambda: b.path.startswith("/reports/reports/"))
        b.click('a[href^="/reports/reports/recipients_roster/"]')
        b.wait_for(lambda: b.find_all("#export-form"))
        b.shot("auditor-roster")
        b.select("#export-format", "csv")
        b.click("#export-form button[type=submit]")
        exported = b.wait_for_download(".csv")
    rows = list(csv.reader(io.StringIO(exported.read_text(encoding="utf-8-sig"))))
    head_id = _members()[0][0]
    body = "\n".join(",".join(r) for r in rows[1:])
    assert "王建国" in body and head_id[:6] + "********" + head_id[14:] in body
    assert head_id not in exported.read_text(encoding="utf-8-sig")  # masked: no purpose was given
    assert AccessLog.objects.filter(user=auditor, action__icontains="export").exists()
