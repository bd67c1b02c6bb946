import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import AccessLog
from jobs.models import JobStatus
from reports.models import Export
from reports.services import exports_delete_expired

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def stream(response) -> bytes:
    return b"".join(response.streaming_content)


class TestStreamedExports:
    def test_csv_streams_masked_and_is_logged(self, worked_example, web, county_auditor, village):
        response = web(county_auditor).post("/reports/reports/case_register/export/",
                                            {"format": "csv", "division": village.code})
        assert response.status_code == 200
        assert response.streaming
        rows = read_csv(stream(response))
        assert len(rows) == 1 + 5
        number = worked_example["A"].id_number
        body = "\n".join(",".join(r) for r in rows)
        assert number not in body and number[:6] + "********" + number[14:] in body
        assert "甲" in body
        export = Export.objects.get()
        assert export.streamed and export.row_count == 5 and export.purpose == "" and export.requested_by == county_auditor
        log = AccessLog.objects.get(action="export")
        assert log.user == county_auditor and log.object_id == str(export.pk)
        assert log.detail["row_count"] == 5 and log.detail["report"] == "case_register"
        assert log.detail["filters"]["division"] == village.code and log.detail["id_numbers"] == "masked"

    def test_purpose_unmasks_and_is_logged(self, worked_example, web, county_auditor):
        response = web(county_auditor).post("/reports/reports/recipients_roster/export/",
                                            {"format": "csv", "purpose": "audit", "purpose_note": "核查重复领取 2026-11 审计"})
        body = stream(response).decode("utf-8-sig")
        assert worked_example["A"].id_number in body
        log = AccessLog.objects.get(action="export")
        assert log.detail["purpose"] == "audit: 核查重复领取 2026-11 审计" and log.detail["id_numbers"] == "full"
        assert Export.objects.get().purpose == "audit: 核查重复领取 2026-11 审计"

    def test_xlsx(self, worked_example, web, county_auditor):
        response = web(county_auditor).post("/reports/reports/staff_relative/export/", {"format": "xlsx"})
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(stream(response))).active
        values = list(sheet.values)
        assert len(values) == 2 and "乙" in values[1]

    def test_other_county_export_has_none_of_it(self, worked_example, web, other_county_officer):
        body = stream(web(other_county_officer).post("/reports/reports/case_register/export/", {"format": "csv"}))
        rows = read_csv(body)
        assert [r[3] for r in rows[1:]] == ["辛"]

    def test_bad_filters_and_roles(self, worked_example, web, county_auditor, village_staff, other_county_village):
        response = web(county_auditor).post("/reports/reports/case_register/export/",
                                            {"format": "csv", "division": other_county_village.code}, follow=True)
        assert response.status_code == 200 and not Export.objects.exists()
        assert other_county_village.code in response.content.decode()
        response = web(county_auditor).post("/reports/reports/nope/export/", {"format": "csv"})
        assert response.status_code == 302 and not Export.objects.exists()
        assert web(village_staff).post("/reports/reports/case_register/export/", {"format": "csv"}).status_code == 403
        assert not AccessLog.objects.exists()


class TestJobExports:
    @pytest.fixture(autouse=True)
    def small_threshold(self, settings):
        settings.EXPORT_STREAM_MAX_ROWS = 3

    def test_large_export_runs_as_job_and_only_requester_downloads(
            self, worked_example, web, county_auditor, auditor, admin_user, django_capture_on_commit_callbacks, var_dir):
        with django_capture_on_commit_callbacks(execute=True):
            response = web(county_auditor).post("/reports/reports/case_register/export/", {"format": "csv"})
        export = Export.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/reports/exports/{export.pk}/"
        assert not export.streamed and export.job.status == JobStatus.SUCCEEDED and export.job.progress == 100
        assert export.job.result_file == ""  # not served by jobs:download
        path = Path(settings.VAR_DIR) / export.file
        assert path.exists() and path.parent == var_dir / "exports"
        download = web(county_auditor).get(f"/reports/exports/{export.pk}/download/")
        assert download.status_code == 200
        assert len(read_csv(b"".join(download.streaming_content))) == 8
        for other in (auditor, admin_user):
            assert web(other).get(f"/reports/exports/{export.pk}/download/").status_code == 404
            assert web(other).get(f"/reports/exports/{export.pk}/").status_code == 404
        assert web(county_auditor).get(f"/reports/exports/{export.pk}/").status_code == 200

    def test_expired_export_is_410_and_beat_deletes_file(self, worked_example, web, county_auditor,
                                                         django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            web(county_auditor).post("/reports/reports/case_register/export/", {"format": "xlsx"})
        export = Export.objects.get()
        path = Path(settings.VAR_DIR) / export.file
        assert path.exists()
        assert exports_delete_expired() == 0
        Export.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
        response = web(county_auditor).get(f"/reports/exports/{export.pk}/download/")
        assert response.status_code == 410
        assert "expired" in response.content.decode() or "过期" in response.content.decode()
        assert exports_delete_expired() == 1
        assert not path.exists() and Export.objects.get().file_deleted
        assert web(county_auditor).get(f"/reports/exports/{export.pk}/download/").status_code == 410

    def test_beat_schedule_declares_cleanup(self):
        from reports.schedule import BEAT_SCHEDULE

        assert any(e["task"] == "reports.tasks.delete_expired_exports" for e in BEAT_SCHEDULE.values())


class TestApi:
    def test_small_export_201_and_download(self, worked_example, api, county_auditor, auditor):
        response = api(county_auditor).post("/api/v1/exports/", {"report": "case_register", "format": "csv",
                                                                  "filters": {"status": "active"}}, format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["row_count"] == 2 and body["status"] == "succeeded" and body["id_numbers"] == "masked"
        assert api(county_auditor).get(f"/api/v1/exports/{body['id']}/").status_code == 200
        download = api(county_auditor).get(body["download"])
        assert download.status_code == 200
        assert len(read_csv(b"".join(download.streaming_content))) == 3
        assert api(auditor).get(f"/api/v1/exports/{body['id']}/").status_code == 404
        assert api(auditor).get(body["download"]).status_code == 404
        assert AccessLog.objects.filter(action="export", user=county_auditor).count() == 1

    def test_large_export_202_with_job(self, worked_example, api, county_auditor, settings,
                                       django_capture_on_commit_callbacks):
        settings.EXPORT_STREAM_MAX_ROWS = 2
        with django_capture_on_commit_callbacks(execute=True):
            response = api(county_auditor).post("/api/v1/exports/", {"report": "case_register", "format": "xlsx"},
                                                format="json")
        assert response.status_code == 202
        body = response.json()
        assert body["job"] and body["row_count"] == 7
        detail = api(county_auditor).get(f"/api/v1/exports/{body['id']}/").json()
        assert detail["status"] == "succeeded" and detail["download"]
        job = api(county_auditor).get(f"/api/v1/jobs/{body['job']}/").json()
        assert job["status"] == "succeeded" and job["progress"] == 100

    @pytest.mark.parametrize("payload,field", [
        ({"report": "nope", "format": "csv"}, "report"),
        ({"report": "case_register", "format": "pdf"}, "format"),
        ({"report": "case_register", "format": "csv", "filters": {"date_from": "2026-05-01", "date_to": "2026-01-01"}},
         "filters.date_to"),
        ({"report": "case_register", "format": "csv", "filters": {"division": "370285101201"}}, "filters.division"),
        ({"report": "case_register", "format": "csv", "filters": {"colour": "red"}}, "filters"),
        ({"report": "case_register", "format": "csv", "purpose": "x"}, "purpose"),
        ({"report": "case_register", "format": "csv", "purpose": "audit", "purpose_note": ""}, "purpose_note"),
    ])
    def test_bad_input_400_with_field(self, api, county_auditor, other_county_village, payload, field):
        response = api(county_auditor).post("/api/v1/exports/", payload, format="json")
        assert response.status_code == 400, response.content
        assert field in response.json()
        assert not Export.objects.exists() and not AccessLog.objects.exists()

    def test_roles(self, api, village_staff, township_staff):
        for user in (village_staff, township_staff):
            assert api(user).post("/api/v1/exports/", {"report": "case_register", "format": "csv"},
                                  format="json").status_code == 403
        assert api(None).post("/api/v1/exports/", {"report": "case_register", "format": "csv"},
                              format="json").status_code in (401, 403)

    def test_expired_api_download_410(self, worked_example, api, county_auditor):
        body = api(county_auditor).post("/api/v1/exports/", {"report": "case_register", "format": "csv"},
                                        format="json").json()
        Export.objects.filter(pk=body["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
        response = api(county_auditor).get(f"/api/v1/exports/{body['id']}/download/")
        assert response.status_code == 410 and response.json()["code"] == "export_expired"

    def test_schema_has_exports_without_warnings(self, tmp_path):
        from django.core.management import call_command

        target = tmp_path / "schema.yml"
        call_command("spectacular", "--fail-on-warn", "--file", str(target))
        text = target.read_text()
        assert "/api/v1/exports/:" in text and "/api/v1/exports/{id}/download/:" in text
