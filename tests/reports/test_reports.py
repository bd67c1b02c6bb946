import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from audit.services import record
from cases.models import CaseStatus
from reports.definitions import REPORTS, convert_rows, get_report
from reports.filters import ReportFilterForm

pytestmark = pytest.mark.django_db


def run(key, user, **data):
    definition = get_report(key)
    form = ReportFilterForm(data, user=user, status_choices=definition.status_choices())
    assert form.is_valid(), form.errors
    qs = definition.queryset(user, form.filters())
    return [dict(zip([c.key for c in definition.columns], row, strict=True))
            for row in convert_rows(qs, definition.converters(unmasked=False, using=qs.db))]


def test_case_register_counts(worked_example, county_auditor, auditor, village):
    rows = run("case_register", county_auditor)
    assert len(rows) == 7  # A-G; H is in another county
    assert len(run("case_register", auditor)) == 8  # the city auditor sees both counties
    assert len(run("case_register", county_auditor, division=village.code)) == 5
    assert len(run("case_register", county_auditor, status="active")) == 2
    row = next(r for r in rows if r["id"] == worked_example["A"].pk)
    assert row["head"] == "甲" and row["monthly_amount"] == "800.00" and row["status"] == str(CaseStatus.ACTIVE.label)
    number = worked_example["A"].id_number
    assert row["applicant_id"] == number[:6] + "********" + number[14:]


def test_case_register_date_range(worked_example, county_auditor, today):
    assert len(run("case_register", county_auditor, date_from=today.isoformat(), date_to=today.isoformat())) == 7
    assert run("case_register", county_auditor, date_to="2001-01-01") == []


def test_recipients_roster(worked_example, county_auditor, other_county_officer):
    rows = run("recipients_roster", county_auditor)
    assert sorted(r["head"] for r in rows) == ["乙", "己", "甲"]
    assert [r["head"] for r in run("recipients_roster", county_auditor, status="gradual_exit")] == ["己"]
    # another county's officer sees only their own recipient
    assert [r["head"] for r in run("recipients_roster", other_county_officer)] == ["辛"]


def test_processing_time_report(worked_example, county_auditor):
    from cases.working_days import working_days_between

    def expected(case):  # working days on PostgreSQL and on the embedded SQLite alike
        start, end = timezone.localtime(case.accepted_at).date(), timezone.localtime(case.decided_at).date()
        return working_days_between(start, end)

    rows = run("processing_time", county_auditor)
    assert {r["id"]: r["processing_days"] for r in rows} == {
        worked_example[k].pk: expected(worked_example[k]) for k in "ABCF"}
    rejected = run("processing_time", county_auditor, status="rejected")
    assert [r["processing_days"] for r in rejected] == [expected(worked_example["C"])]


def test_staff_relative_register(worked_example, county_auditor, other_county_officer):
    rows = run("staff_relative", county_auditor)
    assert [r["head"] for r in rows] == ["乙"]
    assert rows[0]["relation"] == "表兄" and rows[0]["related_to"] == "村主任"
    assert run("staff_relative", other_county_officer) == []


def test_audit_extract_is_scoped(county_auditor, other_county_officer, village, other_county_village, county_officer):
    record(actor=county_officer, action="case.approve", object_type="cases.case", object_id=1,
           division_code=village.code)
    record(actor=county_officer, action="case.approve", object_type="cases.case", object_id=2,
           division_code=other_county_village.code)
    assert [r["object_id"] for r in run("audit_extract", county_auditor)] == ["1"]
    assert [r["object_id"] for r in run("audit_extract", other_county_officer)] == ["2"]


def test_every_report_scoped_for_anonymous_and_other_county(worked_example, other_county_officer):
    for key, definition in REPORTS.items():
        form = ReportFilterForm({}, user=AnonymousUser(), status_choices=definition.status_choices())
        assert form.is_valid()
        assert definition.queryset(AnonymousUser(), form.filters()).count() == 0, key
        rows = run(key, other_county_officer)
        assert all(str(r.get("division_code", "370285")).startswith("370285") for r in rows), key


@pytest.mark.parametrize("data,field", [
    ({"date_from": "2026-05-01", "date_to": "2026-01-01"}, "date_to"),
    ({"date_from": "1900-01-01"}, "date_from"),
    ({"date_to": "9999-12-31"}, "date_to"),
    ({"date_from": "yesterday"}, "date_from"),
    ({"division": "370285101201"}, "division"),  # other county
    ({"division": "999999999999"}, "division"),  # does not exist
    ({"division": "37abc"}, "division"),
    ({"status": "nonsense"}, "status"),
])
def test_bad_filters_give_field_errors(county_auditor, other_county_village, data, field):
    definition = get_report("case_register")
    form = ReportFilterForm(data, user=county_auditor, status_choices=definition.status_choices())
    assert not form.is_valid()
    assert field in form.errors


def test_out_of_scope_and_missing_division_read_the_same(county_auditor, other_county_village):
    definition = get_report("case_register")
    a = ReportFilterForm({"division": other_county_village.code}, user=county_auditor)
    b = ReportFilterForm({"division": "370283999999"}, user=county_auditor)
    assert not a.is_valid() and not b.is_valid()
    assert a.errors["division"][0].replace(other_county_village.code, "X") == b.errors["division"][0].replace(
        "370283999999", "X")
    assert definition


class TestPages:
    def test_village_staff_gets_403(self, web, village_staff, township_staff):
        for user in (village_staff, township_staff):
            assert web(user).get("/reports/").status_code == 403
            assert web(user).get("/reports/reports/case_register/").status_code == 403

    def test_report_page_lists_rows(self, worked_example, web, county_auditor):
        response = web(county_auditor).get("/reports/reports/case_register/")
        assert response.status_code == 200
        assert response.context["page"].paginator.count == 7
        assert worked_example["A"].id_number not in response.content.decode()

    def test_report_page_bad_filter_is_400_with_message(self, web, county_auditor, other_county_village):
        response = web(county_auditor).get(f"/reports/reports/case_register/?division={other_county_village.code}")
        assert response.status_code == 400
        assert "division" in response.context["form"].errors
        response = web(county_auditor).get("/reports/reports/case_register/?date_from=2026-05-01&date_to=2026-01-01")
        assert response.status_code == 400

    def test_unknown_report_redirects_with_message(self, web, county_auditor):
        response = web(county_auditor).get("/reports/reports/nope/", follow=True)
        assert response.status_code == 200
        assert "nope" in response.content.decode()

    def test_every_report_page_offers_its_filters(self, web, county_auditor):
        for key in REPORTS:
            response = web(county_auditor).get(f"/reports/reports/{key}/")
            assert response.status_code == 200, key
            assert 'id="report-filters"' in response.content.decode(), key

    def test_dashboard_out_of_scope_division_shows_own_area(self, worked_example, web, county_auditor,
                                                            other_county_village, county):
        response = web(county_auditor).get(f"/reports/?division={other_county_village.code}")
        assert response.status_code == 200
        assert response.context["division"] == county
        assert "辛" not in response.content.decode()
        assert response.context["data"]["totals"]["recipient_households"] == 3

    def test_dashboard_drills_down_and_has_chart_data(self, worked_example, web, auditor, township, village):
        response = web(auditor).get(f"/reports/?division={township.code}")
        body = response.content.decode()
        assert response.status_code == 200
        assert 'id="dashboard-data" type="application/json"' in body
        assert f"?division={village.code}" in body
        assert "<script>" not in body.replace('<script id="dashboard-data"', "")


def test_dashboard_figures_link_to_filtered_lists(worked_example, web, auditor, township, village):
    from urllib.parse import quote

    from django.urls import reverse

    body = web(auditor).get(f"/reports/?division={township.code}").content.decode()
    cases = reverse("cases:list")
    assert f'href="{cases}?village={village.code}&amp;division={village.code}&amp;status=active"' in body
    assert f'href="{cases}?village={village.code}&amp;division={village.code}&amp;overdue=on"' in body
    assert f'href="{reverse("households:list")}?village={quote(township.code)}"' in body
    # the cases list really filters on that village
    listed = web(auditor).get(f"{cases}?village={village.code}&status=active")
    assert listed.status_code == 200
