from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from audit.services import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(county_officer, county_officer2, village, other_county_village, other_county_officer):
    old = timezone.now() - timedelta(days=40)
    made = [
        record(actor=county_officer, action="case.accept", object_type="cases.case", object_id=1, division_code=village.code),
        record(actor=county_officer2, action="case.approve", object_type="cases.case", object_id=1,
               division_code=village.code),
    ]
    with mock.patch("django.utils.timezone.now", return_value=old):  # the log is append-only: write it old
        made.append(record(actor=county_officer, action="household.update", object_type="households.household",
                           object_id=7, division_code=village.code))
    made.append(record(actor=other_county_officer, action="case.approve", object_type="cases.case", object_id=99,
                       division_code=other_county_village.code))
    return made


def ids(response):
    return [e.pk for e in response.context["page"].object_list]


def test_roles(web, village_staff, township_staff, county_officer, county_auditor, admin_user, audit_admin):
    # The system administrator does not read the audit log (三员分立): the audit administrator does.
    for user in (village_staff, township_staff, county_officer, admin_user):
        assert web(user).get("/audit/").status_code == 403
        assert web(user).get("/audit/history/cases.case/1/").status_code == 403
    for user in (county_auditor, audit_admin):
        assert web(user).get("/audit/").status_code == 200


def test_scoped_and_filtered(events, web, county_auditor, auditor, today=None):
    client = web(county_auditor)
    assert sorted(ids(client.get("/audit/"))) == sorted(e.pk for e in events[:3])
    assert len(ids(web(auditor).get("/audit/"))) == 4
    assert ids(client.get("/audit/?actor=county2")) == [events[1].pk]
    assert sorted(ids(client.get("/audit/?object_type=cases.case&object_id=1"))) == [events[0].pk, events[1].pk]
    assert sorted(ids(client.get("/audit/?action=case."))) == [events[0].pk, events[1].pk]
    recent = (timezone.localdate() - timedelta(days=5)).isoformat()
    assert events[2].pk not in ids(client.get(f"/audit/?date_from={recent}"))
    old = (timezone.localdate() - timedelta(days=35)).isoformat()
    assert ids(client.get(f"/audit/?date_to={old}")) == [events[2].pk]


def test_bad_dates_400(web, county_auditor):
    response = web(county_auditor).get("/audit/?date_from=2026-05-01&date_to=2026-01-01")
    assert response.status_code == 400 and "date_to" in response.context["form"].errors
    assert web(county_auditor).get("/audit/?date_from=notadate").status_code == 400


def test_object_history(events, web, county_auditor, other_county_officer):
    response = web(county_auditor).get("/audit/history/cases.case/1/")
    assert response.status_code == 200
    assert sorted(ids(response)) == [events[0].pk, events[1].pk]
    # another county's event is not in this auditor's history
    assert ids(web(county_auditor).get("/audit/history/cases.case/99/")) == []


def test_pagination_and_query_count(web, county_auditor, county_officer, village, django_assert_max_num_queries):
    for i in range(60):
        record(actor=county_officer, action="case.note", object_type="cases.case", object_id=i, division_code=village.code)
    client = web(county_auditor)
    page1 = client.get("/audit/")
    assert len(ids(page1)) == 50 and page1.context["page"].paginator.count == 60
    assert len(ids(client.get("/audit/?page=2"))) == 10
    with django_assert_max_num_queries(8):
        client.get("/audit/?page=2")
