"""A re-import that would remove members shows them first and removes them only when a county officer confirms."""

import pytest

from audit.models import AuditEvent
from dibao.errors import Conflict
from jobs.services import job_create
from poverty_registry.models import RegistryMember
from poverty_registry.removals import import_removals_confirm
from tests.poverty_registry.conftest import csv_bytes, row

pytestmark = pytest.mark.django_db


def family(code, start, size):
    return [row(start + i, code=code, head=(i == 0), relationship="户主" if i == 0 else "子女") for i in range(size)]


@pytest.fixture
def reimported(county_officer, village, run_import):
    """H1 had 3 members and H2 2; the new file lists 2 of H1 (张小明 left) and all of H2."""
    first = family("H1", 1, 3) + family("H2", 10, 2)
    first[2]["member_name"] = "张小明"
    run_import(county_officer, csv_bytes(first))
    job = run_import(county_officer, csv_bytes(family("H1", 1, 2) + family("H2", 10, 2)))
    assert job.status == "succeeded", job.message
    return job


def members_of(code):
    return sorted(RegistryMember.objects.filter(registry_household__registry_code=code).values_list("name", flat=True))


def test_removal_is_not_applied_without_confirmation(reimported, village):
    assert members_of("H1") == ["张小明", "成员1", "成员2"]
    assert reimported.counts["members_to_remove"] == 1 and reimported.counts["members_removed"] == 0
    removals = reimported.params["removals"]
    assert removals["state"] == "pending" and removals["count"] == 1
    assert removals["members"] == [{"name": "张**", "household": "H1", "year": 2024, "village": village.name,
                                    "village_code": village.code}]
    assert "confirm" in reimported.message or "确认" in reimported.message
    assert not AuditEvent.objects.filter(action="poverty_registry.import_removals_confirm").exists()


def test_confirmation_applies_once_and_is_audited(reimported, county_officer):
    job = import_removals_confirm(actor=county_officer, job_id=reimported.pk)
    assert members_of("H1") == ["成员1", "成员2"] and members_of("H2") == ["成员10", "成员11"]
    assert job.params["removals"]["state"] == "applied" and job.params["removals"]["removed"] == 1
    assert job.counts["members_removed"] == 1 and job.counts["members_to_remove"] == 0
    event = AuditEvent.objects.get(action="poverty_registry.import_removals_confirm")
    assert event.actor == county_officer and event.after == {"listed": 1, "removed": 1, "kept": 0}
    with pytest.raises(Conflict):
        import_removals_confirm(actor=county_officer, job_id=reimported.pk)
    assert AuditEvent.objects.filter(action="poverty_registry.import_removals_confirm").count() == 1


def test_a_newer_import_listing_the_member_again_keeps_them(reimported, county_officer, run_import):
    again = family("H1", 1, 3)
    again[2]["member_name"] = "张小明"
    newer = run_import(county_officer, csv_bytes(again))
    assert "removals" not in newer.params
    job = import_removals_confirm(actor=county_officer, job_id=reimported.pk)
    assert job.params["removals"]["removed"] == 0
    assert members_of("H1") == ["张小明", "成员1", "成员2"]


def test_api_shows_the_list_and_confirms(reimported, api, county_officer):
    client = api(county_officer)
    url = f"/api/v1/poverty-registrations/imports/{reimported.pk}/removals/"
    assert client.get(f"/api/v1/jobs/{reimported.pk}/").json()["counts"]["members_to_remove"] == 1
    body = client.get(url).json()
    assert body["state"] == "pending" and body["count"] == 1 and body["members"][0]["name"] == "张**"
    assert body["members"][0]["household"] == "H1" and body["confirm"] == url + "confirm/"
    assert "张小明" not in str(body) and "pairs" not in body
    assert members_of("H1") == ["张小明", "成员1", "成员2"]  # reading changes nothing
    response = client.post(url + "confirm/")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "applied" and response.json()["removed"] == 1
    assert members_of("H1") == ["成员1", "成员2"]
    again = client.post(url + "confirm/")
    assert again.status_code == 409 and again.json()["code"] == "no_removals_pending"


def test_page_shows_the_list_and_confirms(reimported, web, county_officer):
    client = web(county_officer)
    page = client.get(f"/jobs/{reimported.pk}/").content.decode()
    assert "张**" in page and "H1" in page and "张小明" not in page
    assert "本文件不再列出的成员 1 名" in page and "移除这 1 名成员" in page
    assert f"/poverty-registry/import/{reimported.pk}/removals/confirm/" in page
    assert members_of("H1") == ["张小明", "成员1", "成员2"]
    response = client.post(f"/poverty-registry/import/{reimported.pk}/removals/confirm/")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{reimported.pk}/"
    assert members_of("H1") == ["成员1", "成员2"]
    page = client.get(f"/jobs/{reimported.pk}/").content.decode()
    assert f"/poverty-registry/import/{reimported.pk}/removals/confirm/" not in page
    assert "经 county1 确认，已移除 1 名成员。" in page
    assert client.get(f"/poverty-registry/import/{reimported.pk}/removals/confirm/").status_code == 405


@pytest.mark.parametrize("who, status", [("county_auditor", 403), ("village_staff", 403), ("township_staff", 403),
                                         ("other_county_officer", 404)])
def test_wrong_role_or_other_county_changes_nothing(reimported, api, web, request, who, status):
    user = request.getfixturevalue(who)
    url = f"/api/v1/poverty-registrations/imports/{reimported.pk}/removals/"
    assert api(user).get(url).status_code == status
    assert api(user).post(url + "confirm/").status_code == status
    assert web(user).post(f"/poverty-registry/import/{reimported.pk}/removals/confirm/").status_code == status
    assert members_of("H1") == ["张小明", "成员1", "成员2"]
    assert not AuditEvent.objects.filter(action="poverty_registry.import_removals_confirm").exists()


def test_another_kind_of_job_is_not_found(api, county_officer):
    job = job_create(actor=county_officer, kind="export", division_code=county_officer.division.code)
    assert api(county_officer).post(f"/api/v1/poverty-registrations/imports/{job.pk}/removals/confirm/").status_code == 404
    assert api(county_officer).get("/api/v1/poverty-registrations/imports/999999/removals/").status_code == 404
