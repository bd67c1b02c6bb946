from celery import shared_task

from cases.sweeps import notices_close_due


@shared_task
def close_due_notices() -> int:
    """Idempotent: notices already closed are skipped."""
    return notices_close_due()
