"""Celery tasks: ids in, idempotent (re-running a scan reconciles to the same findings)."""

from celery import shared_task

from jobs.services import job_fail, job_progress, job_start, job_succeed
from overlaps.services import overlaps_scan, scan_start


@shared_task(runs_long=True)
def run_scan(job_id: int, prefix: str = "") -> None:
    if not job_start(job_id=job_id):
        return
    try:
        def progress(pct, results):
            job_progress(job_id=job_id, progress=min(pct, 99), counts=_totals(results))

        results = overlaps_scan(prefix=prefix, progress=progress)
    except Exception as exc:  # the job records the failure; the worker stays up
        job_fail(job_id=job_id, message=str(exc))
        raise
    job_succeed(job_id=job_id, counts=_totals(results))


def _totals(results: dict) -> dict:
    totals = {"found": 0, "raised": 0, "closed": 0}
    for counts in results.values():
        for k in totals:
            totals[k] += counts.get(k, 0)
    totals["rules"] = {code: c.get("found", 0) for code, c in results.items()}
    return totals


@shared_task
def nightly_scan() -> int:
    """The whole installation, as a job so it shows progress like a manual scan."""
    return scan_start(actor=None, prefix="").pk
