from celery import shared_task


@shared_task
def close_due_notices() -> int:
    """Idempotent: notices already closed are skipped."""
    from cases.sweeps import notices_close_due

    return notices_close_due()
