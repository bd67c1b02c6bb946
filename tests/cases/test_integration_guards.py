"""The workflow's guards contributed by other apps: required documents and complaints
(evidence), and an open double-dibao finding (overlaps)."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audit.models import AuditEvent
from cases import workflow
from cases.models import Case, CaseStatus
from dibao.errors import Conflict, DomainError
from evidence import services as evidence_services
from evidence.models import RequiredDocument
from evidence.selectors import Target
from overlaps.models import OverlapFlag
from recipients.models import CaseExit, Recovery
from tests.cases.conftest import TODAY, new_draft
from tests.evidence.conftest import MINIMAL_PDF

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def test_submit_needs_the_required_documents(village_staff, household, county):
    RequiredDocument.objects.create(county=county, stage="submit", document_type="authorisation",
                                    effective_from=date(2020, 1, 1))
    case = new_draft(village_staff, household)
    with pytest.raises(DomainError) as refused:
        workflow.run("submit", actor=village_staff, case=case)
    assert refused.value.code == "missing_documents"
    assert "documents" in refused.value.fields
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT

    evidence_services.document_upload(
        actor=village_staff, target=Target("case", household, case), document_type="authorisation",
        uploaded_file=SimpleUploadedFile("授权书.pdf", MINIMAL_PDF, content_type="application/pdf"))
    case = workflow.run("submit", actor=village_staff, case=case)
    assert case.status == CaseStatus.SUBMITTED


def test_submit_refusal_through_the_api_lists_the_missing_documents(api, village_staff, household, county):
    RequiredDocument.objects.create(county=county, stage="submit", document_type="authorisation",
                                    effective_from=date(2020, 1, 1))
    case = new_draft(village_staff, household)
    response = api(village_staff).post(f"/api/v1/cases/{case.pk}/submit/", {"version": case.version},
                                         format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "missing_documents"
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DRAFT


def test_signed_visit_needs_the_visit_record(walker, village_staff, household, county):
    RequiredDocument.objects.create(county=county, stage="visit_signed", document_type="visit_record",
                                    effective_from=date(2020, 1, 1))
    case = walker.to(new_draft(village_staff, household), CaseStatus.UNDER_INVESTIGATION)
    with pytest.raises(DomainError) as refused:
        walker.visit(case, 1)  # applicant_signed=True
    assert refused.value.code == "missing_documents"
    assert case.visits.count() == 0


def test_a_complaint_requires_a_county_visit_before_the_decision(walker, village_staff, household,
                                                                  county_officer, county_officer2, township_staff):
    case = walker.to(new_draft(village_staff, household), CaseStatus.UNDER_INVESTIGATION)
    evidence_services.complaint_record(actor=county_officer, text="隐瞒收入", channel="phone", case=case,
                                       received_on=TODAY - timedelta(days=1))
    case = walker.to(case, CaseStatus.AWAITING_DECISION)  # both visits by township staff only
    with pytest.raises(Conflict) as refused:
        workflow.run("approve", actor=county_officer2, case=case, category="B")
    assert refused.value.code == "county_visit_required"
    assert Case.objects.get(pk=case.pk).status == CaseStatus.AWAITING_DECISION
    with pytest.raises(Conflict):
        workflow.run("reject", actor=county_officer2, case=case, reason="收入超标")

    # Investigating again opens a new round; a county officer on a visit satisfies the rule.
    case = workflow.run("reinvestigate", actor=county_officer, case=case, reason="群众来电反映隐瞒收入")
    assert case.status == CaseStatus.UNDER_INVESTIGATION
    case = workflow.run("visits", actor=county_officer, case=case, number=1, visit_date=TODAY,
                        investigators=[county_officer, township_staff], findings="县级入户核实",
                        applicant_signed=True)
    case = walker.visit(case, 2)
    case = walker.to(case, CaseStatus.AWAITING_DECISION)
    case = workflow.run("approve", actor=county_officer2, case=case, category="B")
    assert case.status == CaseStatus.ACTIVE


def _double_dibao_flag(case):
    flag = OverlapFlag.objects.create(rule="DOUBLE_DIBAO", severity="high", subject_key=f"test:{case.pk}",
                                      data_fingerprint="x", division_code=case.division_code,
                                      last_seen_at=timezone.now())
    flag.cases.add(case)
    return flag


def test_approving_with_an_open_double_dibao_finding_needs_a_reason(walker, village_staff, household,
                                                                     county_officer2, api):
    case = walker.to(new_draft(village_staff, household), CaseStatus.AWAITING_DECISION)
    _double_dibao_flag(case)
    response = api(county_officer2).post(f"/api/v1/cases/{case.pk}/approve/", {"category": "B", "version": case.version},
                                              format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "open_double_dibao"
    assert "findings_override_reason" in response.json()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.AWAITING_DECISION

    response = api(county_officer2).post(
        f"/api/v1/cases/{case.pk}/approve/",
        {"category": "B", "findings_override_reason": "另一户为迁出前旧记录，已注销", "version": case.version},
        format="json")
    assert response.status_code == 200, response.json()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.ACTIVE
    event = AuditEvent.objects.get(action="case.approve", object_id=str(case.pk))
    assert event.after["findings_override_reason"] == "另一户为迁出前旧记录，已注销"


def test_a_resolved_double_dibao_finding_no_longer_blocks(walker, village_staff, household, county_officer2):
    case = walker.to(new_draft(village_staff, household), CaseStatus.AWAITING_DECISION)
    flag = _double_dibao_flag(case)
    OverlapFlag.objects.filter(pk=flag.pk).update(status="false_match")
    assert workflow.run("approve", actor=county_officer2, case=case, category="B").status == CaseStatus.ACTIVE


def test_the_exit_action_runs_the_recipients_exit_service(walker, village_staff, household, county_officer, api,
                                                          web):
    case = walker.to(new_draft(village_staff, household), CaseStatus.ACTIVE)
    # The case page's exit button leads to the recipients exit form.
    assert f"/recipients/cases/{case.pk}/exit/" in web(county_officer).get(f"/cases/{case.pk}/").content.decode()

    client = api(county_officer)
    refused = client.post(f"/api/v1/cases/{case.pk}/exit/", {"kind": "fraud", "reason": "隐瞒收入", "version": case.version},
                          format="json")
    assert refused.status_code == 400 and "amount_to_recover" in refused.json()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.ACTIVE

    response = client.post(f"/api/v1/cases/{case.pk}/exit/",
                           {"kind": "income_above_line", "reason": "家庭成员外出务工，收入超过标准",
                            "version": case.version}, format="json")
    assert response.status_code == 200, response.json()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.GRADUAL_EXIT
    assert CaseExit.objects.filter(case=case, kind="income_above_line").exists()
    assert not Recovery.objects.exists()
    # a second exit of the same kind is refused and changes nothing
    again = client.post(f"/api/v1/cases/{case.pk}/exit/", {"kind": "income_above_line", "reason": "重复",
                                                          "version": Case.objects.get(pk=case.pk).version},
                        format="json")
    assert again.status_code in (400, 409)
    assert CaseExit.objects.filter(case=case).count() == 1
