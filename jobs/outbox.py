"""Transactional outbox for Celery tasks.

`dispatch(task, *args)` inside a service's transaction records the task; after commit it is
published. A publish that fails (broker down) leaves the row for `flush_outbox` to retry, so
the caller's request still succeeds and the work is not lost.
"""

import contextlib
import contextvars
import json
import logging

from django.db import connection, transaction
from django.utils import timezone

from jobs.models import OutboxMessage

logger = logging.getLogger(__name__)


def _publish(message: OutboxMessage) -> bool:
    from dibao.celery import app

    try:
        if app.conf.task_always_eager:
            if message.task_name not in app.tasks:
                # Register every app's tasks. Only when needed: with Celery's Django fix-up this
                # also runs Django's system checks (~45 ms), which every eager task paid before.
                app.loader.import_default_modules()
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
    held = _coalescing.get()
    if held is not None:
        held.append(message.pk)
    else:
        transaction.on_commit(lambda: _publish(message))
    return message


_coalescing: contextvars.ContextVar = contextvars.ContextVar("outbox_coalescing", default=None)


@contextlib.contextmanager
def coalescing():
    """Tasks dispatched in the block are recorded as usual but sent when it ends, each distinct
    (task, arguments) once: for batch writers (the demo seed) that would otherwise queue the same
    check after every step. Wrap it around transactions, not inside one: what the block committed is
    sent at its end (a task sent then sees every change it was queued for); what was rolled back is
    gone with its rows. A nested block leaves the sending to the outer one.
    """
    if _coalescing.get() is not None:
        yield
        return
    held: list[int] = []
    token = _coalescing.set(held)
    try:
        yield
    finally:
        _coalescing.reset(token)
        _send_held(held)


def _send_held(ids: list[int], after_commit: bool = False) -> None:
    if connection.in_atomic_block and not after_commit:
        transaction.on_commit(lambda: _send_held(ids, after_commit=True))
        return
    sent: dict = {}
    for message in OutboxMessage.objects.filter(pk__in=ids, sent_at__isnull=True).order_by("id"):
        key = (message.task_name, json.dumps(message.args, sort_keys=True), json.dumps(message.kwargs, sort_keys=True))
        if key not in sent:
            sent[key] = _publish(message)
        elif sent[key]:
            # Covered: the identical message before it was sent after this one was committed.
            OutboxMessage.objects.filter(pk=message.pk).update(sent_at=timezone.now())


def flush_outbox(limit: int = 500) -> int:
    """Send what could not be sent before. Returns how many were sent now."""
    sent = 0
    for message in OutboxMessage.objects.filter(sent_at__isnull=True).order_by("id")[:limit]:
        if not _publish(message):
            break  # broker still down; try again on the next beat
        sent += 1
    return sent
