
import pytest

from cases.models import Case
from households.models import Household, Member
from poverty_registry.models import RegistryHousehold
from tests.poverty_registry.conftest import csv_bytes, row
from tests.poverty_registry.factories import make_registration

pytestmark = pytest.mark.django_db


def dibao_household(village, person, user, *, status="active"):
    household = Household.objects.create(village=village, division_code=village.code, address="1号",
                                         head_name=person.name)
    Member.objects.create(household=household, person=person, name=person.name, relationship="head", sex=person.sex,
                          birth_date=person.birth_date)
    case = Case.objects.create(household=household, division_code=village.code, status=status, entered_by=user)
    return household, case


def test_list_page_filters_and_scope(web, county_officer, village_staff, village, other_village,
                                     other_county_village, django_assert_num_queries):
    make_registration(village, code="A", start=1)
    make_registration(other_village, code="B", status="monitored", monitoring_type="edge", start=10)
    make_registration(other_county_village, code="X", start=20)
    for i in range(4):
        make_registration(village, code=f"M{i}", start=40 + 3 * i)
    client = web(county_officer)
    client.get("/poverty-registry/")  # warm the session / language caches
    with django_assert_num_queries(6):  # session, user, division, the division picker's townships, count, page
        response = client.get("/poverty-registry/")
    text = response.content.decode()
    assert response.status_code == 200
    assert ">A<" in text and ">B<" in text and ">X<" not in text
    text = client.get("/poverty-registry/?monitoring_type=edge").content.decode()
    assert ">B<" in text and ">A<" not in text
    text = client.get("/poverty-registry/?division=370283101202").content.decode()
    assert ">B<" in text and ">A<" not in text
    assert client.get("/poverty-registry/?year=abc").status_code == 200
    text = web(village_staff).get("/poverty-registry/").content.decode()
    assert ">A<" in text and ">B<" not in text
    assert "/poverty-registry/import/" not in text


def test_detail_shows_dibao_links_in_scope_only(web, county_officer, other_county_officer, village_staff, admin_user,
                                                village, other_village, django_assert_num_queries):
    reg = make_registration(village, code="A", start=1, members=3)
    members = list(reg.members.select_related("person"))
    _household, active_case = dibao_household(village, members[0].person, admin_user)
    _other, rejected_case = dibao_household(other_village, members[1].person, admin_user, status="rejected")
    client = web(county_officer)
    client.get(f"/poverty-registry/{reg.pk}/")
    with django_assert_num_queries(7):  # session, user, division, household, members+persons, dibao members, cases
        response = client.get(f"/poverty-registry/{reg.pk}/")
    text = response.content.decode()
    assert response.status_code == 200
    assert members[0].person.masked_id in text and members[0].person.id_number not in text
    # Each member's dibao case is linked with its status (the county officer sees both villages).
    for case in (active_case, rejected_case):
        link = f'<a href="/cases/{case.pk}/">#{case.pk} {case.get_status_display()}</a>'
        assert link in text
    # village staff of village 1 sees the second member's other-village household only as "outside your area"
    text = web(village_staff).get(f"/poverty-registry/{reg.pk}/").content.decode()
    assert "outside your area" in text or "范围" in text
    assert web(other_county_officer).get(f"/poverty-registry/{reg.pk}/").status_code == 404


def test_import_page(web, county_officer, village_staff, auditor, village, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    assert web(village_staff).get("/poverty-registry/import/").status_code == 403
    assert web(auditor).post("/poverty-registry/import/", {}).status_code == 403
    client = web(county_officer)
    assert client.get("/poverty-registry/import/").status_code == 200
    response = client.post("/poverty-registry/import/", {"file": SimpleUploadedFile("r.csv", b"name,age\nx,1\n")})
    assert response.status_code == 200
    assert "year" in response.content.decode() and "invalid-feedback" in response.content.decode()
    response = client.post("/poverty-registry/import/", {"file": SimpleUploadedFile("r.txt", b"")})
    assert response.status_code == 200 and "invalid-feedback" in response.content.decode()
    data = csv_bytes([row(1), row(2, code="H2", id_number="123")])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/poverty-registry/import/", {"file": SimpleUploadedFile("r.csv", data)})
    assert response.status_code == 302 and response.url.startswith("/jobs/")
    assert RegistryHousehold.objects.count() == 1
    page = client.get(response.url)
    assert page.status_code == 200 and "/download/" in page.content.decode()
    listing = client.get("/poverty-registry/import/").content.decode()
    assert "r.csv" in listing and "/download/" in listing




def test_home_panel(web, county_officer, village_staff, village):
    from django.utils import timezone

    make_registration(village, code="A", year=timezone.localdate().year, status="monitored", monitoring_type="edge")
    text = web(county_officer).get("/").content.decode()
    assert "/poverty-registry/?year=" in text
    assert "/poverty-registry/?year=" not in web(village_staff).get("/").content.decode()
