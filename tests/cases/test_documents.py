"""Official documents: each renders as a page and as a PDF holding its text; the notice board lists every
application in notice in the village and nothing private; letters carry a per-county yearly document number
allocated once under a lock, never reused, audited; the issuing office is county configuration."""

import io
from datetime import date

import pypdf
import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

from audit.models import AccessLog, AuditEvent
from cases import workflow
from cases.documents.numbers import letter_number_allocate
from cases.models import CaseStatus, CountyOffice, Decision, DocumentNumber, DocumentNumberCounter, PublicNotice
from tests.cases.conftest import new_draft
from tests.cases.factories import make_household, make_standard
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def pdf_text(response) -> str:
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    body = response.content
    assert body.startswith(b"%PDF")
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)


@pytest.fixture
def office(county, standard):
    return CountyOffice.objects.create(county=county, issuing_office="平度市民政局", supervision_phone="0532-88881234",
                                       seal_text="平度市民政局（印章）", number_prefix="平民低")


def test_blank_forms_render_as_page_and_pdf(web, village_staff, office):
    client = web(village_staff)
    for kind, words in (("application", ["最低生活保障申请书", "平度市民政局"]),
                        ("authorisation", ["家庭经济状况核对授权书", "不动产"])):
        page = client.get(f"/cases/forms/{kind}/").content.decode()
        assert all(w in page for w in words) and 'href="?format=pdf"' in page
        text = pdf_text(client.get(f"/cases/forms/{kind}/?format=pdf"))
        assert all(w in text for w in words), text[:300]
    assert client.get("/cases/forms/nonsense/").status_code == 404
    assert AccessLog.objects.filter(user=village_staff, action="document.download").count() == 2


def test_visit_record_and_review_form_are_pre_filled(web, walker, draft, county_officer, office):
    case = walker.to(draft, CaseStatus.AWAITING_DECISION)
    client = web(county_officer)
    head = case.household.members.get(relationship="head")
    visit = client.get(f"/cases/{case.pk}/documents/visit-record/").content.decode()
    assert head.name in visit and case.household.address in visit and "入户调查表" in visit
    text = pdf_text(client.get(f"/cases/{case.pk}/documents/visit-record/?format=pdf"))
    assert head.name in text and "入户调查表" in text
    form = client.get(f"/cases/{case.pk}/documents/review-form/").content.decode()
    assert "审核确认表" in form and "平度市民政局" in form and "属实" in form
    text = pdf_text(client.get(f"/cases/{case.pk}/documents/review-form/?format=pdf"))
    assert "审核确认表" in text and case.household.head_name in text


def test_documents_stay_in_scope(web, walker, draft, other_county_officer, other_village_staff, county_auditor):
    case = walker.to(draft, CaseStatus.IN_NOTICE)
    for client in (web(other_county_officer), web(other_village_staff)):
        for url in (f"/cases/{case.pk}/documents/visit-record/", f"/cases/{case.pk}/documents/review-form/",
                    f"/cases/notice-board/{case.division_code}/", f"/cases/notice-board/{case.division_code}/?format=pdf"):
            assert client.get(url).status_code == 404
    assert web(county_auditor).get(f"/cases/notice-board/{case.division_code}/").status_code == 200
    assert not AccessLog.objects.filter(action="document.download").exists()


def test_the_notice_board_lists_every_application_in_notice_on_one_sheet(web, walker, village, other_village,
                                                                         village_staff, county_officer, office):
    in_notice = [walker.to(new_draft(village_staff, make_household(village)), CaseStatus.IN_NOTICE)
                 for _ in range(3)]
    waiting = walker.to(new_draft(village_staff, make_household(village)), CaseStatus.INVESTIGATED)
    other_staff = UserFactory(username="xiwang", role="village_staff", division=other_village)
    elsewhere = new_draft(other_staff, make_household(other_village))
    client = web(village_staff)
    page = client.get(f"/cases/notice-board/{village.code}/").content.decode()
    notices = PublicNotice.objects.filter(case__in=in_notice)
    for notice in notices:
        assert notice.applicant_name in page and str(notice.proposed_amount) in page
    assert waiting.household.head_name not in page and elsewhere.household.head_name not in page
    for case in in_notice:
        # Never an ID number or an address.
        assert case.household.address not in page
        for member in case.household.members.all():
            assert member.person.id_number not in page
    assert "0532-88881234" in page and "平度市民政局" in page and "data-seal" in page
    start = notices.first().starts_on
    assert f"{start.year}年{start.month}月{start.day}日" in page
    text = pdf_text(client.get(f"/cases/notice-board/{village.code}/?format=pdf"))
    assert all(n.applicant_name in text for n in notices) and "0532-88881234" in text
    assert "最低生活保障公示" in text
    # The case's own print link leads to its village's board.
    r = web(county_officer).get(f"/cases/{in_notice[0].pk}/notice/")
    assert r.status_code == 302 and r["Location"] == f"/cases/notice-board/{village.code}/"


def test_decision_and_refusal_letters_carry_number_office_seal_and_rights(web, walker, village, village_staff,
                                                                         county_officer, office):
    approved = walker.to(new_draft(village_staff, make_household(village)), CaseStatus.ACTIVE)
    rejected = walker.to(new_draft(village_staff, make_household(village)), CaseStatus.REJECTED)
    year = workflow.today().year
    numbers = {n.decision.case_id: n for n in DocumentNumber.objects.select_related("decision")}
    assert numbers[approved.pk].text == f"平民低〔{year}〕第1号"
    assert numbers[rejected.pk].text == f"平民低〔{year}〕第2号"
    client = web(county_officer)
    for case, title in ((approved, "最低生活保障审批决定书"), (rejected, "不予批准最低生活保障决定书")):
        page = client.get(f"/cases/{case.pk}/letter/").content.decode()
        assert title in page and numbers[case.pk].text in page and "平度市民政局" in page
        assert "60日" in page and "6个月" in page and "行政复议" in page and "行政诉讼" in page and "data-seal" in page
        text = pdf_text(client.get(f"/cases/{case.pk}/letter/?format=pdf"))
        assert numbers[case.pk].text in text and "行政复议" in text and "平度市民政局" in text
    assert "收入超标" in client.get(f"/cases/{rejected.pk}/letter/").content.decode()


def test_document_numbers_are_per_county_and_year_and_never_reused(walker, village, village_staff, county_officer,
                                                                  other_county, other_county_village, office):
    case = walker.to(new_draft(village_staff, make_household(village)), CaseStatus.ACTIVE)
    decision = Decision.objects.get(case=case)
    first = DocumentNumber.objects.get(decision=decision)
    # Asking again gives the same number: one per letter.
    again = letter_number_allocate(actor=county_officer, decision=decision, on_date=date(2026, 12, 31))
    assert again.pk == first.pk and DocumentNumber.objects.count() == 1
    events = AuditEvent.objects.filter(action="document_number.allocate")
    assert events.count() == 1 and events.get().after["text"] == first.text
    # A rejected case of the same county takes the next number; another county starts at 1.
    walker.to(new_draft(village_staff, make_household(village)), CaseStatus.REJECTED)
    assert DocumentNumberCounter.objects.get(county__code=office.county.code, year=first.year).last_number == 2
    make_standard(other_county)
    other_staff = UserFactory(username="oc-v", role="village_staff", division=other_county_village)
    other_officer = UserFactory(username="oc-o", role="county_officer", division=other_county)
    other_officer2 = UserFactory(username="oc-o2", role="county_officer", division=other_county)
    other_township = UserFactory(username="oc-t", role="township_staff", division=other_county_village.parent)
    other_investigator = UserFactory(username="oc-t2", role="township_staff", division=other_county_village.parent)
    other_walker = type(walker)(other_staff, other_officer, other_officer2, other_township, other_investigator)
    other = other_walker.to(new_draft(other_staff, make_household(other_county_village)), CaseStatus.REJECTED)
    number = DocumentNumber.objects.get(decision__case=other)
    # No issuing office configured there: the county's name stands before the year.
    assert number.number == 1 and number.text == f"{other_county.name}〔{number.year}〕第1号"
    # A new year starts again at 1, and a number once given is never given again.
    with time_machine.travel(timezone.make_aware(timezone.datetime(number.year + 1, 1, 2, 9)), tick=False):
        late = walker.to(new_draft(village_staff, make_household(village)), CaseStatus.REJECTED)
    late_number = DocumentNumber.objects.get(decision__case=late)
    assert late_number.year == number.year + 1 and late_number.number == 1
    texts = list(DocumentNumber.objects.values_list("text", flat=True))
    assert len(texts) == len(set(texts))


def test_the_issuing_office_is_edited_in_the_admin_and_audited(client, county, admin_user):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(get_user_model().objects.get(pk=admin_user.pk))
    r = client.post("/admin/cases/countyoffice/add/", {
        "county": county.pk, "issuing_office": "平度市民政局", "supervision_phone": "0532-1",
        "seal_text": "平度市民政局", "number_prefix": "平民低"})
    assert r.status_code == 302, r.content.decode()[:500]
    office = CountyOffice.objects.get()
    r = client.post(f"/admin/cases/countyoffice/{office.pk}/change/", {
        "county": county.pk, "issuing_office": "平度市民政局", "supervision_phone": "0532-2",
        "seal_text": "平度市民政局", "number_prefix": "平民低"})
    assert r.status_code == 302
    events = list(AuditEvent.objects.filter(action__startswith="county_office.").order_by("id"))
    assert [e.action for e in events] == ["county_office.admin_create", "county_office.admin_change"]
    assert events[1].before == {"supervision_phone": "0532-1"} and events[1].after == {"supervision_phone": "0532-2"}
    assert events[1].division_code == county.code
