"""Go-live pages and API: who may do what, the template, the export's access log, query counts."""

import io
from datetime import date

import openpyxl
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AccessLog, AuditEvent
from cases.models import Case
from golive.layout import COLUMNS
from golive.models import BatchStatus, RosterBatch
from tabular.synonyms import chinese_header
from tests.golive.conftest import csv_bytes, family
from tests.households.factories import make_policy, make_standard

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def policies(county):
    make_standard(county)
    make_policy(county)


@time_machine.travel(date(2026, 3, 15), tick=False)
def test_api_upload_read_confirm_undo(api, county_officer, auditor, other_county_officer, village_staff, village,
                                      django_capture_on_commit_callbacks):
    client = api(county_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/roster-imports/", {"file": SimpleUploadedFile(
            "r.csv", csv_bytes(family("A1", 1)))}, format="multipart")
    assert response.status_code == 202, response.content
    pk = response.json()["id"]
    body = api(auditor).get(f"/api/v1/roster-imports/{pk}/").json()
    assert body["status"] == BatchStatus.CHECKED and body["summary"]["totals"]["create_households"] == 1
    assert api(other_county_officer).get(f"/api/v1/roster-imports/{pk}/").status_code == 404
    assert api(village_staff).get(f"/api/v1/roster-imports/{pk}/").status_code == 403
    assert api(auditor).post(f"/api/v1/roster-imports/{pk}/confirm/").status_code == 403
    assert api(other_county_officer).post(f"/api/v1/roster-imports/{pk}/confirm/").status_code == 404
    stale = client.post(f"/api/v1/roster-imports/{pk}/confirm/", {"version": 99}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    assert Case.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/roster-imports/{pk}/confirm/", {"version": 1}, format="json")
    assert response.status_code == 202
    assert RosterBatch.objects.get(pk=pk).status == BatchStatus.APPLIED and Case.objects.count() == 1
    again = client.post(f"/api/v1/roster-imports/{pk}/confirm/", {"version": 2}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    response = client.post(f"/api/v1/roster-imports/{pk}/undo/", {"version": 2}, format="json")
    assert response.status_code == 200 and response.json()["status"] == BatchStatus.UNDONE
    assert Case.objects.count() == 0
    assert AuditEvent.objects.filter(action="golive.undone", object_id=str(pk)).exists()


def test_api_refuses_a_bad_file_naming_it(api, county_officer, village):
    response = api(county_officer).post("/api/v1/roster-imports/", {"file": SimpleUploadedFile(
        "r.csv", "姓名,证件号码\n张三,1\n".encode())}, format="multipart")
    assert response.status_code == 400 and response.json()["code"] == "missing_columns"
    assert "户编号" in response.json()["detail"] and not RosterBatch.objects.exists()


def test_page_upload_shows_the_refusal(web, county_officer, village):
    client = web(county_officer)
    response = client.post("/golive/", {"file": SimpleUploadedFile("r.csv", b"")})
    assert response.status_code == 400 and "空文件" in response.content.decode()
    response = client.post("/golive/", {"file": SimpleUploadedFile("r.csv", b"a,b\n1,2\n")})
    assert response.status_code == 400 and "文件没有表头行" in response.content.decode()
    assert not RosterBatch.objects.exists()


def test_template_has_headers_dropdowns_example_and_instructions(web, auditor):
    response = web(auditor).get("/golive/template.xlsx")
    assert response.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    data, notes = wb.worksheets
    assert [c.value for c in data[1]] == [chinese_header("roster", c) for c in COLUMNS]
    assert [c.value for c in data[2]] == list(COLUMNS)
    assert data["E3"].value == "张三"
    lists = {str(v.sqref)[0]: v.formula1 for v in data.data_validations.dataValidation}
    assert lists["G"].startswith('"户主,配偶') and '"是,否"' in lists.values() and "A类" in lists["L"]
    assert [c.value for c in notes[1]][:2] == ["表头", "英文代码"] or notes.max_row > len(COLUMNS)
    registry = web(auditor).get("/poverty-registry/import/template.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(registry.content)).worksheets[0]
    assert sheet["A1"].value == "年度" and sheet["A2"].value == "year"
    assert any("未脱贫" in v.formula1 for v in sheet.data_validations.dataValidation)


@time_machine.travel(date(2026, 3, 15), tick=False)
def test_export_is_logged_and_the_index_query_count_is_fixed(web, county_officer, village, dry_run, confirm,
                                                             django_assert_max_num_queries):
    confirm(county_officer, dry_run(county_officer, csv_bytes(family("E1", 1))))
    client = web(county_officer)
    response = client.get("/golive/roster.xlsx")
    assert response.status_code == 200
    assert AccessLog.objects.filter(action="golive.roster_export", user=county_officer).exists()
    for n in range(3):
        dry_run(county_officer, csv_bytes(family(f"Q{n}", 10 + n * 5)))
    with django_assert_max_num_queries(12):
        assert client.get("/golive/").status_code == 200


@time_machine.travel(date(2026, 3, 15), tick=False)
@pytest.mark.parametrize("step", ["confirm", "undo"])
def test_page_and_api_refuse_a_missing_or_stale_version_and_the_wrong_state(
        step, api, web, county_officer, auditor, other_county_officer, village, dry_run, confirm):
    batch = dry_run(county_officer, csv_bytes(family("V1", 1)))
    if step == "undo":
        batch = confirm(county_officer, batch)
    version = batch.version
    status_before = batch.status
    page, client = web(county_officer), api(county_officer)
    events_before = AuditEvent.objects.filter(object_type="golive.rosterbatch").count()
    url, api_url = f"/golive/{batch.pk}/{step}/", f"/api/v1/roster-imports/{batch.pk}/{step}/"
    # No version: 400, on the page (the batch page again, with the message) and in the API.
    response = page.post(url, {})
    assert response.status_code == 400 and 'id="batch-status"' in response.content.decode()
    response = client.post(api_url, {}, format="json")
    assert response.status_code == 400
    assert "version" in response.json().get("fields", response.json())
    # Stale: 409 stale_version.
    assert page.post(url, {"version": version + 5}).status_code == 409
    response = client.post(api_url, {"version": version + 5}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "stale_version"
    # Wrong role 403, other county 404.
    assert web(auditor).post(url, {"version": version}).status_code == 403
    assert api(auditor).post(api_url, {"version": version}, format="json").status_code == 403
    assert web(other_county_officer).post(url, {"version": version}).status_code == 404
    assert api(other_county_officer).post(api_url, {"version": version}, format="json").status_code == 404
    fresh = RosterBatch.objects.get(pk=batch.pk)
    assert (fresh.status, fresh.version) == (status_before, version)  # nothing changed
    assert AuditEvent.objects.filter(object_type="golive.rosterbatch").count() == events_before
    # The wrong state: the other step on this batch, with the right version (409 invalid_transition).
    other = "undo" if step == "confirm" else "confirm"
    response = client.post(f"/api/v1/roster-imports/{batch.pk}/{other}/", {"version": version}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    assert page.post(f"/golive/{batch.pk}/{other}/", {"version": version}).status_code == 409


def test_the_roster_and_registry_import_pages_share_one_upload_block(web, county_officer, auditor):
    from django.template.loader import get_template

    client = web(county_officer)
    pages = {"roster-upload-form": client.get("/golive/"), "registry-import-form": client.get(
        "/poverty-registry/import/")}
    for form_id, response in pages.items():
        html = response.content.decode()
        assert response.status_code == 200
        assert f'id="{form_id}" class="js-upload-form"' in html and "js/upload_form.js" in html
        assert 'enctype="multipart/form-data"' in html and "js-import-wait" in html
    for name in ("golive/index.html", "poverty_registry/import.html"):
        source = get_template(name).template.source
        assert '{% include "_upload_form.html"' in source and "<form method=\"post\" enctype" not in source
    # An auditor reads the go-live page without the upload block.
    assert "js-upload-form" not in web(auditor).get("/golive/").content.decode()
