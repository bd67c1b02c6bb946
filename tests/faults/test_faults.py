"""Faults, the quick in-process checks (the real processes are in test_real_faults.py).

- A worker killed mid-import: its Job stays "running" with an old heartbeat; jobs_fail_stale marks it
  failed with a message and leaves a live job alone.
- PostgreSQL connection lost (server restart): CONN_HEALTH_CHECKS is on, so the next request through
  the real WSGI handler opens a fresh connection and succeeds without manual action.

The broker-down simulation (a URL on a closed port) was replaced by test_real_faults.py, which
kills a real redis-server mid-use and checks the messages arrive in Redis after its restart.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from jobs.models import Job, JobStatus
from jobs.services import job_create, job_progress, job_start, jobs_fail_stale


@pytest.mark.django_db
def test_a_worker_killed_mid_import_leaves_no_job_running(county_officer):
    job = job_create(actor=county_officer, kind="registry_import", division_code="370283000000")
    assert job_start(job_id=job.pk)
    job_progress(job_id=job.pk, progress=40)
    # The worker dies here: no more heartbeats. Ten minutes... then more.
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(hours=2))
    fresh = job_create(actor=county_officer, kind="registry_import", division_code="370283000000")
    job_start(job_id=fresh.pk)
    assert jobs_fail_stale() == 1
    job.refresh_from_db()
    fresh.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.finished_at and job.message
    assert fresh.status == JobStatus.RUNNING  # a live job is left alone
    # The job page shows the end, not an endless spinner.
    assert jobs_fail_stale() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_database_connection_lost_the_next_request_recovers(settings, village_staff):
    """Through the real WSGI handler (Django's test client skips the per-request connection check)."""
    from django.core.wsgi import get_wsgi_application
    from werkzeug.test import Client

    from accounts.tokens import token_issue

    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    token = token_issue(user=village_staff, ip="127.0.0.1")[1]
    client = Client(get_wsgi_application())
    headers = {"Authorization": f"Token {token}"}
    assert client.get("/api/v1/me/", headers=headers).status_code == 200
    connection.ensure_connection()
    connection.connection.close()  # the server went away underneath (a restart)
    response = client.get("/api/v1/me/", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["username"] == village_staff.username
