import os
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from dibao.celery import app
from jobs.models import OutboxMessage
from jobs.outbox import dispatch, flush_outbox, pending, send_again


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


# -- row locks, attempts, messages set aside ------------------------------------------------------

def _refused_if_poison(sent):
    def send(name, args=None, kwargs=None):
        if args == ["poison"]:
            raise ValueError("the broker refused this message")
        sent.append((name, args))
    return send


@pytest.mark.django_db(transaction=True)
def test_two_flushers_at_once_send_a_message_once(live_broker, monkeypatch):
    """The beat's flush and an on-commit send (or two beats) meeting on one message: the row lock decides."""
    message = OutboxMessage.objects.create(task_name="jobs.tasks.fail_stale_jobs")
    sending, release = threading.Event(), threading.Event()
    sent = []

    def slow_send(name, args=None, kwargs=None):
        sent.append(threading.current_thread().name)
        sending.set()
        assert release.wait(10)  # the first sender holds the row while the second flushes

    monkeypatch.setattr(app, "send_task", slow_send)
    results = {}

    def first():
        try:
            results["first"] = flush_outbox()
        finally:
            connection.close()

    thread = threading.Thread(target=first, name="first")
    thread.start()
    try:
        assert sending.wait(10)
        results["second"] = flush_outbox()  # the locked row is skipped, not waited for or sent again
    finally:
        release.set()
        thread.join(10)
    assert results == {"first": 1, "second": 0}
    assert sent == ["first"]
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1
    assert flush_outbox() == 0 and sent == ["first"]  # sent is sent


@pytest.mark.django_db
def test_a_failing_message_does_not_hold_up_the_ones_after_it(live_broker, monkeypatch):
    poison = OutboxMessage.objects.create(task_name="jobs.tasks.fail_stale_jobs", args=["poison"])
    later = OutboxMessage.objects.create(task_name="jobs.tasks.fail_stale_jobs")
    sent = []
    monkeypatch.setattr(app, "send_task", _refused_if_poison(sent))
    assert flush_outbox() == 1
    assert sent == [("jobs.tasks.fail_stale_jobs", [])]
    poison.refresh_from_db()
    later.refresh_from_db()
    assert later.sent_at is not None
    assert poison.sent_at is None and poison.set_aside_at is None and poison.attempts == 1
    assert "refused this message" in poison.last_error


@pytest.mark.django_db
def test_after_the_last_attempt_a_message_is_set_aside_and_can_be_sent_again(live_broker, monkeypatch, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    poison = OutboxMessage.objects.create(task_name="jobs.tasks.fail_stale_jobs", args=["poison"])
    sent = []
    monkeypatch.setattr(app, "send_task", _refused_if_poison(sent))
    for attempt in (1, 2):
        assert flush_outbox() == 0
        poison.refresh_from_db()
        assert poison.attempts == attempt and poison.set_aside_at is None
    assert flush_outbox() == 0
    poison.refresh_from_db()
    assert poison.attempts == 3 and poison.set_aside_at is not None and poison.sent_at is None
    assert not pending().exists()
    calls = []
    monkeypatch.setattr(app, "send_task", lambda name, args=None, kwargs=None: calls.append(args))
    assert flush_outbox() == 0 and calls == []  # set aside: no longer tried

    assert send_again([poison.pk]) == 1  # the cause is fixed: back in the queue with fresh attempts
    assert flush_outbox() == 1 and calls == [["poison"]]
    poison.refresh_from_db()
    assert poison.sent_at is not None and poison.set_aside_at is None


def broken_subscriber(changes):
    raise RuntimeError("the subscriber has a bug")


@pytest.mark.django_db
def test_an_eager_task_that_fails_is_given_back_and_set_aside_in_the_end(settings):
    """Without a broker (eager mode) the task runs in the sender: its failure counts like a refusal."""
    settings.CHANGE_FEED_SUBSCRIBERS = ["tests.jobs.test_outbox.broken_subscriber"]
    settings.OUTBOX_MAX_ATTEMPTS = 2
    poison = OutboxMessage.objects.create(task_name="audit.tasks.deliver_changes",
                                          args=["tests.jobs.test_outbox.broken_subscriber", []])
    fine = OutboxMessage.objects.create(task_name="jobs.tasks.fail_stale_jobs")
    assert flush_outbox() == 1
    poison.refresh_from_db()
    fine.refresh_from_db()
    assert fine.sent_at is not None
    assert poison.sent_at is None and poison.attempts == 1 and "has a bug" in poison.last_error
    assert flush_outbox() == 0
    poison.refresh_from_db()
    assert poison.set_aside_at is not None and poison.attempts == 2


@pytest.mark.django_db
def test_while_the_broker_is_down_the_flush_stops_and_sets_nothing_aside(live_broker, monkeypatch, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 1

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("Connection refused.")

    first = OutboxMessage.objects.create(task_name="jobs.tasks.fail_stale_jobs")
    second = OutboxMessage.objects.create(task_name="jobs.tasks.fail_stale_jobs")
    monkeypatch.setattr(app, "send_task", broker_down)
    assert flush_outbox() == 0
    assert flush_outbox() == 0
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.attempts, second.attempts) == (2, 0)  # each beat stops at the first outage
    assert first.set_aside_at is None  # an outage is not the message's fault


@pytest.mark.django_db
def test_the_admin_lists_the_messages_set_aside(web, admin_user, settings):
    poison = OutboxMessage.objects.create(task_name="jobs.tasks.fail_stale_jobs", args=["poison"], attempts=5,
                                          last_error="the broker refused this message", set_aside_at=timezone.now())
    waiting = OutboxMessage.objects.create(task_name="reports.tasks.run_export", args=[1])
    url = f"/{settings.ADMIN_URL}jobs/outboxmessage/"
    client = web(admin_user)

    def listed(state):
        page = client.get(url, {"state": state})
        assert page.status_code == 200
        return [m.pk for m in page.context["cl"].result_list], page.content.decode()

    ids, text = listed("set_aside")
    assert ids == [poison.pk] and "the broker refused this message" in text
    assert listed("pending")[0] == [waiting.pk]
    response = client.post(url, {"action": "send_again", "_selected_action": [poison.pk]})
    assert response.status_code == 302
    poison.refresh_from_db()
    assert poison.set_aside_at is None and poison.attempts == 0
    assert sorted(listed("pending")[0]) == sorted([poison.pk, waiting.pk])
