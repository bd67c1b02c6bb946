"""Jobs: who may read a job, the bookkeeping services and the self-polling page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs import services
from jobs.models import Job, JobStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(county_officer, county):
    return services.job_create(actor=county_officer, kind="export", division_code=county.code)


class TestJobApi:
    def test_creator_reads_it(self, api, county_officer, job):
        response = api(county_officer).get(f"/api/v1/jobs/{job.pk}/")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "queued" and body["progress"] == 0 and body["result"] is None

    def test_admin_reads_it(self, api, admin_user, job):
        assert api(admin_user).get(f"/api/v1/jobs/{job.pk}/").status_code == 200

    def test_others_get_404_even_in_the_same_county(self, api, county_officer2, auditor, village_staff, job):
        for user in (county_officer2, auditor, village_staff):
            response = api(user).get(f"/api/v1/jobs/{job.pk}/")
            assert response.status_code == 404
            assert response.json()["code"] == "not_found"

    def test_missing_job_is_404(self, api, county_officer):
        assert api(county_officer).get("/api/v1/jobs/999999/").status_code == 404

    def test_anonymous_is_401(self, job):
        from rest_framework.test import APIClient

        assert APIClient().get(f"/api/v1/jobs/{job.pk}/").status_code == 401

    def test_detail_query_count(self, api, county_officer, job, django_assert_num_queries):
        client = api(county_officer)
        with django_assert_num_queries(1):
            client.get(f"/api/v1/jobs/{job.pk}/")


class TestJobServices:
    def test_lifecycle(self, job):
        assert services.job_start(job_id=job.pk)
        services.job_progress(job_id=job.pk, progress=150, counts={"rows": 3})
        job.refresh_from_db()
        assert job.status == JobStatus.RUNNING and job.progress == 100 and job.counts == {"rows": 3}
        services.job_succeed(job_id=job.pk, counts={"rows": 4}, errors=[{"row": 2, "reason": "bad"}],
                             result_file="exports/x.csv")
        job.refresh_from_db()
        assert job.status == JobStatus.SUCCEEDED and job.is_finished and job.result_file == "exports/x.csv"
        # A redelivered task must not run the job again.
        assert not services.job_start(job_id=job.pk)

    def test_fail(self, job):
        services.job_fail(job_id=job.pk, message="x" * 3000)
        job.refresh_from_db()
        assert job.status == JobStatus.FAILED and len(job.message) == 2000

    def test_stale_running_jobs_are_failed(self, job, county_officer):
        services.job_start(job_id=job.pk)
        fresh = services.job_create(actor=county_officer, kind="export")
        services.job_start(job_id=fresh.pk)
        Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=11))
        assert services.jobs_fail_stale() == 1
        job.refresh_from_db()
        fresh.refresh_from_db()
        assert job.status == JobStatus.FAILED and job.message
        assert fresh.status == JobStatus.RUNNING


class TestJobPage:
    def test_page_and_htmx_fragment(self, web, county_officer, job):
        client = web(county_officer)
        page = client.get(f"/jobs/{job.pk}/")
        assert page.status_code == 200
        assert "<html" in page.content.decode()
        fragment = client.get(f"/jobs/{job.pk}/", HTTP_HX_REQUEST="true")
        assert fragment.status_code == 200
        assert "<html" not in fragment.content.decode()

    def test_other_user_gets_404(self, web, county_officer2, job):
        assert web(county_officer2).get(f"/jobs/{job.pk}/").status_code == 404

    def test_download(self, web, county_officer, job, settings):
        from pathlib import Path

        target = Path(settings.VAR_DIR) / "exports" / f"test-{job.pk}.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("a,b\n")
        try:
            services.job_succeed(job_id=job.pk, result_file=f"exports/test-{job.pk}.csv")
            response = web(county_officer).get(f"/jobs/{job.pk}/download/")
            assert response.status_code == 200
            assert b"".join(response.streaming_content) == b"a,b\n"
        finally:
            target.unlink()

    def test_download_refuses_paths_outside_var(self, web, county_officer, job):
        services.job_succeed(job_id=job.pk, result_file="../../etc/passwd")
        assert web(county_officer).get(f"/jobs/{job.pk}/download/").status_code == 404

    def test_download_without_file_is_404(self, web, county_officer, job):
        assert web(county_officer).get(f"/jobs/{job.pk}/download/").status_code == 404
