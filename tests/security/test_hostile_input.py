"""Hand-picked hostile input on every filter and the main writes: NUL bytes, huge numbers, odd unicode.

Each one must be refused cleanly (a 4xx with the error shape), never a 500, and nothing is stored.
Found with this file: `?q=%00` (any filter) gave a 500 from PostgreSQL; a 400-character username on
/api/v1/auth/token/ gave a 500 from the lockout's attempt table.
"""

import json

import pytest

from households.models import Household
from tests.households.factories import household_data, make_policy, make_standard, member_row

pytestmark = pytest.mark.django_db

BAD = ["\x00", "a\x00b", "9" * 400, "1e308", "-0", "NaN", "Infinity", "𠮷" * 300, "\u202e\u200b", " ",
       "../../etc/passwd", "<script>alert(1)</script>"]
LISTS = ["/api/v1/households/", "/api/v1/complaints/", "/api/v1/documents/", "/api/v1/poverty-registrations/",
         "/api/v1/divisions/", "/api/v1/standards/", "/api/v1/users/", "/api/v1/audit-events/"]
PARAMS = ["q", "division", "status", "page", "has_active_case", "parent", "level", "year", "overdue", "channel",
          "monitoring_type", "actor", "action", "date_from", "date_to", "ordering"]
PAGES = ["/households/", "/evidence/complaints/", "/poverty-registry/"]


@pytest.fixture
def setup(county, village_staff, county_officer, admin_user):
    make_standard(county)
    make_policy(county)


@pytest.mark.parametrize("value", BAD, ids=repr)
def test_filters_never_fail(api, web, setup, admin_user, county_officer, value):
    client = api(admin_user)
    for path in LISTS:
        for param in PARAMS:
            response = client.get(path, {param: value})
            assert response.status_code < 500, (path, param, value)
            if response.status_code == 400:
                assert "detail" in response.json()
    page_client = web(county_officer)
    for path in PAGES:
        for param in ("q", "status", "page", "division"):
            assert page_client.get(path, {param: value}).status_code < 500, (path, param, value)


def test_nul_in_a_filter_is_a_clear_400(api, setup, county_officer):
    response = api(county_officer).get("/api/v1/households/", {"q": "王\x00"})
    assert response.status_code == 400
    assert response.json()["code"] == "null_characters_not_allowed"


@pytest.mark.parametrize("value", BAD, ids=repr)
def test_writes_refuse_hostile_values_and_store_nothing(api, setup, village_staff, county_officer, value):
    staff, officer = api(village_staff), api(county_officer)
    before = Household.objects.count()
    for row in (member_row(name=value), member_row(id_number=value), member_row(relationship=value)):
        response = staff.post("/api/v1/households/", household_data(members=[row], address=value), format="json")
        assert response.status_code < 500
    body = household_data(incomes=[{"kind": "wages", "monthly_amount": value, "period_months": value}])
    assert staff.post("/api/v1/households/", body, format="json").status_code == 400
    raw = json.dumps(household_data(members=[member_row(name=value)], address=value), ensure_ascii=True)
    assert staff.post("/api/v1/households/", raw, content_type="application/json").status_code < 500
    for path, data in (
        ("/api/v1/standards/", {"county": value, "monthly_amount": value, "effective_from": value}),
        ("/api/v1/complaints/", {"text": value, "channel": "phone", "staff_member": value, "household": value,
                                 "received_on": value}),
        ("/api/v1/poverty-registrations/", {"year": value, "registry_code": value, "division_code": value}),
    ):
        response = officer.post(path, data, format="json")
        assert response.status_code == 400, (path, response.status_code)
        assert response.json()["detail"]
    # Only a value that is a fine address/name may have created a household (e.g. "NaN" as a name).
    assert Household.objects.count() - before <= 3


def test_lone_surrogate_in_json_is_refused(api, setup, village_staff):
    raw = '{"address": "\\ud800", "members": [{"name": "\\udfff", "id_number": "1", "relationship": "head"}]}'
    response = api(village_staff).post("/api/v1/households/", raw, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("value", BAD, ids=repr)
def test_token_endpoint_refuses_cleanly(api, value):
    response = api(None).post("/api/v1/auth/token/", {"username": value, "password": value}, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()
