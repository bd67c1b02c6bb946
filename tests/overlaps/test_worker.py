"""The incremental path through a real queue: Redis db 6 and a real Celery worker process.

A change fed in a transaction reaches the worker through the outbox as `audit.tasks.deliver_changes`,
which runs the shared registry's subscriber there.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, transaction

from audit import feed
from overlaps.models import OverlapFlag
from tests.overlaps import builders as b

BROKER = "redis://127.0.0.1:6379/6"
ROOT = Path(__file__).resolve().parents[2]


def _redis_up() -> bool:
    import redis

    try:
        return redis.Redis.from_url(BROKER, socket_connect_timeout=1).ping()
    except Exception:
        return False


def _reset_pools(app):
    """Drop connections cached for an earlier broker so .delay() uses the one configured now."""
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.mark.skipif(not _redis_up(), reason="needs Redis at 127.0.0.1:6379")
@pytest.mark.django_db(transaction=True)
def test_incremental_check_through_real_worker(village, other_village, county_officer, settings):
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs a shared PostgreSQL database")
    import redis

    from dibao.celery import app

    redis.Redis.from_url(BROKER).flushdb()
    db = connection.settings_dict
    env = {**os.environ, "REDIS_URL": BROKER, "CELERY_TASK_ALWAYS_EAGER": "0",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"}
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "dibao", "worker", "--pool=solo",
                               "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    old = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = BROKER, False
    _reset_pools(app)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    try:
        p = b.person()
        h1 = b.household(village, [p])
        h2 = b.household(other_village, [b.person(name="李四")])
        b.member(h2, p, is_active=False)
        b.case(h1, county_officer)
        b.case(h2, county_officer, status="submitted")
        with transaction.atomic():
            feed.changed("households.person", [p.pk])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not OverlapFlag.objects.filter(rule="DOUBLE_DIBAO").exists():
            time.sleep(0.3)
        flag = OverlapFlag.objects.get(rule="DOUBLE_DIBAO", status="open")
        assert flag.subject_key == f"p:{p.pk}"
    finally:
        app.conf.broker_url, app.conf.task_always_eager = old
        _reset_pools(app)
        worker.terminate()
        worker.wait(timeout=20)
