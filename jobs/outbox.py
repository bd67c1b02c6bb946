"""Transactional outbox for Celery tasks.

`dispatch(task, *args)` inside a service's transaction records the task; after commit it is
published. A publish that fails (broker down) leaves the row for `flush_outbox` to retry, so
the caller's request still succeeds and the work is not lost.

Sending locks the row (SELECT ... FOR UPDATE SKIP LOCKED) and re-reads it: the on-commit send and
the beat's flush can meet on one message, and only one of them sends it. A message that fails on
its own (its eager task raises, the broker refuses it) settings.OUTBOX_MAX_ATTEMPTS times is set
aside, visible in the admin, and the flush goes on with the next; while the broker is down nothing
is set aside and the flush stops, since every other message would wait for the same timeout.
"""

import contextlib
import contextvars
import json
import logging

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from dibao.celery import app
from jobs import embedded
from jobs.models import OutboxMessage
from jobs.services import job_claim

logger = logging.getLogger(__name__)

SENT, FAILED, BROKER_DOWN, TAKEN = "sent", "failed", "broker_down", "taken"


def pending():
    """Messages still to send: not sent, not set aside."""
    return OutboxMessage.objects.filter(sent_at__isnull=True, set_aside_at__isnull=True)


def _publish(message: OutboxMessage) -> str:
    """Send one message under its row lock. TAKEN: another sender has it, or it is already sent."""
    eager = app.conf.task_always_eager
    with transaction.atomic():
        locked = pending().select_for_update(skip_locked=True).filter(pk=message.pk).first()
        if locked is None:
            return TAKEN
        if not eager:
            try:
                app.send_task(locked.task_name, args=locked.args, kwargs=locked.kwargs)
            except Exception as exc:  # the broker is down (or refused this message): keep it for later
                return _failed(locked, exc, outage=isinstance(exc, (BrokerError, OSError)))
        # Sent. An eager task is only claimed here: it runs below, after the lock, so that its own
        # transactions and progress do not wait inside this one; if it fails it is given back.
        OutboxMessage.objects.filter(pk=locked.pk).update(sent_at=timezone.now(), attempts=locked.attempts + 1)
        if locked.job_id is not None:
            job_claim(job_id=locked.job_id)
    if eager:
        if locked.task_name not in app.tasks:
            # Register every app's tasks. Only when needed: with Celery's Django fix-up this
            # also runs Django's system checks (~45 ms), which every eager task paid before.
            app.loader.import_default_modules()
        task = app.tasks[locked.task_name]
        if getattr(task, "runs_long", False) and embedded.enabled():
            # The embedded mode's long jobs (imports, scans, exports) run in a thread of the server,
            # never in the request (jobs/embedded.py); the job's page shows their progress.
            embedded.submit(lambda: _run_eager(locked, task), locked.job_id)
            return SENT
        return _run_eager(locked, task)
    return SENT


def _run_eager(message: OutboxMessage, task) -> str:
    try:
        task.apply(args=message.args, kwargs=message.kwargs, throw=True)
    except Exception as exc:  # the task failed: the message waits for the next flush
        return _failed(message, exc, outage=False)
    return SENT


def _failed(message: OutboxMessage, exc: Exception, *, outage: bool) -> str:
    attempts = message.attempts + 1
    fields = {"sent_at": None, "attempts": attempts, "last_error": str(exc)[:2000]}
    if not outage and attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        fields["set_aside_at"] = timezone.now()
        logger.error("outbox: %s failed %d times and is set aside: %s", message.task_name, attempts, exc)
    else:
        logger.warning("outbox: could not send %s: %s", message.task_name, exc)
    OutboxMessage.objects.filter(pk=message.pk).update(**fields)
    return BROKER_DOWN if outage else FAILED


def dispatch(task, *args, job=None, **kwargs) -> OutboxMessage:
    """Queue `task` (a Celery task or its name) to run after the current transaction commits. `job`: the
    Job it runs (not passed to the task), claimed when the message is sent (see jobs_fail_stale)."""
    name = task if isinstance(task, str) else task.name
    message = OutboxMessage.objects.create(task_name=name, args=list(args), kwargs=kwargs, job=job)
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
            sent[key] = _publish(message) == SENT
        elif sent[key]:
            # Covered: the identical message before it was sent after this one was committed.
            OutboxMessage.objects.filter(pk=message.pk).update(sent_at=timezone.now())


def flush_outbox(limit: int = 500) -> int:
    """Send what could not be sent before, oldest first. Returns how many were sent now.

    A message another sender holds is skipped; one that fails goes on waiting (or is set aside)
    without holding up the rest. Only a broker that is down ends the flush: try on the next beat.
    """
    sent = 0
    for message in pending().order_by("id")[:limit]:
        outcome = _publish(message)
        if outcome == BROKER_DOWN:
            break
        sent += outcome == SENT
    return sent


def send_again(ids) -> int:
    """Give set-aside messages a fresh set of attempts (the admin's action once the cause is fixed)."""
    return OutboxMessage.objects.filter(pk__in=ids, sent_at__isnull=True, set_aside_at__isnull=False).update(
        set_aside_at=None, attempts=0)
