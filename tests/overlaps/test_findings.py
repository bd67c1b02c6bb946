from decimal import Decimal

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from overlaps import selectors
from overlaps.models import FlagStatus, OverlapFlag, RuleCode
from overlaps.services import flag_resolve, overlaps_check_persons, overlaps_scan
from tests.overlaps import builders as b

pytestmark = pytest.mark.django_db


@pytest.fixture
def double(village, other_village, county_officer):
    p = b.person()
    h1 = b.household(village, [p])
    h2 = b.household(other_village, [b.person(name="李四")])
    b.member(h2, p, is_active=False)
    c1 = b.case(h1, county_officer)
    c2 = b.case(h2, county_officer, status="submitted")
    return p, c1, c2


def open_flags(rule=RuleCode.DOUBLE_DIBAO):
    return OverlapFlag.objects.filter(rule=rule, status=FlagStatus.OPEN)


def test_rescan_is_idempotent_and_auto_closes(double):
    p, c1, c2 = double
    overlaps_scan()
    overlaps_scan()
    assert open_flags().count() == 1
    flag = open_flags().get()
    assert set(flag.cases.values_list("pk", flat=True)) == {c1.pk, c2.pk}
    assert selectors.case_has_open_double_dibao(c1) and selectors.case_has_open_double_dibao(c2)
    assert selectors.open_flag_counts_for_case(c1) == {RuleCode.DOUBLE_DIBAO: 1}
    assert selectors.open_flag_counts_for_household(c1.household) == {RuleCode.DOUBLE_DIBAO: 1}
    c2.status = "withdrawn"
    c2.save()
    result = overlaps_scan(prefix="370283")
    assert result[RuleCode.DOUBLE_DIBAO]["closed"] == 1
    flag.refresh_from_db()
    assert flag.status == FlagStatus.CLOSED and flag.closed_at is not None
    assert not selectors.case_has_open_double_dibao(c1)
    # the condition returns: a new open finding, the closed one kept
    c2.status = "submitted"
    c2.save()
    overlaps_scan()
    assert OverlapFlag.objects.filter(rule=RuleCode.DOUBLE_DIBAO).count() == 2
    assert open_flags().count() == 1


def test_false_match_is_remembered_until_data_change(double, county_officer, village, county_officer2):
    p, c1, c2 = double
    overlaps_scan()
    flag = open_flags().get()
    flag_resolve(actor=county_officer, flag=flag, outcome="false_match", note="同名不同人 / not the same")
    overlaps_scan()
    assert open_flags().count() == 0
    assert OverlapFlag.objects.get(pk=flag.pk).status == FlagStatus.FALSE_MATCH
    # the underlying data change (a third open case): fingerprint changes, raised again
    h3 = b.household(village, [b.person(name="王五")])
    b.member(h3, p, is_active=False)
    b.case(h3, county_officer2, status="draft")
    overlaps_scan()
    assert open_flags().count() == 1
    assert open_flags().get().pk != flag.pk


def test_resolve_audit_and_stale(double, county_officer, county_officer2):
    overlaps_scan()
    flag = open_flags().get()
    flag_resolve(actor=county_officer, flag=flag, outcome="confirmed", note="已停发一处", version=1)
    flag.refresh_from_db()
    assert (flag.status, flag.resolved_by, flag.version) == ("confirmed", county_officer, 2)
    assert AuditEvent.objects.filter(action="overlap_flag.resolve").count() == 1
    from dibao.errors import StaleVersion

    with pytest.raises(StaleVersion):
        flag_resolve(actor=county_officer2, flag=flag, outcome="explained", note="x")


def test_incremental_check(double, settings):
    p, c1, c2 = double
    settings.CELERY_TASK_ALWAYS_EAGER = True
    results = overlaps_check_persons([p.pk])
    assert results[RuleCode.DOUBLE_DIBAO]["raised"] == 1
    c2.status = "closed"
    c2.save()
    results = overlaps_check_persons([p.pk])
    assert results[RuleCode.DOUBLE_DIBAO]["closed"] == 1
    assert open_flags().count() == 0


def test_a_fed_change_is_checked_on_commit(double, django_capture_on_commit_callbacks):
    from audit import feed

    p, c1, c2 = double
    with django_capture_on_commit_callbacks(execute=True):
        feed.changed("households.person", [p.pk])
        assert open_flags().count() == 0  # nothing before the commit
    assert open_flags().count() == 1


# ---- API ------------------------------------------------------------------------------------------------


def test_resolve_api_permissions(double, api, county_officer, other_county_officer, village_staff, auditor):
    overlaps_scan()
    flag = open_flags().get()
    url = reverse("overlap-flag-resolve", args=[flag.pk])
    body = {"outcome": "explained", "note": "已核实"}
    assert api(other_county_officer).post(url, body, format="json").status_code == 404
    assert api(village_staff).post(url, body, format="json").status_code == 403
    assert api(auditor).post(url, body, format="json").status_code == 403
    flag.refresh_from_db()
    assert flag.status == "open"
    response = api(county_officer).post(url, {"outcome": "bogus", "note": ""}, format="json")
    assert response.status_code == 400
    assert {"outcome", "note"} <= set(response.json())
    response = api(county_officer).post(url, {**body, "version": 7}, format="json")
    assert response.status_code == 409
    response = api(county_officer).post(url, body, format="json")
    assert response.status_code == 200 and response.json()["status"] == "explained"
    assert api(county_officer).post(url, body, format="json").status_code == 409


def test_flag_list_api_filters_and_scope(double, api, county_officer, other_county_officer, village_staff,
                                         other_village_staff, village, std):
    b.household(village, [b.person(name="边缘")], income=Decimal("1000"))
    overlaps_scan()
    url = reverse("overlap-flag-list")
    data = api(county_officer).get(url).json()
    assert {r["rule"] for r in data["results"]} == {"DOUBLE_DIBAO", "EDGE_HOUSEHOLD"}
    assert [r["rule"] for r in api(county_officer).get(url, {"rule": "EDGE_HOUSEHOLD"}).json()["results"]] == [
        "EDGE_HOUSEHOLD"]
    assert api(county_officer).get(url, {"status": "closed"}).json()["results"] == []
    assert len(api(county_officer).get(url, {"division": village.code}).json()["results"]) == 1
    assert api(county_officer).get(url, {"rule": "NOPE"}).status_code == 400
    assert api(other_county_officer).get(url).json()["results"] == []
    # the double-dibao finding spans two villages (township level): village staff see only the edge one
    assert [r["rule"] for r in api(village_staff).get(url).json()["results"]] == ["EDGE_HOUSEHOLD"]
    assert api(other_village_staff).get(url).json()["results"] == []


def test_scan_api(api, county_officer, village_staff, double, django_capture_on_commit_callbacks, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    url = reverse("api-overlap-scans")
    assert api(village_staff).post(url, {}, format="json").status_code == 403
    assert api(county_officer).post(url, {"division": "110000000000"}, format="json").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = api(county_officer).post(url, {}, format="json")
    assert response.status_code == 202
    from jobs.models import Job

    job = Job.objects.get(pk=response.json()["job"])
    assert job.status == "succeeded" and job.counts["raised"] == 1
    assert open_flags().count() == 1


def test_schema_has_endpoints(api, admin_user):
    response = api(admin_user).get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/v1/overlap-flags/{id}/resolve/" in text and "/api/v1/overlap-scans/" in text


# ---- pages ----------------------------------------------------------------------------------------------


def test_list_page_query_count(double, web, county_officer, village, std, django_assert_num_queries):
    for i in range(5):
        b.household(village, [b.person(name=f"边缘{i}")], income=Decimal("1000"))
    overlaps_scan()
    client = web(county_officer)
    client.get(reverse("overlaps:list"))
    with django_assert_num_queries(6):  # edge households show here only when their rule is asked for
        response = client.get(reverse("overlaps:list"), {"status": "open", "rule": "EDGE_HOUSEHOLD"})
    assert response.status_code == 200
    assert response.content.decode().count('href="/findings/') >= 12
    # A picked village: its scope check, then the picker's chain (the village's row, the townships, the villages).
    with django_assert_num_queries(9):
        client.get(reverse("overlaps:list"), {"rule": "EDGE_HOUSEHOLD", "division": village.code})


def test_list_page_shows_high_severity_first(double, web, county_officer, village, std):
    for i in range(3):  # low-severity edge households, found after the high one
        b.household(village, [b.person(name=f"边缘{i}")], income=Decimal("1000"))
    overlaps_scan()
    high = open_flags().get()
    assert OverlapFlag.objects.filter(severity="low").latest("id").pk > high.pk
    page = web(county_officer).get(reverse("overlaps:list")).context["page"]
    severities = [flag.severity for flag in page.object_list]
    assert severities[0] == "high" and severities == sorted(severities, key=["high", "medium", "low"].index)
    assert "待处理" in web(county_officer).get(reverse("overlaps:list")).content.decode()  # not 公示中


def test_comparison_page_and_resolve_form(village, web, county_officer, village_staff, other_county_officer):
    from datetime import date

    birth = date(1970, 2, 2)
    x = b.person("王伟", birth, "M", sequence=11)
    y = b.person("王伟", birth, "M", sequence=13)
    b.household(village, [x])
    b.household(village, [y])
    overlaps_scan()
    flag = open_flags(RuleCode.PROBABLE_DUPLICATE).get()
    url = reverse("overlaps:detail", args=[flag.pk])
    body = web(county_officer).get(url).content.decode()
    assert x.masked_id in body and y.masked_id in body
    assert x.id_number not in body
    assert body.count('data-differs="1"') == 1  # only the ID number differs
    assert 'id="resolve-form"' in body
    staff_page = web(village_staff).get(url)
    assert staff_page.status_code == 200 and 'id="resolve-form"' not in staff_page.content.decode()
    assert web(village_staff).post(url, {"outcome": "explained", "note": "x", "version": 1}).status_code == 403
    assert web(other_county_officer).get(url).status_code == 404
    response = web(county_officer).post(url, {"outcome": "false_match", "note": "", "version": 1})
    assert response.status_code == 400
    response = web(county_officer).post(url, {"outcome": "false_match", "note": "双胞胎 twins", "version": 1})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.status == "false_match"
