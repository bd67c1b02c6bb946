"""Pages: every path through the forms, buttons from the table, scoping, prints, query counts."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image

from cases.models import Case, CaseStatus
from tests.cases.conftest import TODAY, new_draft
from tests.cases.factories import make_household

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"  # the signed visit records sent with the visit form
    settings.VAR_DIR.mkdir()


def signed_record():
    out = BytesIO()
    Image.new("RGB", (60, 40), (240, 240, 230)).save(out, "JPEG")
    return SimpleUploadedFile("record.jpg", out.getvalue(), content_type="image/jpeg")


def act(client, case, slug, data=None):
    """Post the action's form as the page does: with the version the page read (its hidden field)."""
    return client.post(f"/cases/{case.pk}/{slug}/", {"version": Case.objects.get(pk=case.pk).version, **(data or {})})


def test_walk_through_the_pages(web, household, village_staff, county_officer, county_officer2, township_staff,
                                investigator):
    village, county, county2, township = web(village_staff), web(county_officer), web(county_officer2), web(
        township_staff)
    assert village.get("/cases/new/").status_code == 200
    applicant = household.members.get(relationship="head")
    r = village.post(f"/cases/new/?household={household.pk}", {
        "applicant": applicant.pk, "reason": "因病致贫", "authorisation_signed": "on",
        "authorisation_date": str(TODAY)})
    assert r.status_code == 302, r.content.decode()[:2000]
    case = Case.objects.get()
    page = village.get(f"/cases/{case.pk}/").content.decode()
    assert f"/cases/{case.pk}/submit/" in page and "/accept/" not in page
    assert act(village, case, "submit").status_code == 302
    assert act(county, case, "return", {"reasons": "缺少收入证明"}).status_code == 302
    assert "缺少收入证明" in village.get(f"/cases/{case.pk}/").content.decode()
    r = village.post(f"/cases/{case.pk}/edit/", {"applicant": applicant.pk, "reason": "补充", "version": 3,
                                                 "authorisation_signed": "on", "authorisation_date": str(TODAY)})
    assert r.status_code == 302
    act(village, case, "submit")
    act(county, case, "accept")
    r = act(township, case, "visits", {"number": 1, "visit_date": str(TODAY), "findings": "属实",
                                       "investigators": [township_staff.pk]})
    assert r.status_code == 200 and "investigators" in r.context["form"].errors
    for number in (1, 2):
        r = act(township, case, "visits", {"number": number, "visit_date": str(TODAY), "findings": "属实",
                                           "investigators": [township_staff.pk, investigator.pk],
                                           "investigator_names": "", "applicant_signed": "on",
                                           "signed_record": signed_record()})
        assert r.status_code == 302
    act(county, case, "open-notice")
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_NOTICE
    notice = county.get(f"/cases/{case.pk}/notice/", follow=True).content.decode()
    assert "968.00" in notice and applicant.person.id_number not in notice and household.address not in notice
    act(county, case, "objections", {"content": "有车辆"})
    for number in (1, 2):
        act(township, case, "visits", {"number": number, "visit_date": str(TODAY), "findings": "复查",
                                       "investigators": [investigator.pk], "investigator_names": "张三"})
    act(county, case, "open-notice")
    case.notices.filter(outcome="open").update(starts_on=TODAY - timedelta(days=8), ends_on=TODAY - timedelta(days=1))
    county.get(f"/cases/{case.pk}/")
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_NOTICE  # reading it moves nothing: the officer (or the sweep) ends it
    assert act(county, case, "end-notice", {"version": case.version}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_DECISION
    r = act(county2, case, "approve", {"category": "B", "override_amount": "900"})
    assert r.status_code == 200 and "override_reason" in r.context["form"].errors
    assert act(county2, case, "approve", {"category": "B"}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    letter = county.get(f"/cases/{case.pk}/letter/").content.decode()
    assert "968.00" in letter


def test_reject_and_withdraw_pages(web, walker, draft, village, village_staff, county_officer2, standard):
    case = walker.to(draft, CaseStatus.AWAITING_DECISION)
    r = act(web(county_officer2), case, "reject", {"reason": ""})
    assert r.status_code == 200
    act(web(county_officer2), case, "reject", {"reason": "家庭收入超过标准"})
    case.refresh_from_db()
    assert case.status == CaseStatus.REJECTED
    assert "家庭收入超过标准" in web(county_officer2).get(f"/cases/{case.pk}/letter/").content.decode()
    other = new_draft(village_staff, make_household(village))
    act(web(village_staff), other, "withdraw", {"reason": "不再申请"})
    other.refresh_from_db()
    assert other.status == CaseStatus.WITHDRAWN


def test_refusals_on_pages(web, walker, draft, village_staff, other_village_staff, county_auditor, county_officer):
    assert web(other_village_staff).get(f"/cases/{draft.pk}/").status_code == 404
    assert act(web(other_village_staff), draft, "submit").status_code == 404
    # A role that may never take the action: 403, for the form and for the post.
    assert web(county_auditor).get(f"/cases/{draft.pk}/submit/").status_code == 403
    assert act(web(county_auditor), draft, "submit").status_code == 403
    assert web(village_staff).get(f"/cases/{draft.pk}/approve/").status_code == 403
    # The right role, the wrong state (the case moved on since the page was loaded): back to the case, saying why.
    officer = web(county_officer)
    for r in (officer.get(f"/cases/{draft.pk}/accept/"), act(officer, draft, "accept", {})):
        assert r.status_code == 302 and r.url == f"/cases/{draft.pk}/"
    page = officer.get(f"/cases/{draft.pk}/").content.decode()
    assert "不能执行" in page or "not allowed" in page
    draft.refresh_from_db()
    assert draft.status == CaseStatus.DRAFT and draft.version == 1
    assert web(village_staff).get(f"/cases/{draft.pk}/nonsense/").status_code == 404
    assert web(county_auditor).get(f"/cases/{draft.pk}/").status_code == 200


def test_home_panels(web, walker, draft, village_staff, county_officer):
    walker.to(draft, CaseStatus.SUBMITTED)
    assert "/cases/?status=submitted" in web(county_officer).get("/").content.decode()
    assert "/cases/?status=draft" in web(village_staff).get("/").content.decode()


def test_list_marks_and_filters(web, walker, village, village_staff, county_officer, standard):
    relative = new_draft(village_staff, make_household(village), staff_relative=True,
                         staff_relative_relation="配偶", staff_relative_to="村会计")
    late = walker.to(new_draft(village_staff, make_household(village)), CaseStatus.UNDER_INVESTIGATION)
    Case.objects.filter(pk=late.pk).update(deadline=TODAY - timedelta(days=2))
    client = web(county_officer)
    page = client.get("/cases/").content.decode()
    assert "Staff relative" in page or "近亲属" in page
    page = client.get("/cases/?overdue=on").content.decode()
    assert f"/cases/{late.pk}/" in page and f"/cases/{relative.pk}/" not in page
    page = client.get("/cases/?staff_relative=on").content.decode()
    assert f"/cases/{relative.pk}/" in page and f"/cases/{late.pk}/" not in page
    assert client.get("/cases/?status=bogus").status_code == 200


def test_page_query_counts(web, walker, village, village_staff, county_officer, standard,
                           django_assert_num_queries):
    cases = [walker.to(new_draft(village_staff, make_household(village)), s)
             for s in (CaseStatus.DRAFT, CaseStatus.AWAITING_DECISION, CaseStatus.ACTIVE)]
    client = web(county_officer)
    client.get("/cases/")
    with django_assert_num_queries(7):
        client.get("/cases/")
    for _ in range(4):
        walker.to(new_draft(village_staff, make_household(village)), CaseStatus.SUBMITTED)
    with django_assert_num_queries(7):
        client.get("/cases/")
    client.get(f"/cases/{cases[1].pk}/")
    # (The benefit calculation takes the verified visit from the prefetched visits.)
    with django_assert_num_queries(14):
        client.get(f"/cases/{cases[1].pk}/")
    # session, user, the case queue counts (one aggregate), the holiday calendar, the due cases and
    # their calendar, plus one panel query each from registry imports, complaints, findings and recipients
    # (reviews and rolls in one), and the due reviews and high-severity findings (none here: no calendar).
    with django_assert_num_queries(14):
        client.get("/")


def test_household_page_lists_its_applications(web, household, village_staff, other_village_staff, county_auditor):
    panel = f"/cases/household/{household.pk}/"
    apply_link = f"/cases/new/?household={household.pk}"
    assert f'hx-get="{panel}"' in web(village_staff).get(f"/households/{household.pk}/").content.decode()
    page = web(village_staff).get(panel).content.decode()
    assert apply_link in page and "/cases/" not in page.replace(apply_link, "").replace(panel, "")
    case = new_draft(village_staff, household)
    page = web(village_staff).get(panel).content.decode()
    # One open case per household: the button goes once there is one.
    assert f"/cases/{case.pk}/" in page and apply_link not in page
    auditor_page = web(county_auditor).get(panel).content.decode()
    assert f"/cases/{case.pk}/" in auditor_page and apply_link not in auditor_page
    assert web(other_village_staff).get(panel).status_code == 404
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.WITHDRAWN)
    assert apply_link in web(village_staff).get(panel).content.decode()


def test_visit_form_lists_each_investigator_as_a_check(web, walker, draft, township_staff, investigator):
    """The checkbox list once carried the inputs' class on its wrapper, which squeezed it into a 1em column."""
    import re

    case = walker.to(draft, CaseStatus.UNDER_INVESTIGATION)
    page = web(township_staff).get(f"/cases/{case.pk}/visits/").content.decode()
    fieldset = re.search(r'<fieldset id="id_investigators">(.*?)</fieldset>', page, re.S).group(1)
    checks = re.findall(r'<div class="form-check"><input type="checkbox" name="investigators" value="(\d+)"'
                        r'[^>]*class="form-check-input"[^>]*><label class="form-check-label" for="([^"]+)">', fieldset)
    assert {int(pk) for pk, _for in checks} >= {township_staff.pk, investigator.pk}
    assert all(re.search(rf'id="{label_for}"', fieldset) for _pk, label_for in checks)
    assert 'class="form-check-input" id="id_investigators"' not in page and '<div id="id_investigators" class' not in page


def test_draft_page_lists_what_is_missing_before_submission(web, village, village_staff, standard):
    """The submit row's checklist on the case page: the application's own gaps, gone once filled."""
    with translation.override("zh-hans"):
        heading, gap = gettext("Still missing before submission:"), gettext("no bank account")
    household = make_household(village, bank_account="")
    case = new_draft(village_staff, household)
    page = web(village_staff).get(f"/cases/{case.pk}/").content.decode()
    assert heading in page and f"<li>{gap}</li>" in page
    household.bank_account = "6222020200112233"
    household.save(update_fields=["bank_account_encrypted", "bank_account_hash", "key_state"])
    assert heading not in web(village_staff).get(f"/cases/{case.pk}/").content.decode()
