"""Transactional outbox for Celery tasks.

`dispatch(task, *args)` inside a service's transaction records the task; after commit it is
published. A publish that fails (broker down) leaves the row for `flush_outbox` to retry, so
the caller's request still succeeds and the work is not lost.
"""

import logging

from django.db import transaction
from django.utils import timezone

from jobs.models import OutboxMessage

logger = logging.getLogger(__name__)


def _publish(message: OutboxMessage) -> bool:
    from dibao.celery import app

    try:
        if app.conf.task_always_eager:
            app.loader.import_default_modules()  # make sure every app's tasks are registered
            app.tasks[message.task_name].apply(args=message.args, kwargs=message.kwargs, throw=True)
        else:
            app.send_task(message.task_name, args=message.args, kwargs=message.kwargs)
    except Exception as exc:  # the broker is down or the eager task failed; keep it for later
        OutboxMessage.objects.filter(pk=message.pk).update(attempts=message.attempts + 1, last_error=str(exc)[:2000])
        logger.warning("outbox: could not send %s: %s", message.task_name, exc)
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(sent_at=timezone.now(), attempts=message.attempts + 1)
    return True


def dispatch(task, *args, **kwargs) -> OutboxMessage:
    """Queue `task` (a Celery task or its name) to run after the current transaction commits."""
    name = task if isinstance(task, str) else task.name
    message = OutboxMessage.objects.create(task_name=name, args=list(args), kwargs=kwargs)
    transaction.on_commit(lambda: _publish(message))
    return message


def flush_outbox(limit: int = 500) -> int:
    """Send what could not be sent before. Returns how many were sent now."""
    sent = 0
    for message in OutboxMessage.objects.filter(sent_at__isnull=True).order_by("id")[:limit]:
        if not _publish(message):
            break  # broker still down; try again on the next beat
        sent += 1
    return sent
