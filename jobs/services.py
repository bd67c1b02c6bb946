"""Job bookkeeping. Progress updates are single UPDATEs so a long task stays cheap.

A worker that dies leaves a job "running" with an old heartbeat; `jobs_fail_stale` (beat, and the
embedded executor's sweeper, jobs/embedded.py) marks those failed so no job hangs as running.
"""

import contextlib
import threading
from datetime import timedelta

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from jobs.models import Job, JobStatus

STALE_AFTER = timedelta(minutes=10)

# Jobs running in a thread of this process under `jobs_tracked()` (the embedded executor): alive while
# it runs, whatever their progress writes say; `jobs_beat_here` renews their heartbeat.
_tracking = threading.local()
_running_here: set[int] = set()
_running_lock = threading.Lock()


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
    """Renew the heartbeat of the jobs running in this process. Returns how many."""
    with _running_lock:
        ids = list(_running_here)
    if not ids:
        return 0
    return Job.objects.filter(pk__in=ids, status=JobStatus.RUNNING).update(heartbeat_at=timezone.now())


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
    now = now or timezone.now()
    return Job.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER).update(
        status=JobStatus.FAILED, finished_at=now,
        message=_("The worker stopped answering; the job was abandoned. Start it again."))
