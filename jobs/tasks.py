from celery import shared_task

from jobs.outbox import flush_outbox
from jobs.services import jobs_fail_stale


@shared_task
def fail_stale_jobs() -> int:
    return jobs_fail_stale()


@shared_task
def flush_outbox_task() -> int:
    return flush_outbox()
