from celery import shared_task

from audit.feed import deliver


@shared_task
def deliver_changes(subscriber: str, changes: list):
    """A transaction's changes for one subscriber of the change feed (sent by the outbox)."""
    return deliver(subscriber, changes)
