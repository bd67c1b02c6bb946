import os

import pytest
from django.db import transaction

from dibao.celery import app
from jobs.models import OutboxMessage
from jobs.outbox import dispatch, flush_outbox


@pytest.fixture
def live_broker():
    """Publish for real (not eager) for the duration of a test."""
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


@pytest.mark.django_db
def test_dispatch_runs_after_commit_in_eager_mode(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            message = dispatch("jobs.tasks.fail_stale_jobs")
            message.refresh_from_db()
            assert message.sent_at is None  # nothing leaves before the commit
    message.refresh_from_db()
    assert message.sent_at is not None
    assert message.attempts == 1


@pytest.mark.django_db
def test_broker_down_keeps_the_message_and_flush_sends_it_later(live_broker, monkeypatch,
                                                                django_capture_on_commit_callbacks):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(app, "send_task", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            dispatch("jobs.tasks.fail_stale_jobs")
    message = OutboxMessage.objects.get()
    assert message.sent_at is None
    assert message.attempts == 1
    assert "Connection refused" in message.last_error

    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, args=None, kwargs=None: sent.append((name, args)))
    assert flush_outbox() == 1
    message.refresh_from_db()
    assert message.sent_at is not None
    assert sent == [("jobs.tasks.fail_stale_jobs", [])]
    assert flush_outbox() == 0  # nothing is sent twice


@pytest.mark.django_db
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (a real broker)")
def test_dispatch_reaches_a_real_redis_broker(live_broker, django_capture_on_commit_callbacks):
    import redis
    from django.conf import settings

    queue = "outbox-test"
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(queue)
    app.conf.task_default_queue = queue
    try:
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                dispatch("jobs.tasks.fail_stale_jobs")
    finally:
        app.conf.task_default_queue = "celery"
    assert OutboxMessage.objects.get().sent_at is not None
    assert client.llen(queue) == 1
    client.delete(queue)


@pytest.mark.django_db
def test_coalescing_sends_each_distinct_task_once_when_the_block_ends(monkeypatch,
                                                                      django_capture_on_commit_callbacks):
    from jobs.outbox import coalescing

    ran = []
    task = app.tasks["audit.tasks.deliver_changes"]
    monkeypatch.setattr(task, "apply", lambda args=None, kwargs=None, **options: ran.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        with coalescing():
            for _step in range(3):  # e.g. the same change fed after each workflow step
                with transaction.atomic():
                    dispatch("audit.tasks.deliver_changes", [1, 2])
            with transaction.atomic():
                dispatch("audit.tasks.deliver_changes", [3])
            try:
                with transaction.atomic():
                    dispatch("audit.tasks.deliver_changes", [4])
                    raise RuntimeError("the step failed")
            except RuntimeError:
                pass
            with coalescing():  # nested: the outer block sends
                dispatch("audit.tasks.deliver_changes", [1, 2])
            assert ran == []  # nothing leaves before the block ends
    assert ran == [[[1, 2]], [[3]]]  # once per distinct task; the rolled-back one is gone with its row
    assert OutboxMessage.objects.count() == 5
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.django_db
def test_coalescing_leaves_what_it_could_not_send_for_flush(live_broker, monkeypatch,
                                                            django_capture_on_commit_callbacks):
    from jobs.outbox import coalescing

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("Connection refused.")

    monkeypatch.setattr(app, "send_task", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        with coalescing():
            dispatch("jobs.tasks.fail_stale_jobs")
            dispatch("jobs.tasks.fail_stale_jobs")
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 2  # none lost
    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, args=None, kwargs=None: sent.append(name))
    assert flush_outbox() == 2
