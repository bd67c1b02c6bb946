"""The signed visit in one step (issue 21 item 1): the visit form takes the signed record file itself (phone
camera included) and stores it as the visit's document through evidence's upload service, in the same post
and transaction as the visit; "signed" without a file is refused on the form."""

from datetime import date
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from audit.models import AuditEvent
from cases.models import Case, CaseStatus, HomeVisit
from evidence.models import Document, RequiredDocument
from tests.cases.conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()


def photo(name="record.jpg") -> SimpleUploadedFile:
    out = BytesIO()
    Image.new("RGB", (60, 40), (240, 240, 230)).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def visit_form(case, investigators, **extra):
    return {"version": Case.objects.get(pk=case.pk).version, "number": 1, "visit_date": str(TODAY),
            "findings": "家中无劳动力，属实", "investigators": [u.pk for u in investigators], **extra}


@pytest.fixture
def investigating(walker, draft):
    return walker.to(draft, CaseStatus.UNDER_INVESTIGATION)


def test_the_visit_form_offers_the_camera_for_the_signed_record(web, investigating, township_staff):
    page = web(township_staff).get(f"/cases/{investigating.pk}/visits/").content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'type="file" name="signed_record" accept="image/*,application/pdf" capture' in page


def test_signed_without_a_file_is_refused_on_the_form(web, investigating, township_staff, investigator):
    r = web(township_staff).post(f"/cases/{investigating.pk}/visits/",
                                 visit_form(investigating, [township_staff, investigator], applicant_signed="on"))
    assert r.status_code == 200
    assert "signed_record" in r.context["form"].errors
    assert "请附上签字的入户调查记录" in r.content.decode()
    assert not HomeVisit.objects.exists() and not Document.objects.exists()
    assert Case.objects.get(pk=investigating.pk).version == investigating.version


def test_signed_with_the_file_is_recorded_in_one_post(web, investigating, township_staff, investigator, county):
    # The county requires the signed record before a visit is recorded as signed: sent with the visit, it counts.
    RequiredDocument.objects.create(county=county, stage="visit_signed", document_type="visit_record",
                                    required=True, effective_from=date(2020, 1, 1))
    r = web(township_staff).post(f"/cases/{investigating.pk}/visits/", visit_form(
        investigating, [township_staff, investigator], applicant_signed="on", signed_record=photo()))
    assert r.status_code == 302, r.context["form"].errors if r.context else r
    visit = HomeVisit.objects.get(case=investigating)
    assert visit.applicant_signed is True and visit.number == 1
    document = Document.objects.get()
    assert (document.document_type, document.target_type, document.case_id, document.visit_number,
            document.visit_id, document.uploaded_by) == ("visit_record", "visit", investigating.pk, 1, visit.pk,
                                                         township_staff)
    assert document.content_type == "image/jpeg" and document.original_name == "record.jpg"
    assert AuditEvent.objects.filter(action="document.uploaded", object_id=str(document.pk)).exists()
    assert AuditEvent.objects.filter(action="case.visits", object_id=str(investigating.pk)).exists()
    # The file is on the visit's document list.
    listing = web(township_staff).get(f"/evidence/documents/visit/{investigating.pk}/?visit_number=1")
    assert listing.status_code == 200 and "record.jpg" in listing.content.decode()


def test_a_file_that_is_not_an_image_or_pdf_refuses_the_whole_visit(web, investigating, township_staff,
                                                                     investigator):
    bad = SimpleUploadedFile("record.jpg", b"MZ\x90\x00 not a picture", content_type="image/jpeg")
    r = web(township_staff).post(f"/cases/{investigating.pk}/visits/", visit_form(
        investigating, [township_staff, investigator], applicant_signed="on", signed_record=bad))
    assert r.status_code == 200 and r.context["form"].errors
    assert not HomeVisit.objects.exists() and not Document.objects.exists()


def test_unsigned_needs_no_file(web, investigating, township_staff, investigator):
    r = web(township_staff).post(f"/cases/{investigating.pk}/visits/",
                                 visit_form(investigating, [township_staff, investigator]))
    assert r.status_code == 302
    assert HomeVisit.objects.get().applicant_signed is False and not Document.objects.exists()
