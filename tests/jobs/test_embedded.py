"""The embedded mode's job thread (jobs/embedded.py): long jobs never run in the request, and no job
stays "running" after its worker is gone, without Celery beat.

These tests turn settings.JOBS_RUN_IN_THREAD on (the other tests run every task eagerly) and use
transactional databases: the job thread has its own connection and sees only what was committed.
They need PostgreSQL: the SQLite test database is a shared-cache in-memory one, whose table locks
other connections cannot wait for. The embedded mode's real SQLite (a file, WAL) is tested with a
thread in a subprocess by tests/jobs/test_embedded_sqlite.py.
"""

import threading
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

import overlaps.tasks as overlap_tasks
import poverty_registry.services as registry_services
from dibao.celery import app
from jobs import embedded, services
from jobs.models import Job, JobStatus, OutboxMessage
from jobs.outbox import dispatch
from poverty_registry.models import RegistryHousehold, RegistryMember
from tests.poverty_registry.conftest import csv_bytes, row

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def job_thread(settings, tmp_path):
    settings.JOBS_RUN_IN_THREAD = True
    settings.VAR_DIR = tmp_path
    embedded.shutdown()
    yield
    assert embedded.wait_idle(30), "a job thread did not finish"
    embedded.shutdown()


def wait_for(condition, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def family(code: str, start: int, size: int) -> list[dict]:
    return [row(start + i, code=code, head=(i == 0), relationship="户主" if i == 0 else "子女") for i in range(size)]


def test_an_upload_answers_before_its_import_runs_and_the_job_then_succeeds(job_thread, web, county_officer,
                                                                             village, monkeypatch):
    gate = threading.Event()
    ran_in = []
    real_count_rows = registry_services.count_rows

    def held_count_rows(*args, **kwargs):
        ran_in.append(threading.current_thread())
        gate.wait(15)  # the import waits here until the test has its answer
        return real_count_rows(*args, **kwargs)

    monkeypatch.setattr(registry_services, "count_rows", held_count_rows)
    client = web(county_officer)
    data = csv_bytes(family("H1", 1, 3) + family("H2", 10, 2))
    started = time.monotonic()
    response = client.post("/poverty-registry/import/", {"file": SimpleUploadedFile("r.csv", data)})
    answered_in = time.monotonic() - started
    assert response.status_code == 302
    job = Job.objects.get(kind="poverty_registry_import")
    assert response["Location"] == f"/jobs/{job.pk}/"
    # The request answered while the import was still held: it did not run in the request.
    assert answered_in < 10
    assert job.status in (JobStatus.QUEUED, JobStatus.RUNNING) and not RegistryMember.objects.exists()
    page = client.get(f"/jobs/{job.pk}/")
    assert page.status_code == 200 and 'hx-trigger="every 2s"' in page.content.decode()  # the page polls
    assert wait_for(lambda: ran_in)
    assert ran_in[0] is not threading.current_thread() and ran_in[0].name.startswith("dibao-jobs-")

    gate.set()
    assert embedded.wait_idle(30)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert job.progress == 100
    assert job.counts["rows_read"] == 5 and job.counts["rows_imported"] == 5 and job.counts["rows_failed"] == 0
    assert job.counts["households_created"] == 2 and job.counts["members_created"] == 5
    assert RegistryHousehold.objects.count() == 2 and RegistryMember.objects.count() == 5
    body = client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' not in body  # finished: the page stops polling


def test_without_the_thread_setting_the_import_runs_in_the_request(settings, tmp_path, web, county_officer,
                                                                   village, monkeypatch):
    settings.JOBS_RUN_IN_THREAD = False
    settings.VAR_DIR = tmp_path
    ran_in = []
    real_count_rows = registry_services.count_rows
    monkeypatch.setattr(registry_services, "count_rows",
                        lambda *a, **kw: ran_in.append(threading.current_thread()) or real_count_rows(*a, **kw))
    response = web(county_officer).post("/poverty-registry/import/",
                                        {"file": SimpleUploadedFile("r.csv", csv_bytes(family("H1", 1, 2)))})
    assert response.status_code == 302
    assert ran_in == [threading.current_thread()]
    assert Job.objects.get().status == JobStatus.SUCCEEDED


def test_a_failing_long_task_fails_its_job_and_gives_its_message_back(job_thread, county_officer, monkeypatch):
    """A crash in the thread is recorded on the job (failed, with the reason) and the outbox message
    waits for another attempt, as an eager task's would; the thread goes on with the next job."""
    def crash(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(overlap_tasks, "overlaps_scan", crash)
    job = services.job_create(actor=county_officer, kind="overlap_scan")
    message = dispatch("overlaps.tasks.run_scan", job.pk, "")
    assert embedded.wait_idle(30)
    message.refresh_from_db()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.message == "disk on fire"
    assert message.sent_at is None and message.attempts == 1 and "disk on fire" in message.last_error
    monkeypatch.undo()
    later = services.job_create(actor=county_officer, kind="overlap_scan")
    dispatch("overlaps.tasks.run_scan", later.pk, "")
    assert embedded.wait_idle(30)
    assert Job.objects.get(pk=later.pk).status == JobStatus.SUCCEEDED


def _abandoned_job(actor, minutes: int = 11) -> Job:
    job = services.job_create(actor=actor, kind="overlap_scan")
    assert services.job_start(job_id=job.pk)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=minutes))
    return job


def test_a_job_whose_worker_died_is_failed_by_the_sweep_without_beat(job_thread, web, county_officer):
    dead = _abandoned_job(county_officer)
    alive = _abandoned_job(county_officer, minutes=1)  # a sign of life a minute ago: still running
    client = web(county_officer)
    # The server restarted: no executor, no beat. The job's page (a read) starts the sweeper thread.
    assert embedded._executor is None
    assert client.get(f"/jobs/{dead.pk}/").status_code == 200
    assert embedded._executor is not None
    assert wait_for(lambda: Job.objects.get(pk=dead.pk).status == JobStatus.FAILED)
    dead.refresh_from_db()
    assert dead.finished_at is not None
    assert Job.objects.get(pk=alive.pk).status == JobStatus.RUNNING
    body = client.get(f"/jobs/{dead.pk}/").content.decode()
    # The sweep's message, in the language of the installation (zh-hans): "the worker stopped answering".
    assert "后台进程已无响应，任务已中止。请重新启动该任务。" in body
    assert "alert-danger" in body and 'hx-trigger="every 2s"' not in body
    api = client.get(f"/api/v1/jobs/{dead.pk}/").json()
    assert api["status"] == "failed" and "后台进程已无响应" in api["message"]


def test_the_api_read_also_starts_the_sweeper(job_thread, api, county_officer):
    dead = _abandoned_job(county_officer)
    assert api(county_officer).get(f"/api/v1/jobs/{dead.pk}/").status_code == 200
    assert wait_for(lambda: Job.objects.get(pk=dead.pk).status == JobStatus.FAILED)


def test_reading_a_job_starts_nothing_outside_the_embedded_mode(settings, web, county_officer):
    settings.JOBS_RUN_IN_THREAD = False
    embedded.shutdown()
    dead = _abandoned_job(county_officer)
    assert web(county_officer).get(f"/jobs/{dead.pk}/").status_code == 200
    assert embedded._executor is None
    assert Job.objects.get(pk=dead.pk).status == JobStatus.RUNNING  # the read wrote nothing


def test_a_slow_job_running_in_the_thread_is_kept_alive_by_the_sweeper(job_thread, county_officer):
    """A step that writes no progress for longer than the stale threshold is not a dead worker: the
    sweeper renews the heartbeat of the jobs this process runs, and fails only the others."""
    executor = embedded.ensure_started()
    assert wait_for(lambda: executor.sweeps >= 1)  # its first round, at start, is done; the next in 60 s
    job = services.job_create(actor=county_officer, kind="overlap_scan")
    orphan = _abandoned_job(county_officer)
    started, gate = threading.Event(), threading.Event()

    def slow_job():
        services.job_start(job_id=job.pk)
        Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=30))
        started.set()
        gate.wait(15)
        services.job_succeed(job_id=job.pk)

    embedded.submit(slow_job)
    assert started.wait(15)
    assert executor.sweep_once() == 1  # the orphan only
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and job.heartbeat_at > timezone.now() - timedelta(minutes=1)
    assert Job.objects.get(pk=orphan.pk).status == JobStatus.FAILED
    gate.set()
    assert embedded.wait_idle(15)
    assert Job.objects.get(pk=job.pk).status == JobStatus.SUCCEEDED
    # Once it ended it is no longer this process's: an old heartbeat on it is no longer renewed.
    assert services.jobs_beat_here() == 0


def test_long_tasks_are_declared_and_the_change_feed_stays_eager():
    """The tasks with a job page go to the thread; the feed's checks stay in the request (their
    findings show on the page after a save and must not wait behind an import)."""
    app.loader.import_default_modules()
    for name in ("poverty_registry.tasks.import_registry_file", "overlaps.tasks.run_scan", "reports.tasks.run_export",
                 "recipients.tasks.generate_payment_roll", "golive.tasks.roster_dry_run", "golive.tasks.roster_apply"):
        assert app.tasks[name].runs_long is True, name
    assert not getattr(app.tasks["audit.tasks.deliver_changes"], "runs_long", False)
    assert not getattr(app.tasks["jobs.tasks.fail_stale_jobs"], "runs_long", False)


# --- queued jobs whose worker is gone (issue 17 item 8: no job stays queued or running for ever) ---------------

def _claimed_then_orphaned(actor, minutes: int) -> tuple[Job, OutboxMessage]:
    """A long job whose message a server sent to its own executor (claimed `minutes` ago) and which
    that server held in memory when it stopped: queued, its message marked sent, nobody holds it now."""
    job = services.job_create(actor=actor, kind="overlap_scan")
    message = OutboxMessage.objects.create(task_name="overlaps.tasks.run_scan", args=[job.pk, ""], job=job,
                                           sent_at=timezone.now() - timedelta(minutes=minutes), attempts=1)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=minutes))
    return job, message


def test_a_queued_job_held_by_a_server_that_stopped_is_failed_by_the_sweep(job_thread, web, county_officer):
    dead, _message = _claimed_then_orphaned(county_officer, minutes=31)
    recent, _ = _claimed_then_orphaned(county_officer, minutes=5)  # within JOBS_QUEUED_STALE_MINUTES (30)
    # Sent while the broker was down and given back: still waiting in the outbox, it will be sent.
    waiting = services.job_create(actor=county_officer, kind="overlap_scan")
    OutboxMessage.objects.create(task_name="overlaps.tasks.run_scan", args=[waiting.pk, ""], job=waiting, attempts=1)
    Job.objects.filter(pk=waiting.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=60))
    never_sent = services.job_create(actor=county_officer, kind="overlap_scan")  # no claim at all
    # The server restarted: the job's page starts this process's sweeper, which finds the orphan.
    assert embedded._executor is None
    assert web(county_officer).get(f"/jobs/{dead.pk}/").status_code == 200
    assert wait_for(lambda: Job.objects.get(pk=dead.pk).status == JobStatus.FAILED)
    dead.refresh_from_db()
    assert dead.finished_at is not None and "开始执行前" in dead.message
    assert {j.pk: j.status for j in Job.objects.exclude(pk=dead.pk)} == {
        recent.pk: JobStatus.QUEUED, waiting.pk: JobStatus.QUEUED, never_sent.pk: JobStatus.QUEUED}
    # The message that would run it, if ever delivered again, does not redo a failed job.
    assert services.job_start(job_id=dead.pk) is False


def test_a_job_waiting_in_this_servers_queue_is_kept_alive(job_thread, county_officer, monkeypatch):
    """Queued behind a long job in this process for longer than the threshold is not a dead worker: the
    sweeper renews the claim of the jobs its queue holds, and the job runs when its turn comes."""
    gate, started = threading.Event(), threading.Event()
    real_scan = overlap_tasks.overlaps_scan

    def held_scan(**kwargs):
        started.set()
        gate.wait(15)
        return real_scan(**kwargs)

    monkeypatch.setattr(overlap_tasks, "overlaps_scan", held_scan)
    first = services.job_create(actor=county_officer, kind="overlap_scan")
    dispatch("overlaps.tasks.run_scan", first.pk, "", job=first)
    assert started.wait(15)
    second = services.job_create(actor=county_officer, kind="overlap_scan")
    dispatch("overlaps.tasks.run_scan", second.pk, "", job=second)
    second.refresh_from_db()
    assert second.status == JobStatus.QUEUED and second.heartbeat_at is not None  # claimed on sending
    Job.objects.filter(pk=second.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=45))
    executor = embedded.ensure_started()
    assert executor.sweep_once() == 0
    second.refresh_from_db()
    assert second.status == JobStatus.QUEUED and second.heartbeat_at > timezone.now() - timedelta(minutes=1)
    gate.set()
    assert embedded.wait_idle(30)
    assert {j.status for j in Job.objects.filter(pk__in=[first.pk, second.pk])} == {JobStatus.SUCCEEDED}
    assert services.jobs_beat_here() == 0  # nothing is held any more


def test_the_beat_sweep_fails_an_orphaned_queued_job_too(county_officer):
    """Celery mode: a job whose task the broker lost (or whose worker died holding it unacknowledged)."""
    dead, _message = _claimed_then_orphaned(county_officer, minutes=31)
    app.loader.import_default_modules()
    assert app.tasks["jobs.tasks.fail_stale_jobs"].apply().get() == 1
    assert Job.objects.get(pk=dead.pk).status == JobStatus.FAILED
