from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from audit.models import AuditEvent
from dibao.errors import DomainError, InvalidTransition, NotPermitted
from evidence import services
from evidence.deadlines import add_working_days
from evidence.models import Complaint
from evidence.selectors import complaint_list, complaints_for_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def case_complaint(county_officer, case):
    return services.complaint_record(actor=county_officer, text="申请人隐瞒工资收入", channel="phone", case=case,
                                     complainant_name="王五", complainant_contact="13800000000")


@pytest.fixture
def staff_complaint(county_officer, village_staff):
    return services.complaint_record(actor=county_officer, text="村干部优亲厚友", channel="letter",
                                     staff_member=village_staff, anonymous=True)


class TestDeadlines:
    def test_working_days_skip_the_national_day_holiday(self):
        # 2025-09-30 (Tue) + 1 working day: Oct 1-8 are holidays, Oct 11 (Sat) is a swapped working day.
        assert add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
        assert add_working_days(date(2025, 9, 30), 3) == date(2025, 10, 11)

    def test_unknown_year_counts_weekends_only(self):
        assert add_working_days(date(2031, 1, 3), 1) == date(2031, 1, 6)  # Fri -> Mon

    def test_complaint_deadline_uses_configuration(self, county_officer, case, settings):
        settings.COMPLAINT_DEADLINE_WORKING_DAYS = 3
        c = services.complaint_record(actor=county_officer, text="x", channel="phone", case=case,
                                      received_on=date(2025, 9, 30))
        assert c.deadline == date(2025, 10, 11)


class TestLifecycle:
    def test_record_assign_investigate_resolve(self, case_complaint, county_officer, county_officer2, case):
        c = case_complaint
        assert c.status == "received" and c.division_code == case.division_code and c.household_id == case.household_id
        c = services.complaint_assign(actor=county_officer, complaint=c, assigned_to=county_officer2)
        assert c.assigned_to == county_officer2
        c = services.complaint_start_investigation(actor=county_officer2, complaint=c)
        assert c.status == "investigating" and c.assigned_to == county_officer2
        c = services.complaint_resolve(actor=county_officer2, complaint=c, findings="经核查部分属实",
                                       outcome="partly_upheld")
        c.refresh_from_db()
        assert (c.status, c.outcome, c.resolved_by) == ("resolved", "partly_upheld", county_officer2)
        actions = list(AuditEvent.objects.filter(object_type="evidence.complaint", object_id=str(c.pk))
                       .order_by("id").values_list("action", flat=True))
        assert actions == ["complaint.recorded", "complaint.assigned", "complaint.investigation_started",
                           "complaint.resolved"]

    def test_invalid_transitions(self, case_complaint, county_officer):
        with pytest.raises(InvalidTransition):
            services.complaint_resolve(actor=county_officer, complaint=case_complaint, findings="x", outcome="upheld")
        c = services.complaint_start_investigation(actor=county_officer, complaint=case_complaint)
        with pytest.raises(InvalidTransition):
            services.complaint_start_investigation(actor=county_officer, complaint=c)
        c = services.complaint_resolve(actor=county_officer, complaint=c, findings="x", outcome="upheld")
        with pytest.raises(InvalidTransition):
            services.complaint_resolve(actor=county_officer, complaint=c, findings="y", outcome="not_upheld")
        with pytest.raises(InvalidTransition):
            services.complaint_assign(actor=county_officer, complaint=c, assigned_to=county_officer)
        c.refresh_from_db()
        assert c.outcome == "upheld" and c.findings == "x"

    def test_resolve_needs_findings_and_outcome(self, case_complaint, county_officer):
        c = services.complaint_start_investigation(actor=county_officer, complaint=case_complaint)
        with pytest.raises(DomainError) as exc:
            services.complaint_resolve(actor=county_officer, complaint=c, findings=" ", outcome="maybe")
        assert set(exc.value.fields) == {"findings", "outcome"}

    def test_assign_only_to_a_county_officer_of_the_county(self, case_complaint, county_officer, village_staff,
                                                          other_county_officer):
        for user in (village_staff, other_county_officer):
            with pytest.raises(DomainError) as exc:
                services.complaint_assign(actor=county_officer, complaint=case_complaint, assigned_to=user)
            assert "assigned_to" in exc.value.fields

    def test_only_county_officers_record(self, village_staff, auditor, case):
        for user in (village_staff, auditor):
            with pytest.raises(NotPermitted):
                services.complaint_record(actor=user, text="x", channel="phone", case=case)
        assert Complaint.objects.count() == 0

    def test_no_subject_is_refused(self, county_officer):
        with pytest.raises(DomainError) as exc:
            services.complaint_record(actor=county_officer, text="x", channel="phone")
        assert "subject" in exc.value.fields
        assert Complaint.objects.count() == 0

    def test_anonymous_complaint_keeps_no_name(self, staff_complaint):
        assert staff_complaint.anonymous and staff_complaint.complainant_name == ""


class TestCaseTimeline:
    def test_case_complaint_writes_an_event_on_the_case(self, case_complaint, case, county_officer):
        events = AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk))
        recorded = events.get(action="case.complaint_recorded")
        assert recorded.after["complaint"] == case_complaint.pk and recorded.division_code == case.division_code
        c = services.complaint_start_investigation(actor=county_officer, complaint=case_complaint)
        services.complaint_resolve(actor=county_officer, complaint=c, findings="x", outcome="upheld")
        assert events.filter(action="case.complaint_resolved").get().after["outcome"] == "upheld"

    def test_household_complaint_writes_no_case_event(self, county_officer, household):
        services.complaint_record(actor=county_officer, text="x", channel="online", household=household)
        assert not AuditEvent.objects.filter(object_type="cases.case").exists()


class TestStaffComplaintVisibility:
    def test_only_county_officers_auditors_and_admins_see_staff_complaints(
            self, staff_complaint, case_complaint, village_staff, township_staff, county_officer, auditor,
            county_auditor, admin_user, other_village_staff):
        for user in (county_officer, auditor, county_auditor, admin_user):
            assert staff_complaint in complaints_for_user(user), user.username
        # Never village/township staff, not even the staff member concerned.
        for user in (village_staff, township_staff):
            visible = set(complaint_list(user))
            assert staff_complaint not in visible and case_complaint in visible, user.username
        assert set(complaints_for_user(other_village_staff)) == set()

    def test_staff_complaint_is_404_for_village_staff_in_api_and_pages(self, staff_complaint, village_staff,
                                                                        township_staff, api, web):
        for user in (village_staff, township_staff):
            assert api(user).get(f"/api/v1/complaints/{staff_complaint.pk}/").status_code == 404
            assert api(user).get("/api/v1/complaints/").json()["count"] == 0
            assert web(user).get(reverse("evidence:complaint_detail", args=[staff_complaint.pk])).status_code == 404

    def test_staff_member_outside_the_officers_county_is_refused(self, county_officer, other_village_staff,
                                                                 other_county_officer):
        with pytest.raises(DomainError) as exc:
            services.complaint_record(actor=other_county_officer, text="x", channel="phone",
                                      staff_member=other_village_staff)
        # other_village_staff is in county_officer's county, not other_county_officer's.
        assert "staff_member" in exc.value.fields


class TestComplaintsApi:
    def test_create_and_actions(self, api, county_officer, county_officer2, case):
        client = api(county_officer)
        response = client.post("/api/v1/complaints/", {"case": case.pk, "text": "投诉", "channel": "phone"},
                               format="json")
        assert response.status_code == 201, response.content
        pk = response.json()["id"]
        assert response.json()["deadline"]
        assert client.post(f"/api/v1/complaints/{pk}/assign/", {"assigned_to": county_officer2.username},
                           format="json").json()["assigned_to"] == county_officer2.username
        assert client.post(f"/api/v1/complaints/{pk}/resolve/", {"findings": "x", "outcome": "upheld"},
                           format="json").status_code == 409
        assert client.post(f"/api/v1/complaints/{pk}/investigate/").json()["status"] == "investigating"
        body = client.post(f"/api/v1/complaints/{pk}/resolve/", {"findings": "属实", "outcome": "upheld"},
                           format="json").json()
        assert body["status"] == "resolved" and body["outcome"] == "upheld"
        conflict = client.post(f"/api/v1/complaints/{pk}/investigate/")
        assert conflict.status_code == 409 and conflict.json()["code"] == "invalid_transition"

    def test_no_subject_is_400(self, api, county_officer):
        response = api(county_officer).post("/api/v1/complaints/", {"text": "x", "channel": "phone"}, format="json")
        assert response.status_code == 400 and "subject" in response.json()
        assert Complaint.objects.count() == 0

    def test_bad_fields_are_400(self, api, county_officer, case):
        response = api(county_officer).post("/api/v1/complaints/", {"case": case.pk, "channel": "fax"},
                                            format="json")
        assert response.status_code == 400
        assert {"text", "channel"} <= set(response.json())

    def test_wrong_role_403(self, api, village_staff, auditor, case, case_complaint):
        for user in (village_staff, auditor):
            client = api(user)
            assert client.post("/api/v1/complaints/", {"case": case.pk, "text": "x", "channel": "phone"},
                               format="json").status_code == 403
            assert client.post(f"/api/v1/complaints/{case_complaint.pk}/investigate/").status_code == 403
        case_complaint.refresh_from_db()
        assert case_complaint.status == "received"

    def test_out_of_scope_404(self, api, other_county_officer, case, case_complaint):
        client = api(other_county_officer)
        assert client.post("/api/v1/complaints/", {"case": case.pk, "text": "x", "channel": "phone"},
                           format="json").status_code == 404
        assert client.post(f"/api/v1/complaints/{case_complaint.pk}/investigate/").status_code == 404
        case_complaint.refresh_from_db()
        assert case_complaint.status == "received"
        assert Complaint.objects.count() == 1

    def test_list_filters_and_query_count(self, api, county_officer, case, household, case_complaint,
                                          staff_complaint, django_assert_num_queries):
        client = api(county_officer)
        assert client.get("/api/v1/complaints/?channel=letter").json()["count"] == 1
        with django_assert_num_queries(2):
            body = client.get("/api/v1/complaints/").json()
        assert body["count"] == 2
        assert client.get("/api/v1/complaints/?status=resolved").json()["count"] == 0


class TestComplaintPages:
    @pytest.fixture(autouse=True)
    def pinned_clock(self):
        """The forms refuse a receipt date in the future: the complaints below were received on 2 November."""
        with time_machine.travel(datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True):
            yield

    def test_queue_form_detail_and_actions(self, web, county_officer, case, django_assert_num_queries):
        client = web(county_officer)
        response = client.post(reverse("evidence:complaint_create"), {
            "case": case.pk, "channel": "visit", "received_on": "2026-11-02", "text": "反映家中有车辆"})
        assert response.status_code == 302
        c = Complaint.objects.get()
        detail = client.get(reverse("evidence:complaint_detail", args=[c.pk]))
        assert detail.status_code == 200 and "反映家中有车辆" in detail.content.decode()
        client.post(reverse("evidence:complaint_action", args=[c.pk, "investigate"]))
        client.post(reverse("evidence:complaint_action", args=[c.pk, "resolve"]),
                    {"outcome": "not_upheld", "findings": "车辆为农用车"})
        c.refresh_from_db()
        assert c.status == "resolved" and c.outcome == "not_upheld"
        client.get(reverse("evidence:complaints"))
        # session, user, division (scope), count, page
        with django_assert_num_queries(5):
            queue = client.get(reverse("evidence:complaints") + "?status=resolved")
        assert queue.status_code == 200 and f">{c.pk}<" in queue.content.decode()

    def test_detail_page_query_count(self, web, county_officer, case_complaint, django_assert_num_queries):
        client = web(county_officer)
        url = reverse("evidence:complaint_detail", args=[case_complaint.pk])
        client.get(url)
        # session, user, division (scope), complaint (+joins), officers for the assign form (one SELECT)
        with django_assert_num_queries(5):
            assert client.get(url).status_code == 200

    def test_form_without_subject_shows_error(self, web, county_officer):
        response = web(county_officer).post(reverse("evidence:complaint_create"), {
            "channel": "visit", "received_on": "2026-11-02", "text": "x"})
        assert response.status_code == 200 and Complaint.objects.count() == 0
        assert response.context["form"].errors

    def test_village_staff_cannot_open_form_or_act(self, web, village_staff, case_complaint):
        client = web(village_staff)
        assert client.get(reverse("evidence:complaint_create")).status_code == 403
        assert client.post(reverse("evidence:complaint_action",
                                   args=[case_complaint.pk, "investigate"])).status_code == 403
        assert client.get(reverse("evidence:complaints")).status_code == 200


class TestHomePanelAndLanguages:
    def test_home_panel_counts_for_county_officer_only(self, web, county_officer, village_staff, case_complaint):
        page = web(county_officer).get("/").content.decode()
        assert reverse("evidence:complaints") in page
        assert reverse("evidence:complaints") not in web(village_staff).get("/").content.decode()

    def test_pages_in_english(self, web, county_officer, case_complaint):
        client = web(county_officer)
        client.post(reverse("set_language"), {"language": "en"})
        page = client.get(reverse("evidence:complaint_detail", args=[case_complaint.pk])).content.decode()
        assert "Start investigation" in page
        client.post(reverse("set_language"), {"language": "zh-hans"})
        page = client.get(reverse("evidence:complaint_detail", args=[case_complaint.pk])).content.decode()
        assert "开始调查" in page


def test_a_complaint_links_its_case_and_household(web, county_officer, case_complaint, case):
    page = web(county_officer).get(reverse("evidence:complaint_detail", args=[case_complaint.pk])).content.decode()
    assert f'href="/cases/{case.pk}/" data-link="case"' in page
