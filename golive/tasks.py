from celery import shared_task

from golive.services import apply_run, dry_run_run, roster_dry_runs_expire


@shared_task(acks_late=True, runs_long=True)
def roster_dry_run(job_id: int) -> None:
    dry_run_run(job_id=job_id)


@shared_task(acks_late=True, runs_long=True)
def roster_apply(job_id: int) -> None:
    apply_run(job_id=job_id)


@shared_task
def discard_expired_dry_runs() -> int:
    return roster_dry_runs_expire()
