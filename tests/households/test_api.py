from datetime import date

import pytest

from audit.models import AccessLog
from households import services
from households.models import Household, Person
from tests.households.factories import household_data, member_row

pytestmark = pytest.mark.django_db
URL = "/api/v1/households/"


def test_create_and_read_masked(api, village_staff, village, standard, policy):
    data = household_data([member_row("head", "王大山"), member_row("child", "王小明", birth=date(2012, 3, 3))],
                          incomes=[{"kind": "wages", "monthly_amount": "1000", "period_months": 12}])
    data["village"] = village.code
    r = api(village_staff).post(URL, data, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["size"] == 2 and body["version"] == 1
    full = data["members"][0]["id_number"]
    # The detail is masked too; the full number comes from .../reveal/ (tests/security/test_asvs_v8_need_to_know.py).
    assert full not in str(body) and body["members"][0]["id_number_masked"] == full[:6] + "********" + full[14:]
    listing = api(village_staff).get(URL).json()
    assert listing["count"] == 1
    text = str(listing)
    assert full not in text and listing["results"][0]["members"][0]["id_number_masked"] == full[:6] + "********" + full[14:]
    assert AccessLog.objects.filter(object_id=str(body["id"])).count() == 0  # nothing full was shown


def test_search_by_id_and_name(api, village_staff, household):
    number = household.members.get(relationship="spouse").person.id_number
    c = api(village_staff)
    # An ID number is searched with a POST (never in a URL).
    assert c.get(URL, {"q": number}).status_code == 400
    assert c.post(f"{URL}search/", {"id_number": number}, format="json").json()["count"] == 1
    assert c.post(f"{URL}search/", {"id_number": number.lower()}, format="json").json()["count"] == 1
    assert c.get(URL, {"q": "李"}).json()["count"] == 1
    assert c.get(URL, {"q": "赵"}).json()["count"] == 0
    assert c.get(URL, {"division": "370283101000"}).json()["count"] == 1
    assert c.get(URL, {"division": "370283102000"}).json()["count"] == 0
    assert c.get(URL, {"has_active_case": "false"}).json()["count"] == 1


def test_patch_version_and_stale(api, village_staff, household):
    c = api(village_staff)
    r = c.patch(f"{URL}{household.pk}/", {"address": "新址", "version": 1}, format="json")
    assert r.status_code == 200 and r.json()["version"] == 2
    r = c.patch(f"{URL}{household.pk}/", {"address": "旧", "version": 1}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "stale_version"
    r = c.patch(f"{URL}{household.pk}/", {"address": "旧"}, format="json")
    assert r.status_code == 400 and "version" in r.json()
    household.refresh_from_db()
    assert household.address == "新址"


def test_scoping(api, household, other_village_staff, auditor, township_staff, county_officer, other_county_officer):
    assert api(other_village_staff).get(f"{URL}{household.pk}/").status_code == 404
    r = api(other_village_staff).patch(f"{URL}{household.pk}/", {"address": "x", "version": 1}, format="json")
    assert r.status_code == 404
    assert api(other_county_officer).get(f"{URL}{household.pk}/").status_code == 404
    assert api(auditor).get(f"{URL}{household.pk}/").status_code == 200
    r = api(auditor).patch(f"{URL}{household.pk}/", {"address": "x", "version": 1}, format="json")
    assert r.status_code == 403
    assert api(other_village_staff).get(URL).json()["count"] == 0
    household.refresh_from_db()
    assert household.address != "x" and household.version == 1
    for user in (township_staff, county_officer):
        r = api(user).patch(f"{URL}{household.pk}/", {"address": user.username, "version": household.version},
                            format="json")
        assert r.status_code == 200
        household.refresh_from_db()


@pytest.mark.parametrize("mutate,field", [
    (lambda d: d["members"][0].update(id_number="110105194912310021"), "members.0.id_number"),
    (lambda d: d["members"][0].update(id_number="370283199902300011"), "members.0.id_number"),
    (lambda d: d["members"][0].update(id_number="370283182001010011"), "members.0.id_number"),
    (lambda d: d["members"].append(dict(d["members"][0], relationship="spouse")), "members.1.id_number"),
    (lambda d: d["members"][0].update(relationship="spouse"), "members"),
    (lambda d: d.update(contact_phone="abc"), "contact_phone"),
    (lambda d: d["incomes"].append({"kind": "wages", "monthly_amount": "100"}), "incomes.0.period_months"),
    (lambda d: d["incomes"].append({"kind": "wages", "monthly_amount": "-1", "period_months": 12}), "incomes.0.monthly_amount"),
])
def test_bad_input_field_errors(api, village_staff, village, standard, mutate, field):
    data = household_data()
    data["village"] = village.code
    mutate(data)
    r = api(village_staff).post(URL, data, format="json")
    assert r.status_code == 400, r.content
    assert field in r.json()
    assert Household.objects.count() == 0 and Person.objects.count() == 0


def test_duplicate_person_api(api, household, other_village, other_village_staff):
    number = household.members.first().person.id_number
    data = household_data([{"id_number": number, "name": "某", "relationship": "head"}])
    data["village"] = other_village.code
    r = api(other_village_staff).post(URL, data, format="json")
    # Another village's staff are not told which village (need to know): the county officer would be.
    assert r.status_code == 400 and "其他地区" in r.json()["members.0.id_number"][0]
    assert "东关村" not in str(r.json())


def test_list_query_count(api, village_staff, village, standard, policy, django_assert_num_queries):
    for i in range(50):
        services.household_create(actor=village_staff, village=village, data=household_data(
            [member_row("head" if j == 0 else "child", f"户{i}员{j}") for j in range(6)]))
    c = api(village_staff)
    c.get(URL)  # warm session / user caches
    with django_assert_num_queries(3):  # count, page, active members + persons
        r = c.get(URL, {"page_size": 50})
    assert len(r.json()["results"]) == 50 and len(r.json()["results"][0]["members"]) == 6


def test_detail_query_count(api, village_staff, make_household, django_assert_num_queries):
    h = make_household(members=[member_row("head" if j == 0 else "child", f"员{j}") for j in range(6)],
                       incomes=[{"kind": "wages", "monthly_amount": "100", "period_months": 12}] * 3)
    c = api(village_staff)
    c.get(f"{URL}{h.pk}/")
    with django_assert_num_queries(4):  # masked: no access-log write on a read
        r = c.get(f"{URL}{h.pk}/")
    assert len(r.json()["members"]) == 6


def test_standards_api(api, county_officer, other_county_officer, village_staff, county, auditor, standard):
    r = api(county_officer).post("/api/v1/standards/", {"county": county.code, "monthly_amount": "800",
                                                          "effective_from": "2026-01-01"}, format="json")
    assert r.status_code == 201, r.json()
    assert api(other_county_officer).post("/api/v1/standards/", {"county": county.code, "monthly_amount": "800",
                                          "effective_from": "2026-02-01"}, format="json").status_code == 403
    assert api(village_staff).post("/api/v1/standards/", {"county": county.code, "monthly_amount": "800",
                                   "effective_from": "2026-02-01"}, format="json").status_code == 403
    assert api(village_staff).get("/api/v1/standards/").json()["count"] == 2
    assert api(other_county_officer).get("/api/v1/standards/").json()["count"] == 0
    assert api(auditor).get("/api/v1/standards/").json()["count"] == 2
