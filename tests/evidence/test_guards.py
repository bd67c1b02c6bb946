from datetime import date, timedelta

import pytest
from django.utils import timezone

from evidence import services
from evidence.guards import (
    case_requires_county_visit,
    missing_documents_for_signed_visit,
    missing_documents_for_submit,
    required_types,
)
from evidence.models import RequiredDocument
from evidence.selectors import target_for_user

pytestmark = pytest.mark.django_db


def require(county, stage, document_type, effective_from=date(2020, 1, 1), required=True):
    return RequiredDocument.objects.create(county=county, stage=stage, document_type=document_type,
                                           effective_from=effective_from, required=required)


def attach(user, target_type, target_id, document_type, files, visit_number=None):
    target = target_for_user(user, target_type, target_id, visit_number)
    return services.document_upload(actor=user, target=target, document_type=document_type,
                                    uploaded_file=files.pdf())


class TestSubmitGuard:
    def test_nothing_configured_means_nothing_missing(self, case):
        assert missing_documents_for_submit(case) == []

    def test_case_page_lists_the_missing_documents_with_the_rest(self, county, case, village_staff, web, files):
        before = web(village_staff).get(f"/cases/{case.pk}/").content.decode()
        require(county, "submit", "authorisation")
        page = web(village_staff).get(f"/cases/{case.pk}/").content.decode()
        label = missing_documents_for_submit(case)[0]
        assert f"<li>{label}</li>" in page and f"<li>{label}</li>" not in before
        attach(village_staff, "case", case.pk, "authorisation", files)
        assert f"<li>{label}</li>" not in web(village_staff).get(f"/cases/{case.pk}/").content.decode()

    def test_lists_missing_required_types_as_labels(self, county, case, village_staff, files):
        require(county, "submit", "authorisation")
        require(county, "submit", "household_register")
        missing = missing_documents_for_submit(case)
        assert len(missing) == 2 and all(isinstance(m, str) for m in missing)
        assert any("authorisation" in m.lower() or "授权" in m for m in missing)
        attach(village_staff, "case", case.pk, "authorisation", files)
        # A household document counts for the case too.
        attach(village_staff, "household", case.household_id, "household_register", files)
        assert missing_documents_for_submit(case) == []

    def test_deleted_documents_do_not_count(self, county, case, village_staff, files):
        require(county, "submit", "authorisation")
        doc = attach(village_staff, "case", case.pk, "authorisation", files)
        assert missing_documents_for_submit(case) == []
        services.document_delete(actor=village_staff, document=doc, reason="wrong person")
        assert len(missing_documents_for_submit(case)) == 1

    def test_other_county_configuration_does_not_apply(self, other_county, case):
        require(other_county, "submit", "authorisation")
        assert missing_documents_for_submit(case) == []

    def test_effective_dates_and_lifting_a_requirement(self, county, case):
        today = timezone.localdate()
        require(county, "submit", "certificate", effective_from=today + timedelta(days=10))
        assert missing_documents_for_submit(case) == []  # not in force yet
        require(county, "submit", "id_copy", effective_from=today - timedelta(days=30))
        require(county, "submit", "id_copy", effective_from=today - timedelta(days=1), required=False)
        assert missing_documents_for_submit(case) == []  # lifted by the later row
        assert required_types(county.code, "submit", today - timedelta(days=5)) == ["id_copy"]


class TestSignedVisitGuard:
    def test_visit_record_required_per_visit(self, county, case, township_staff, files):
        require(county, "visit_signed", "visit_record")
        assert len(missing_documents_for_signed_visit(case, 1)) == 1
        attach(township_staff, "visit", case.pk, "visit_record", files, visit_number=1)
        assert missing_documents_for_signed_visit(case, 1) == []
        # Visit 1's record does not cover visit 2, nor does a case-level document.
        attach(township_staff, "case", case.pk, "visit_record", files)
        assert len(missing_documents_for_signed_visit(case, 2)) == 1

    def test_submit_stage_does_not_leak_into_visits(self, county, case):
        require(county, "submit", "authorisation")
        assert missing_documents_for_signed_visit(case, 1) == []


class TestCountyVisitRequirement:
    def test_open_and_upheld_complaints_require_a_county_visit(self, case, county_officer):
        assert case_requires_county_visit(case) is False
        complaint = services.complaint_record(actor=county_officer, text="收入瞒报", channel="phone", case=case)
        assert case_requires_county_visit(case) is True
        complaint = services.complaint_start_investigation(actor=county_officer, complaint=complaint)
        assert case_requires_county_visit(case) is True
        services.complaint_resolve(actor=county_officer, complaint=complaint, findings="属实", outcome="partly_upheld")
        assert case_requires_county_visit(case) is True

    def test_not_upheld_complaint_lifts_the_requirement(self, case, county_officer):
        complaint = services.complaint_record(actor=county_officer, text="x", channel="letter", case=case)
        complaint = services.complaint_start_investigation(actor=county_officer, complaint=complaint)
        services.complaint_resolve(actor=county_officer, complaint=complaint, findings="不属实", outcome="not_upheld")
        assert case_requires_county_visit(case) is False

    def test_complaint_about_the_household_only_does_not_mark_the_case(self, case, household, county_officer):
        services.complaint_record(actor=county_officer, text="x", channel="visit", household=household)
        assert case_requires_county_visit(case) is False
