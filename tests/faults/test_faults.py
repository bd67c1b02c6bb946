"""Faults: the broker down, a worker killed mid-job, the database connection dropped underneath.

- Redis stopped (simulated by a broker URL on a closed port, eager mode off): entering a household and
  submitting a case still work; the queued work is kept in the transactional outbox with the error and
  is sent by flush_outbox once the broker is back (a real Redis, db 9 unless REDIS_URL says otherwise).
- A worker killed mid-import: its Job stays "running" with an old heartbeat; jobs_fail_stale marks it
  failed with a message, so nothing hangs as running.
- PostgreSQL connection lost (server restart): CONN_HEALTH_CHECKS is on, so the next request opens a
  fresh connection and succeeds without manual action.
"""

import os
import socket
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from cases.models import CaseStatus
from dibao.celery import app
from jobs.models import Job, JobStatus, OutboxMessage
from jobs.services import job_create, job_progress, job_start, jobs_fail_stale
from overlaps.services import queue_household_check
from tests.households.factories import household_data, make_policy, member_row

REAL_REDIS = os.environ.get("FAULTS_REDIS_URL", "redis://127.0.0.1:6379/9")


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _redis_up() -> bool:
    try:
        import redis

        return redis.Redis.from_url(REAL_REDIS, socket_connect_timeout=1).ping()
    except Exception:
        return False


def _forget_connections():
    """Celery caches its broker connection and producer pools; drop them so a new URL is used."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker(settings):
    """Switch Celery to a real (non-eager) broker at a given URL; restore eager mode afterwards."""
    saved = dict(app.conf.broker_url and {"broker_url": app.conf.broker_url} or {})

    def use(url):
        app.conf.task_always_eager = False
        app.conf.broker_url = url
        app.conf.broker_connection_retry = False
        app.conf.broker_connection_max_retries = 0
        app.conf.task_publish_retry = False
        app.conf.broker_connection_timeout = 1
        app.conf.broker_transport_options = {"socket_connect_timeout": 1, "max_retries": 0}
        _forget_connections()

    yield use
    app.conf.task_always_eager = True
    app.conf.broker_url = saved.get("broker_url")
    _forget_connections()


@pytest.mark.django_db(transaction=True)
def test_redis_down_data_entry_and_submission_work_and_queued_work_waits(
        broker, county, village, village_staff, api, draft):
    make_policy(county)
    broker(f"redis://127.0.0.1:{_closed_port()}/9")
    client = api(village_staff)
    response = client.post("/api/v1/households/", {
        **household_data(members=[member_row("head", "王大山"), member_row("spouse", "李小花")]),
        "village": village.code}, format="json")
    assert response.status_code == 201, response.content
    household_id = response.json()["id"]
    # A complete draft (with its signed authorisation) is submitted while the broker is down.
    response = client.post(f"/api/v1/cases/{draft.pk}/submit/", {"version": draft.version}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == CaseStatus.SUBMITTED

    # Work that needs the queue (the overlap check of a changed household) is kept, not lost.
    from households.models import Household

    with transaction.atomic():
        queue_household_check(Household.objects.get(pk=household_id))
    pending = OutboxMessage.objects.filter(sent_at__isnull=True, task_name="overlaps.tasks.check_persons")
    assert pending.count() >= 1
    message = pending.latest("pk")
    assert message.attempts >= 1 and message.last_error

    if not _redis_up():
        pytest.skip(f"Redis is not reachable at {REAL_REDIS}: the resend half needs a real broker")
    import redis

    queue = "faults-test"
    r = redis.Redis.from_url(REAL_REDIS)
    r.delete(queue)
    broker(REAL_REDIS)
    app.conf.task_default_queue = queue
    try:
        sent = __import__("jobs.outbox", fromlist=["flush_outbox"]).flush_outbox()
    finally:
        app.conf.task_default_queue = "celery"
    assert sent >= 1
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    assert r.llen(queue) == sent
    r.delete(queue)


@pytest.mark.django_db
def test_a_worker_killed_mid_import_leaves_no_job_running(county_officer):
    job = job_create(actor=county_officer, kind="registry_import", division_code="370283000000")
    assert job_start(job_id=job.pk)
    job_progress(job_id=job.pk, progress=40) if "progress" in job_progress.__code__.co_varnames else None
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
    from rest_framework.authtoken.models import Token
    from werkzeug.test import Client

    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    token = Token.objects.create(user=village_staff).key
    client = Client(get_wsgi_application())
    headers = {"Authorization": f"Token {token}"}
    assert client.get("/api/v1/me/", headers=headers).status_code == 200
    connection.ensure_connection()
    connection.connection.close()  # the server went away underneath (a restart)
    response = client.get("/api/v1/me/", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["username"] == village_staff.username
