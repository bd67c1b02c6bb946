"""Real faults: a Redis server really killed, PostgreSQL backends really cut under load, a Celery
worker really killed in the middle of an import.

What each test proves, and how it differs from the simulated checks in test_faults.py:

1. test_redis_killed_entry_submission_and_decision_work_and_queued_work_is_sent_when_it_is_back
   A private `redis-server` (its own port, no persistence) is the broker, with the production Celery
   settings (no fast-fail overrides). It is SIGKILLed after some work was queued through it. Household
   entry, a new application, its submission, a county decision and a registry import upload still
   answer 2xx through the API; every task they needed waits in the outbox with the broker's error.
   The same server is started again and the beat task `flush_outbox_task` sends every waiting
   message: the Redis list holds exactly those tasks and the outbox rows are marked sent.
   (The simulation pointed Celery at a closed port from the start; here a live connection dies.)
   Fails without the outbox: a publish after commit raises, the request answers 500, the work is lost.

2. test_postgres_backends_cut_under_load_requests_recover_without_manual_action
   A real gunicorn (2 sync workers, persistent connections as in production: DB_CONN_MAX_AGE=60,
   CONN_HEALTH_CHECKS on) serves the test database to four client threads issuing API reads and
   writes. Every server-side backend of the database but the test's own is terminated
   (pg_terminate_backend: what a PostgreSQL restart does to its clients). Requests in flight may fail,
   but only as clean 500s, none hangs; requests succeed again within seconds; no write answered 201 is
   missing. Then, with the clients paused, the idle persistent connections are cut again and the next
   requests all succeed: that part fails without CONN_HEALTH_CHECKS (each worker's first request
   would use its dead connection and answer 500).
   (The simulation closed the test process's own connection under an in-process WSGI client.)

3. test_worker_process_killed_mid_import_is_redelivered_and_the_job_succeeds
   A real `celery -A dibao worker` (prefork, one child) on the private Redis runs a registry import
   of a few thousand rows uploaded through the API. The child running it is SIGKILLed (what the OOM
   killer does) while the job shows progress. With acks_late + reject_on_worker_lost the message goes
   back to the queue, a new child runs the import again from the start, and the job ends succeeded
   with the file's true counts, every row written once and one audit event. The API and the job page
   report it. Fails without reject_on_worker_lost: the message is acknowledged and the job hangs as
   running.

4. test_worker_killed_outright_mid_import_the_stale_sweep_fails_the_job_and_a_late_redelivery_leaves_it
   The whole worker (main process and child) is SIGKILLed mid-import: nobody is left to requeue, the
   message stays unacknowledged in Redis and the job stays "running" with a heartbeat that no longer
   moves. The beat task `fail_stale_jobs` (its threshold shortened from 10 minutes to 2 seconds, the
   only shortcut) marks it failed with a message; API and page say so. A second worker, started after
   the visibility timeout (shortened through CELERY_VISIBILITY_TIMEOUT), receives the redelivered
   message: it does not rerun the failed job, and the uploaded file (plain ID numbers) is deleted.
   (The simulation only back-dated a heartbeat.)

Every helper process (redis-server, gunicorn, celery) lives in a fixture that kills its whole process
group and waits for it, whatever the test's outcome.
"""

import csv
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from dibao.celery import app
from jobs.models import Job, JobStatus, OutboxMessage

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server")
needs_redis_server = pytest.mark.skipif(REDIS_SERVER is None, reason="needs the redis-server binary")


# -- helpers -----------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(predicate, timeout: float, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def _database_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "") + (":" + quote(s["PASSWORD"]) if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _stop(process: subprocess.Popen, sig=signal.SIGKILL) -> None:
    """Kill a helper's whole process group (it was started in its own session) and reap it."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(p) for p in text)
    return found


def _child_env(tmp_path: Path, **extra) -> dict:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "dibao.settings", "DATABASE_URL": _database_url(),
            "DIBAO_VAR_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1", **extra}


class RedisServer:
    """A private redis-server on its own port, without persistence: killing it loses what it held."""

    def __init__(self, port: int, log: Path):
        self.port, self.log, self.process = port, log, None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

        def up():
            try:
                return self.client().ping()
            except Exception:
                assert self.process.poll() is None, self.log.read_text()[-2000:]
                return False

        _wait_for(up, 10, what=f"redis-server on port {self.port}")

    def kill(self) -> None:
        if self.process is not None:
            _stop(self.process)


@pytest.fixture
def private_redis(tmp_path):
    server = RedisServer(_free_port(), tmp_path / "redis.log")
    server.start()
    try:
        yield server
    finally:
        server.kill()


def _forget_connections():
    """Celery caches its broker connection and producer pools; drop them so a new URL is used."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def real_broker():
    """use(url): this process publishes to a real broker (not eagerly), otherwise with the production
    Celery settings; eager mode and the old URL come back afterwards."""
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager", "broker_transport_options")}

    def use(url: str):
        app.conf.broker_url = url
        app.conf.task_always_eager = False
        _forget_connections()

    yield use
    for key, value in saved.items():
        app.conf[key] = value
    _forget_connections()


@pytest.fixture
def start_worker(tmp_path):
    """start_worker(name, broker_url, **env) -> a running `celery -A dibao worker` (prefork, one child)."""
    started = []

    def start(name: str, broker_url: str, **env):
        log = tmp_path / f"worker-{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "dibao", "worker", "--pool=prefork", "--concurrency=1",
                 "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
                 "-n", f"{name}@%h"],
                cwd=ROOT, env=_child_env(tmp_path, REDIS_URL=broker_url, CELERY_TASK_ALWAYS_EAGER="0", **env),
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        started.append(process)
        process.log = log

        def ready():
            assert process.poll() is None, log.read_text()[-3000:]
            return " ready." in log.read_text(errors="replace")

        _wait_for(ready, 40, interval=0.2, what=f"worker {name} to be ready")
        return process

    yield start
    for process in started:
        _stop(process)


# -- 1. Redis killed ------------------------------------------------------------------------------

def _registry_csv(rows: int, members_per_household: int = 4) -> bytes:
    from poverty_registry.importing.reader import COLUMNS
    from tests.poverty_registry.conftest import ident

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for n in range(rows):
        household = n // members_per_household
        head = n % members_per_household == 0
        values = {"year": "2024", "registry_household_code": f"F{household:05d}", "division_code": "370283101201",
                  "member_name": f"成员{n}", "id_number": ident(n), "relationship": "户主" if head else "子女",
                  "is_head": "1" if head else "0", "annual_income_per_capita": "3500", "status": "registered",
                  "monitoring_type": "", "lifted_year": ""}
        writer.writerow([values[c] for c in COLUMNS])
    return out.getvalue().encode()


def _queued_tasks(client, queue: str = "celery") -> list[tuple[str, list]]:
    """The (task name, args) of every message waiting in a Redis queue, oldest first."""
    found = []
    for raw in reversed(client.lrange(queue, 0, -1)):  # LPUSH: the newest is at the head
        message = json.loads(raw)
        body = json.loads(__import__("base64").b64decode(message["body"]))
        found.append((message["headers"]["task"], body[0]))
    return found


@needs_redis_server
@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_redis_killed_entry_submission_and_decision_work_and_queued_work_is_sent_when_it_is_back(
        private_redis, real_broker, api, village, village_staff, county_officer, county_officer2, walker,
        household, settings, tmp_path):
    from tests.cases.conftest import new_draft
    from tests.households.factories import household_data, make_policy, member_row

    settings.VAR_DIR = tmp_path
    make_policy(village.parent.parent)
    # Prepared beforehand (tasks in-process): a case waiting for the county's decision, a draft to submit.
    awaiting = walker.to(new_draft(village_staff, household), "awaiting_decision")
    from tests.cases.factories import make_household

    draft = new_draft(village_staff, make_household(village, members=2))

    real_broker(private_redis.url())
    village_api, county_api = api(village_staff), api(county_officer2)
    redis = private_redis.client()
    start_outbox = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    # With Redis up: the work is published at once.
    response = village_api.post("/api/v1/households/", {
        **household_data(members=[member_row("head", "王大山")]), "village": village.code}, format="json")
    assert response.status_code == 201, response.content
    response = village_api.post(f"/api/v1/cases/{draft.pk}/submit/", {"version": draft.version}, format="json")
    assert response.status_code == 200, response.content
    sent_before = OutboxMessage.objects.filter(pk__gt=start_outbox)
    assert sent_before.count() >= 2 and not sent_before.filter(sent_at__isnull=True).exists()
    assert redis.llen("celery") == sent_before.count()
    last_before = sent_before.order_by("-pk").first().pk

    private_redis.kill()  # SIGKILL: the connection Celery holds dies, nothing is saved

    timings = {}

    def timed(name, call):
        t = time.monotonic()
        response = call()
        timings[name] = time.monotonic() - t
        return response

    response = timed("household", lambda: village_api.post("/api/v1/households/", {
        **household_data(members=[member_row("head", "赵一"), member_row("spouse", "钱二")],
                         incomes=[{"kind": "wages", "monthly_amount": "500", "period_months": 12}]),
        "village": village.code, "bank_name": "农商银行", "bank_account": "6222020200112234"}, format="json"))
    assert response.status_code == 201, response.content
    new_household = response.json()
    head = next(m["id"] for m in new_household["members"] if m["relationship"] == "head")
    response = timed("application", lambda: village_api.post("/api/v1/cases/", {
        "household": new_household["id"], "applicant": head, "reason": "因病致贫", "authorisation_signed": True,
        "authorisation_date": str(timezone.localdate() - timedelta(days=1))}, format="json"))
    assert response.status_code == 201, response.content
    new_case, new_version = response.json()["id"], response.json()["version"]
    response = timed("submission", lambda: village_api.post(f"/api/v1/cases/{new_case}/submit/",
                                                            {"version": new_version}, format="json"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"
    response = timed("decision", lambda: county_api.post(f"/api/v1/cases/{awaiting.pk}/approve/",
                                                         {"category": "B", "version": awaiting.version},
                                                         format="json"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "active"
    response = timed("import upload", lambda: api(county_officer).post(
        "/api/v1/poverty-registrations/imports/",
        {"file": SimpleUploadedFile("registry.csv", _registry_csv(8))}, format="multipart"))
    assert response.status_code == 202, response.content
    import_job = Job.objects.get(pk=response.json()["id"])
    assert import_job.status == JobStatus.QUEUED
    # No request hung on the dead broker (each publish gives up after the 2 s connection timeout).
    assert max(timings.values()) < 15, timings

    pending = list(OutboxMessage.objects.filter(pk__gt=last_before).order_by("pk"))
    assert pending and all(m.sent_at is None and m.attempts == 1 and m.last_error for m in pending), pending
    names = {m.task_name for m in pending}
    assert {"audit.tasks.deliver_changes", "poverty_registry.tasks.import_registry_file"} <= names
    assert ["poverty_registry.tasks.import_registry_file", [import_job.pk]] in [[m.task_name, m.args] for m in pending]

    # The beat task while Redis is still down: nothing sent, nothing lost.
    from jobs.tasks import flush_outbox_task

    assert flush_outbox_task() == 0
    waiting = list(OutboxMessage.objects.filter(pk__in=[m.pk for m in pending]).order_by("pk"))
    assert all(m.sent_at is None and m.set_aside_at is None for m in waiting)
    # The flush stopped at the first message (the rest would wait for the same timeout): an outage
    # counts against no message's attempts but the one that met it, and sets nothing aside.
    assert [m.attempts for m in waiting] == [2] + [1] * (len(waiting) - 1)

    private_redis.start()  # same port, empty (no persistence)
    assert redis.llen("celery") == 0
    assert flush_outbox_task() == len(pending)
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    assert _queued_tasks(redis) == [(m.task_name, m.args) for m in pending]
    print(f"\nredis killed: {len(pending)} tasks waited in the outbox and were sent after the restart; "
          f"request times while down: " + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()))


# -- 2. PostgreSQL backends cut under load --------------------------------------------------------

@pytest.fixture
def gunicorn_server(tmp_path):
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env = _child_env(tmp_path, DB_CONN_MAX_AGE="60", CELERY_TASK_ALWAYS_EAGER="1", LOG_LEVEL="ERROR")
    env.pop("REDIS_URL", None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "dibao.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "2",
             "-k", "sync", "--timeout", "30", "--graceful-timeout", "2"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        import requests

        def up():
            assert process.poll() is None, log.read_text()[-3000:]
            try:
                return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
            except requests.RequestException:  # not listening yet, or the workers are still booting
                return False

        _wait_for(up, 40, interval=0.2, what="gunicorn")
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)


def _other_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0]


def _terminate_other_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_backends_cut_under_load_requests_recover_without_manual_action(
        gunicorn_server, village, village_staff):
    import requests

    from accounts.tokens import token_issue
    from households.models import Household
    from tests.households.factories import household_data, member_row

    token = token_issue(user=village_staff, ip="127.0.0.1")[1]
    headers = {"Authorization": f"Token {token}"}
    results = []  # (started, ended, kind, status or exception name)
    lock = threading.Lock()
    stop, paused = threading.Event(), threading.Event()
    idle = [threading.Event() for _ in range(4)]
    timeout = 10

    def client(index: int):
        session = requests.Session()
        session.headers.update(headers)
        n = 0
        while not stop.is_set():
            if paused.is_set():
                idle[index].set()
                time.sleep(0.02)
                continue
            idle[index].clear()
            n += 1
            started = time.monotonic()
            try:
                if index == 0:
                    kind = "write"
                    response = session.post(f"{gunicorn_server}/api/v1/households/", json={
                        **household_data(members=[member_row("head", f"负载{n}")]), "village": village.code},
                        timeout=timeout)
                else:
                    kind = "read"
                    path = "/api/v1/me/" if index % 2 else "/api/v1/households/?page_size=5"
                    response = session.get(gunicorn_server + path, timeout=timeout)
                outcome = response.status_code
            except requests.RequestException as exc:
                outcome = type(exc).__name__
            with lock:
                results.append((started, time.monotonic(), kind, outcome))

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(4)]
    for thread in threads:
        thread.start()
    def answered(since: float) -> list:
        with lock:
            return [r for r in results if r[0] >= since]

    try:
        # Warm: both workers hold persistent connections and requests are being answered.
        _wait_for(lambda: _other_backends() >= 2 and sum(r[3] in (200, 201) for r in answered(0)) >= 8, 30,
                  interval=0.1, what="both gunicorn workers to serve requests")
        cut = time.monotonic()
        terminated = _terminate_other_backends()
        # The clients carry on until a good number of requests that started a second after the cut
        # have been answered (how they fared is asserted below).
        _wait_for(lambda: len(answered(cut + 1)) >= 12, 30, interval=0.1, what="requests after the cut")
        after = time.monotonic()
        # Quiet cut: clients paused, nothing in flight, only idle persistent connections are cut.
        paused.set()
        for event in idle:
            assert event.wait(timeout + 2), "a client is stuck in a request"
        quiet_terminated = _terminate_other_backends()
        quiet = []
        with requests.Session() as session:
            session.headers.update(headers)
            for _ in range(8):
                quiet.append(session.get(f"{gunicorn_server}/api/v1/me/", timeout=timeout).status_code)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout + 5)

    assert terminated >= 1 and quiet_terminated >= 1, (terminated, quiet_terminated)
    before = [r for r in results if r[1] < cut]
    assert before and all(r[3] in (200, 201) for r in before), before[:5]
    around = [r for r in results if r[1] >= cut and r[0] < after]
    failed = [r for r in around if r[3] not in (200, 201)]
    # Failures are clean: a 5xx answer or a refused/reset connection, never a timeout (a hang).
    assert all((isinstance(r[3], int) and r[3] >= 500) or r[3] == "ConnectionError" for r in failed), failed
    assert all(r[1] - r[0] < timeout for r in results), "a request hung"
    # Recovery without manual action: something succeeds within 5 s, and every request that started
    # one second after the cut succeeded.
    first_ok = min(r[1] for r in around if r[3] in (200, 201) and r[0] >= cut)
    assert first_ok - cut < 5
    later = [r for r in around if r[0] >= cut + 1]
    assert later and all(r[3] in (200, 201) for r in later), [r for r in later if r[3] not in (200, 201)]
    # Health checks: after the quiet cut every request succeeds (no dead connection reused).
    assert quiet == [200] * 8, quiet
    # No write answered 201 was lost (a failed one may or may not have committed before the cut).
    created = sum(1 for r in results if r[2] == "write" and r[3] == 201)
    assert created <= Household.objects.count() <= created + sum(1 for r in results if r[2] == "write")
    print(f"\npostgres cut: {terminated} backends terminated under load; {len(around)} requests in the {after - cut:.1f} s after, "
          f"{len(failed)} failed ({sorted({str(r[3]) for r in failed})}); first success {first_ok - cut:.2f} s "
          f"after the cut; quiet cut of {quiet_terminated} idle connections: {len(quiet)}/{len(quiet)} succeeded")


# -- 3 and 4. A worker killed mid-import ----------------------------------------------------------

IMPORT_ROWS = 6000  # three chunks of 2,000 rows: a few seconds on a loaded machine
HOUSEHOLDS = IMPORT_ROWS // 4


def _start_import(api, officer, data: bytes) -> int:
    response = api(officer).post("/api/v1/poverty-registrations/imports/",
                                 {"file": SimpleUploadedFile("registry.csv", data)}, format="multipart")
    assert response.status_code == 202, response.content
    return response.json()["id"]


def _running_with_progress(job_id: int):
    job = Job.objects.get(pk=job_id)
    assert job.status in (JobStatus.QUEUED, JobStatus.RUNNING), (job.status, job.message)
    return job if job.status == JobStatus.RUNNING and 0 < job.progress < 99 else None


def _reported(api, web, officer, job_id: int) -> tuple[dict, str]:
    body = api(officer).get(f"/api/v1/jobs/{job_id}/").json()
    page = web(officer).get(f"/jobs/{job_id}/")
    assert page.status_code == 200
    return body, page.content.decode()


@needs_redis_server
@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_process_killed_mid_import_is_redelivered_and_the_job_succeeds(
        private_redis, real_broker, start_worker, api, web, county_officer, village, settings, tmp_path):
    from audit.models import AuditEvent
    from poverty_registry.models import RegistryHousehold, RegistryMember

    settings.VAR_DIR = tmp_path
    real_broker(private_redis.url())
    worker = start_worker("w1", private_redis.url())
    job_id = _start_import(api, county_officer, _registry_csv(IMPORT_ROWS))
    upload = tmp_path / Job.objects.get(pk=job_id).params["path"]
    job = _wait_for(lambda: _running_with_progress(job_id), 60, what="the import to show progress")
    children = _children(worker.pid)
    assert len(children) == 1, children
    os.kill(children[0], signal.SIGKILL)  # the pool process running the import dies
    killed_at = job.progress
    killed = time.monotonic()

    job = _wait_for(lambda: Job.objects.filter(pk=job_id, status__in=[JobStatus.SUCCEEDED, JobStatus.FAILED]).first(),
                    60, interval=0.2, what="the job to finish after the kill")
    took = time.monotonic() - killed
    log = worker.log.read_text(errors="replace")
    assert "WorkerLostError" in log, log[-3000:]
    assert job.status == JobStatus.SUCCEEDED, (job.status, job.message, log[-3000:])
    assert job.counts["rows_read"] == job.counts["rows_imported"] == IMPORT_ROWS and job.counts["rows_failed"] == 0
    assert RegistryHousehold.objects.count() == HOUSEHOLDS
    assert RegistryMember.objects.count() == IMPORT_ROWS
    assert set(RegistryMember.objects.values_list("import_job_id", flat=True)) == {job_id}
    assert job.counts["households_created"] + job.counts["households_updated"] + job.counts[
        "households_unchanged"] == HOUSEHOLDS
    assert job.counts["households_created"] == HOUSEHOLDS, job.counts  # the interrupted run's rows are new too
    assert job.counts["members_created"] == IMPORT_ROWS, job.counts
    assert AuditEvent.objects.filter(action="poverty_registry.import", object_id=str(job_id)).count() == 1
    assert not upload.exists()
    body, page = _reported(api, web, county_officer, job_id)
    assert body["status"] == "succeeded" and body["progress"] == 100 and body["finished_at"]
    assert job.message in page
    print(f"\nworker child killed at {killed_at}%: redelivered, job {job.status} {took:.1f} s after the kill, "
          f"counts {job.counts}")


@needs_redis_server
@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_killed_outright_mid_import_the_stale_sweep_fails_the_job_and_a_late_redelivery_leaves_it(
        private_redis, real_broker, start_worker, api, web, county_officer, village, settings, tmp_path,
        monkeypatch):
    from jobs import services as job_services
    from jobs.tasks import fail_stale_jobs

    settings.VAR_DIR = tmp_path
    real_broker(private_redis.url())
    worker = start_worker("w1", private_redis.url())
    job_id = _start_import(api, county_officer, _registry_csv(IMPORT_ROWS))
    upload = tmp_path / Job.objects.get(pk=job_id).params["path"]
    _wait_for(lambda: _running_with_progress(job_id), 60, what="the import to show progress")
    _stop(worker)  # SIGKILL to the whole process group: main process and child, nobody requeues
    redis = private_redis.client()
    assert redis.hlen("unacked") == 1  # the message is still held for the dead worker

    # Nothing moves any more: without the sweep the job would show "running" for ever.
    heartbeat = Job.objects.get(pk=job_id).heartbeat_at
    assert fail_stale_jobs() == 0  # ten minutes have not passed
    assert Job.objects.get(pk=job_id).status == JobStatus.RUNNING
    monkeypatch.setattr(job_services, "STALE_AFTER", timedelta(seconds=2))
    # With the threshold at 2 s the sweep fails the job as soon as 2 s pass without a heartbeat.
    _wait_for(lambda: fail_stale_jobs() == 1, 30, interval=0.2, what="the stale sweep to fail the job")
    job = Job.objects.get(pk=job_id)
    assert job.heartbeat_at == heartbeat  # no sign of life since the kill
    assert job.status == JobStatus.FAILED and job.finished_at and job.message
    body, page = _reported(api, web, county_officer, job_id)
    assert body["status"] == "failed" and body["message"] == job.message
    assert job.message in page

    # A worker started later gets the unacknowledged message back (visibility timeout shortened) and
    # leaves the failed job as it is.
    second = start_worker("w2", private_redis.url(), CELERY_VISIBILITY_TIMEOUT="1")
    _wait_for(lambda: re.search(r"import_registry_file\[[^\]]+\] succeeded", second.log.read_text(errors="replace")),
              30, interval=0.2, what="the redelivered task to run on the second worker")
    # It also runs what the chunks committed before the kill queued (the change feed's checks): the
    # queue drains and nothing stays unacknowledged.
    _wait_for(lambda: redis.hlen("unacked") == 0 and redis.llen("celery") == 0, 60, interval=0.2,
              what="the second worker to drain the queue")
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert not upload.exists()  # the plain-text upload does not outlive its failed job
    print(f"\nworker killed outright: job {job.status} by the stale sweep; redelivered message left it failed")
