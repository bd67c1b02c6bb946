"""The one change feed: what a transaction changed, delivered to the subscribers after it commits.

Every audited write passes through `audit.services.record`, which calls `changed()` with the event's
object; a bulk writer that records no event per row (the registry import) calls `changed()` itself
with the ids it wrote. Subscribers are named in settings.CHANGE_FEED_SUBSCRIBERS (dotted paths to
functions taking `[[object_type, object_id], ...]`), so this module knows no app above it. A
subscriber may declare `object_types` (a set of "app_label.model_name") to receive only those.

One transaction, one outbox message per subscriber, whatever the number of events: the first change
writes the message (so it commits or rolls back with the data) and later changes of other objects
update its list. After the commit the outbox sends `audit.tasks.deliver_changes`, which calls the
subscriber in a worker. A message sent late (broker down) still reaches the subscriber, which reads
the objects as they are then.
"""

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core import checks
from django.db import transaction
from django.utils.module_loading import import_string

from jobs.models import OutboxMessage
from jobs.outbox import dispatch

DELIVER_TASK = "audit.tasks.deliver_changes"


def subscribers() -> list[str]:
    return list(settings.CHANGE_FEED_SUBSCRIBERS)


def check_subscribers(app_configs=None, **kwargs) -> list:
    """System check: every subscriber in settings imports and is callable (a typo would fail every write)."""
    errors = []
    for path in subscribers():
        try:
            subscriber = import_string(path)
        except ImportError as exc:
            errors.append(checks.Error(f"CHANGE_FEED_SUBSCRIBERS: {path} does not import ({exc}).", id="audit.E001"))
            continue
        if not callable(subscriber):
            errors.append(checks.Error(f"CHANGE_FEED_SUBSCRIBERS: {path} is not callable.", id="audit.E002"))
    return errors


def _wants(path: str, object_type: str) -> bool:
    types = getattr(import_string(path), "object_types", None)
    return types is None or object_type in types


@dataclass
class _Delivery:
    """One subscriber's message in the open transaction."""

    message: OutboxMessage | None = None
    keys: dict = field(default_factory=dict)  # (type, id) -> None: an ordered set
    # The savepoints open when the message row last got the whole list: while they are all still
    # open that write stands; once one is gone (released or rolled back) the list is written again.
    synced_at: tuple = ()


@dataclass
class _Batch:
    connection: object
    on_commit_list: list = field(default_factory=list)  # the connection's, as it was last seen
    deliveries: dict = field(default_factory=dict)  # subscriber path -> _Delivery
    closed: bool = False

    def close(self) -> None:
        self.closed = True

    def alive(self) -> bool:
        """Still the open transaction that started it (not committed, not rolled back)."""
        if self.closed or not self.connection.in_atomic_block:
            return False
        run_on_commit = self.connection.run_on_commit
        if run_on_commit is self.on_commit_list:
            return True
        # A rollback replaced the list: the batch lives if its commit callback survived it.
        if any(func == self.close for _sids, func, _robust in run_on_commit):
            self.on_commit_list = run_on_commit
            return True
        return False


_local = threading.local()


def _open_batch(connection) -> _Batch:
    batch = getattr(_local, "batch", None)
    if batch is not None and batch.connection is connection and batch.alive():
        return batch
    batch = _Batch(connection=connection)
    connection.on_commit(batch.close)
    batch.on_commit_list = connection.run_on_commit
    _local.batch = batch
    return batch


def _payload(path: str, keys) -> list:
    return [path, [[object_type, object_id] for object_type, object_id in keys]]


def changed(object_type: str, object_ids: Iterable) -> None:
    """Tell the subscribers these objects changed in the current transaction (after commit)."""
    keys = [(object_type, str(object_id)) for object_id in object_ids if object_id not in (None, "")]
    paths = [path for path in subscribers() if _wants(path, object_type)]
    if not keys or not paths:
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:  # autocommit: the change is already committed
        for path in paths:
            dispatch(DELIVER_TASK, *_payload(path, dict.fromkeys(keys)))
        return
    batch = _open_batch(connection)
    savepoints = tuple(connection.savepoint_ids)
    for path in paths:
        delivery = batch.deliveries.get(path)
        if delivery is None:
            delivery = _Delivery(keys=dict.fromkeys(keys))
            delivery.message = dispatch(DELIVER_TASK, *_payload(path, delivery.keys))
            delivery.synced_at = savepoints
            batch.deliveries[path] = delivery
            continue
        new = [key for key in keys if key not in delivery.keys]
        delivery.keys.update(dict.fromkeys(new))
        if not new and savepoints[:len(delivery.synced_at)] == delivery.synced_at:
            continue
        args = _payload(path, delivery.keys)  # the outbox reads the row when it sends it
        if not OutboxMessage.objects.filter(pk=delivery.message.pk).update(args=args):
            # Its row went with a rolled-back savepoint (and its send with it): write it again.
            delivery.message = dispatch(DELIVER_TASK, *args)
        delivery.synced_at = savepoints


def deliver(path: str, changes: list):
    """Run one subscriber on a transaction's changes (the worker's side of `changed`); its answer
    is the task's result, which the worker logs."""
    if path not in subscribers():
        return None  # unsubscribed since the message was written
    return import_string(path)([(object_type, object_id) for object_type, object_id in changes])
