"""Job bookkeeping. Progress updates are single UPDATEs so a long task stays cheap.

A worker that dies leaves a job "running" with an old heartbeat; `jobs_fail_stale` (beat, and the
embedded executor's sweeper, jobs/embedded.py) marks those failed so no job hangs as running.

A job can also die before it runs: its outbox message was sent (the job claimed, `job_claim`) to a worker
that held it in memory - the embedded executor's queue, a broker that lost it - and stopped. The message
is marked sent, so nothing sends it again. The same sweep fails a queued job whose claim is older than
settings.JOBS_QUEUED_STALE_MINUTES, unless its message is still waiting in the outbox (the broker is down:
it will be sent) or the embedded executor of this process holds it (`job_hold`, renewed by
`jobs_beat_here` like the running ones).
"""

import contextlib
import threading
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from jobs.models import Job, JobStatus, OutboxMessage

STALE_AFTER = timedelta(minutes=10)

# Jobs running in a thread of this process under `jobs_tracked()` (the embedded executor): alive while
# it runs, whatever their progress writes say; `jobs_beat_here` renews their heartbeat.
_tracking = threading.local()
_running_here: set[int] = set()
_held_here: set[int] = set()  # queued in this process's embedded executor, not started yet
_running_lock = threading.Lock()


def job_hold(job_id: int | None) -> None:
    """The embedded executor of this process holds the job in its queue (until `job_release`)."""
    if job_id is not None:
        with _running_lock:
            _held_here.add(job_id)


def job_release(job_id: int | None) -> None:
    if job_id is not None:
        with _running_lock:
            _held_here.discard(job_id)


def job_claim(*, job_id: int) -> None:
    """The job's task was handed to a worker (a broker, or this process's executor): a sign of life."""
    Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(heartbeat_at=timezone.now())


@contextlib.contextmanager
def jobs_tracked():
    _tracking.ids = set()
    try:
        yield
    finally:
        with _running_lock:
            _running_here.difference_update(_tracking.ids)
        _tracking.ids = None


def jobs_beat_here() -> int:
    """Renew the heartbeat of the jobs running in this process, and of those its executor holds queued.
    Returns how many."""
    with _running_lock:
        running, held = list(_running_here), list(_held_here)
    if not running and not held:
        return 0
    return Job.objects.filter(Q(pk__in=running, status=JobStatus.RUNNING) | Q(pk__in=held, status=JobStatus.QUEUED)
                              ).update(heartbeat_at=timezone.now())


def job_create(*, actor, kind: str, division_code: str = "", params: dict | None = None) -> Job:
    return Job.objects.create(kind=kind, created_by=actor if getattr(actor, "is_authenticated", False) else None,
                              division_code=division_code, params=params or {})


def job_start(*, job_id: int) -> bool:
    """Mark running; False if it is already finished (a redelivered task must not redo it).

    A task redelivered after its worker died finds the job running and runs it again; the job keeps
    the time its first attempt started.
    """
    now = timezone.now()
    updated = Job.objects.filter(pk=job_id, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).update(
        status=JobStatus.RUNNING, started_at=Coalesce("started_at", Value(now)), heartbeat_at=now)
    tracked = getattr(_tracking, "ids", None)
    if updated and tracked is not None:
        tracked.add(job_id)
        with _running_lock:
            _running_here.add(job_id)
    return bool(updated)


def job_progress(*, job_id: int, progress: int, counts: dict | None = None) -> None:
    fields = {"progress": max(0, min(100, int(progress))), "heartbeat_at": timezone.now()}
    if counts is not None:
        fields["counts"] = counts
    Job.objects.filter(pk=job_id).update(**fields)


def job_succeed(*, job_id: int, counts: dict | None = None, errors: list | None = None,
                message: str = "", result_file: str = "") -> None:
    fields = {"status": JobStatus.SUCCEEDED, "progress": 100, "finished_at": timezone.now(),
              "heartbeat_at": timezone.now(), "message": message}
    if counts is not None:
        fields["counts"] = counts
    if errors is not None:
        fields["errors"] = errors
    if result_file:
        fields["result_file"] = result_file
    Job.objects.filter(pk=job_id).update(**fields)


def job_fail(*, job_id: int, message: str, errors: list | None = None, counts: dict | None = None) -> None:
    fields = {"status": JobStatus.FAILED, "finished_at": timezone.now(), "message": message[:2000]}
    if errors is not None:
        fields["errors"] = errors
    if counts is not None:
        fields["counts"] = counts
    Job.objects.filter(pk=job_id).update(**fields)


@transaction.atomic
def jobs_fail_stale(*, now=None) -> int:
    """Fail the running jobs without a heartbeat for STALE_AFTER, and the queued jobs claimed by a worker
    longer than settings.JOBS_QUEUED_STALE_MINUTES ago that nobody started. Returns how many."""
    now = now or timezone.now()
    failed = Job.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER).update(
        status=JobStatus.FAILED, finished_at=now,
        message=_("The worker stopped answering; the job was abandoned. Start it again."))
    waiting = OutboxMessage.objects.filter(job=OuterRef("pk"), sent_at__isnull=True, set_aside_at__isnull=True)
    queued_since = now - timedelta(minutes=settings.JOBS_QUEUED_STALE_MINUTES)
    failed += Job.objects.filter(status=JobStatus.QUEUED, heartbeat_at__lt=queued_since).exclude(
        Exists(waiting)).update(
        status=JobStatus.FAILED, finished_at=now,
        message=_("The job was handed to a worker that stopped before starting it. Start it again."))
    return failed
