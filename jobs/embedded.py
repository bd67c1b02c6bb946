"""The embedded mode's job runner: long jobs run in a background thread of the server process.

Without Redis (CELERY_TASK_ALWAYS_EAGER) there is no Celery worker, and an eager task runs inside the
request that queued it: a 100,000-row import held the request for a minute and a full overlap scan
was killed by the server's timeout, leaving its job "running". With settings.JOBS_RUN_IN_THREAD the
outbox hands the tasks that declare `runs_long=True` (imports, scans, exports: the ones with a Job
row and a progress page) to this executor instead, and the request answers at once; the job's page
polls its progress as in production.

Short tasks (the change feed's deliveries, the checks after a save) stay eager, in the request: they
take milliseconds, the page shown after a save expects their findings, and queued behind a long
import in the one or two threads here they would be late by minutes.

The executor starts lazily, on the first long job (or when a job page finds a job without a sign of
life, see `ensure_started`): settings.JOBS_THREADS worker threads and one sweeper thread, all daemon
threads. Each job runs in its own database connection, closed when it ends. The sweeper runs at
start and every settings.JOBS_SWEEP_SECONDS: it renews the heartbeat of the jobs running in this
process and of those waiting in its queue (a slow step of a live job, or a long wait behind one, is not
taken for a dead worker) and fails the jobs whose worker is gone (jobs.services.jobs_fail_stale): running
ones, and queued ones that a server which stopped held in its memory, so no job stays "running" or
"queued" for ever, even without Celery beat.

Tests run with JOBS_RUN_IN_THREAD off (tests/conftest.py): tasks stay eager and deterministic. Those
that turn it on wait with `wait_idle()`.
"""

import logging
import queue
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connections

from jobs.services import job_hold, job_release, jobs_beat_here, jobs_fail_stale, jobs_tracked

logger = logging.getLogger(__name__)


def enabled() -> bool:
    return settings.JOBS_RUN_IN_THREAD


class Executor:
    def __init__(self, threads: int, sweep_seconds: float):
        self.work: queue.Queue = queue.Queue()
        self.sweep_seconds = sweep_seconds
        self.stopping = threading.Event()
        self.sweeps = 0  # rounds of the sweeper thread so far
        self.threads = [threading.Thread(target=self._work, name=f"dibao-jobs-{i + 1}", daemon=True)
                        for i in range(max(1, threads))]
        self.threads.append(threading.Thread(target=self._sweep, name="dibao-jobs-sweeper", daemon=True))
        for thread in self.threads:
            thread.start()

    def submit(self, run: Callable[[], None], job_id: int | None = None) -> None:
        job_hold(job_id)  # held (its heartbeat renewed by the sweeper) until its run ends
        self.work.put((run, job_id))

    def _work(self) -> None:
        while True:
            item = self.work.get()
            try:
                if item is None:
                    return
                run, job_id = item
                try:
                    with jobs_tracked():
                        run()
                finally:
                    job_release(job_id)
            except Exception:  # the task recorded its failure on its job; this thread goes on
                logger.exception("embedded job failed")
            finally:
                connections.close_all()  # this thread's connections only
                self.work.task_done()

    def sweep_once(self) -> int:
        try:
            jobs_beat_here()
            return jobs_fail_stale()
        except Exception:  # the database is away for a moment: next round
            logger.exception("embedded job sweep failed")
            return 0
        finally:
            connections.close_all()

    def _sweep(self) -> None:
        while not self.stopping.is_set():
            self.sweep_once()
            self.sweeps += 1
            self.stopping.wait(self.sweep_seconds)

    def wait_idle(self, timeout: float) -> bool:
        """True once every submitted job has ended (for tests and shutdown)."""
        deadline = time.monotonic() + timeout
        with self.work.all_tasks_done:
            while self.work.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.work.all_tasks_done.wait(remaining)
        return True

    def stop(self, timeout: float = 10) -> None:
        self.stopping.set()
        for _ in self.threads[:-1]:
            self.work.put(None)
        for thread in self.threads:
            thread.join(timeout)


_executor: Executor | None = None
_lock = threading.Lock()


def ensure_started() -> Executor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = Executor(settings.JOBS_THREADS, settings.JOBS_SWEEP_SECONDS)
        return _executor


def submit(run: Callable[[], None], job_id: int | None = None) -> None:
    """Run `run()` in a worker thread of this process (the executor starts on first use); `job_id`: the job
    it runs, held queued here until then."""
    ensure_started().submit(run, job_id)


def wait_idle(timeout: float = 30) -> bool:
    return _executor.wait_idle(timeout) if _executor is not None else True


def shutdown(timeout: float = 10) -> None:
    """Stop the executor (tests); the next submit starts a fresh one."""
    global _executor
    with _lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.stop(timeout)


def watch(job) -> None:
    """A page or API read showing an unfinished job, in the embedded mode: make sure this process's
    sweeper runs, so a job left "running" by a server that stopped is failed (by the sweeper
    thread, not by the read, which writes nothing) and the page, polling, shows it."""
    if enabled() and not job.is_finished:
        ensure_started()
