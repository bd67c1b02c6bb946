import pytest

from audit.models import AuditEvent
from jobs.models import Job
from poverty_registry.models import RegistryHousehold, RegistryMember
from tests.poverty_registry.conftest import csv_bytes, ident, row
from tests.poverty_registry.factories import make_registration

pytestmark = pytest.mark.django_db
URL = "/api/v1/poverty-registrations/"


@pytest.fixture
def roster(village, other_village, other_county_village):
    return {
        "a": make_registration(village, code="A", status="registered", start=1),
        "b": make_registration(other_village, code="B", status="monitored", monitoring_type="edge", start=10),
        "c": make_registration(village, code="C", year=2023, status="lifted", lifted_year=2021, start=20),
        "x": make_registration(other_county_village, code="X", start=30),
    }


def codes(response):
    return sorted(r["registry_code"] for r in response.json()["results"])


def test_list_is_scoped_and_filtered(api, roster, county_officer, village_staff, other_county_officer, auditor):
    assert codes(api(county_officer).get(URL)) == ["A", "B", "C"]
    assert codes(api(village_staff).get(URL)) == ["A", "C"]
    assert codes(api(other_county_officer).get(URL)) == ["X"]
    assert codes(api(auditor).get(URL)) == ["A", "B", "C", "X"]
    client = api(county_officer)
    assert codes(client.get(URL, {"year": 2023})) == ["C"]
    assert codes(client.get(URL, {"status": "monitored"})) == ["B"]
    assert codes(client.get(URL, {"monitoring_type": "edge"})) == ["B"]
    assert codes(client.get(URL, {"monitoring_type": "none"})) == ["A", "C"]
    assert codes(client.get(URL, {"division": "370283101202"})) == ["B"]
    assert codes(client.get(URL, {"division": "370283101000"})) == ["A", "B", "C"]
    body = client.get(URL, {"status": "nonsense"})
    assert body.status_code == 400 and "status" in body.json()


def test_list_query_count_is_constant(api, roster, county_officer, village, django_assert_num_queries):
    for i in range(5):
        make_registration(village, code=f"M{i}", start=100 + i * 3)
    client = api(county_officer)
    with django_assert_num_queries(2):  # count, page
        response = client.get(URL)
    assert response.json()["count"] == 8
    assert response.json()["results"][0]["member_count"] >= 1


def test_list_counts_members_of_the_page_rows_only(api, county_officer, village, django_assert_num_queries):
    """Each row's member count is exact (none is 0), and only the page query reads the members: the
    count query does not touch them, and the page counts them per returned row (no GROUP BY over
    every registration in scope)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    made = {f"M{i}": make_registration(village, code=f"M{i}", members=i, start=100 + i * 5) for i in range(4)}
    with CaptureQueriesContext(connection) as ctx:
        body = api(county_officer).get(URL, {"page_size": 50}).json()
    assert {r["registry_code"]: r["member_count"] for r in body["results"]} == {c: i for i, c in
                                                                                enumerate(made)}
    count_sql, page_sql = (q["sql"] for q in ctx.captured_queries)
    assert "registrymember" not in count_sql
    assert 'JOIN "poverty_registry_registrymember"' not in page_sql  # a correlated subquery per row
    assert RegistryMember.objects.filter(registry_household=made["M3"]).count() == 3


def test_detail_masks_ids_and_is_scoped(api, roster, county_officer, other_county_officer,
                                        django_assert_num_queries):
    client = api(county_officer)
    with django_assert_num_queries(2):  # household+village, members+persons
        body = client.get(f"{URL}{roster['a'].pk}/").json()
    assert len(body["members"]) == 2
    number = ident(1)
    assert body["members"][0]["id_number"] == number[:6] + "********" + number[14:]
    assert api(other_county_officer).get(f"{URL}{roster['a'].pk}/").status_code == 404


def payload(**overrides):
    data = {"year": 2024, "registry_code": "NEW1", "division": "370283101201", "status": "monitored",
            "monitoring_type": "sudden", "annual_income_per_capita": "5100.00",
            "members": [{"id_number": ident(50), "name": "新户主", "relationship": "户主", "is_head": True},
                        {"id_number": ident(51), "name": "新成员", "relationship": "配偶"}]}
    data.update(overrides)
    return data


def test_create(api, county_officer, village):
    response = api(county_officer).post(URL, payload(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["registry_code"] == "NEW1" and len(body["members"]) == 2 and body["division"] == village.code
    household = RegistryHousehold.objects.get(registry_code="NEW1")
    assert household.members.filter(is_head=True).get().name == "新户主"
    assert AuditEvent.objects.filter(action="poverty_registry.create", object_id=str(household.pk)).count() == 1
    again = api(county_officer).post(URL, payload(), format="json")
    assert again.status_code == 400 and "registry_code" in again.json()


@pytest.mark.parametrize("overrides,field", [
    ({"status": "poor"}, "status"),
    ({"annual_income_per_capita": "-1"}, "annual_income_per_capita"),
    ({"division": "370285101201"}, "division"),
    ({"division": "12"}, "division"),
    ({"status": "monitored", "monitoring_type": ""}, "monitoring_type"),
    ({"status": "lifted", "monitoring_type": "", "lifted_year": None}, "lifted_year"),
    ({"members": []}, "members"),
    ({"members": [{"id_number": "370283197001010010", "name": "x"}]}, "members[0].id_number"),
])
def test_create_validation(api, county_officer, village, other_county_village, overrides, field):
    response = api(county_officer).post(URL, payload(**overrides), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert not RegistryHousehold.objects.exists()


def test_writes_forbidden_for_other_roles(api, roster, village_staff, auditor, township_staff):
    for user in (village_staff, auditor, township_staff):
        assert api(user).post(URL, payload(), format="json").status_code == 403
        assert api(user).patch(f"{URL}{roster['a'].pk}/", {"status": "lifted"}, format="json").status_code == 403
    assert RegistryHousehold.objects.filter(status="registered", registry_code="A").exists()


def test_patch(api, roster, county_officer, other_county_officer):
    url = f"{URL}{roster['a'].pk}/"
    response = api(county_officer).patch(url, {"status": "lifted", "lifted_year": 2024,
                                               "annual_income_per_capita": "9000"}, format="json")
    assert response.status_code == 200, response.json()
    a = RegistryHousehold.objects.get(pk=roster["a"].pk)
    assert a.status == "lifted" and a.lifted_year == 2024 and str(a.annual_income_per_capita) == "9000.00"
    event = AuditEvent.objects.get(action="poverty_registry.update")
    assert event.after["status"] == "lifted" and event.before["status"] == "registered"
    # members replaced
    response = api(county_officer).patch(url, {"members": [{"id_number": ident(1), "name": "成员1", "is_head": True}]},
                                         format="json")
    assert response.status_code == 200 and len(response.json()["members"]) == 1
    # invalid combination
    response = api(county_officer).patch(url, {"status": "monitored"}, format="json")
    assert response.status_code == 400 and "monitoring_type" in response.json()
    # out of scope -> 404, unchanged
    response = api(other_county_officer).patch(url, {"status": "registered"}, format="json")
    assert response.status_code == 404
    assert RegistryHousehold.objects.get(pk=roster["a"].pk).status == "lifted"


def test_import_endpoint(api, county_officer, village, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = csv_bytes([row(1), row(2, head=False), row(3, code="H3", id_number="bad")])
    with django_capture_on_commit_callbacks(execute=True):
        response = api(county_officer).post(f"{URL}imports/", {"file": SimpleUploadedFile("r.csv", data),
                                                               "year": 2024}, format="multipart")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["url"] == f"/api/v1/jobs/{body['id']}/"
    assert body["removals"] == f"/api/v1/poverty-registrations/imports/{body['id']}/removals/"
    job = api(county_officer).get(body["url"]).json()
    assert job["status"] == "succeeded" and job["counts"]["rows_imported"] == 2 and job["counts"]["rows_failed"] == 1
    assert job["errors"][0]["row"] == 4 and job["errors"][0]["column"] == "id_number"
    assert job["result"]
    assert RegistryMember.objects.count() == 2


def test_import_endpoint_refusals(api, county_officer, village_staff, other_county_officer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api(county_officer)
    response = client.post(f"{URL}imports/", {"file": SimpleUploadedFile("r.csv", b"year,member_name\n1,2\n")},
                           format="multipart")
    assert response.status_code == 400
    assert "division_code" in response.json()["detail"] and response.json()["code"] == "missing_columns"
    response = client.post(f"{URL}imports/", {"file": SimpleUploadedFile("r.csv", b"")}, format="multipart")
    assert response.status_code == 400
    response = client.post(f"{URL}imports/", {}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()
    response = api(village_staff).post(f"{URL}imports/", {"file": SimpleUploadedFile("r.csv", csv_bytes([row()]))},
                                       format="multipart")
    assert response.status_code == 403
    assert Job.objects.count() == 0


def test_error_csv_download_only_by_creator(county_officer, county_officer2, village, run_import, web):
    job = run_import(county_officer, csv_bytes([row(1), row(2, code="H2", id_number="x")]))
    assert job.result_file
    response = web(county_officer).get(f"/jobs/{job.pk}/download/")
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    assert content.splitlines()[0].startswith("row,column,reason") and "id_number" in content
    assert web(county_officer2).get(f"/jobs/{job.pk}/download/").status_code == 404
    assert web(county_officer2).get(f"/api/v1/jobs/{job.pk}/").status_code == 404


def test_schema_has_registry_paths(api, admin_user):
    response = api(admin_user).get("/api/schema/")
    text = response.content.decode()
    assert "/api/v1/poverty-registrations/imports/" in text and "/api/v1/poverty-registrations/{id}/" in text
