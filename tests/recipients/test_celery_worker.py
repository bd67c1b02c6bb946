"""The beat task through a real Redis broker and a real worker process on the test database."""

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from recipients.models import Review
from tests.recipients.factories import make_case

REDIS_URL = "redis://127.0.0.1:6379/7"
ROOT = Path(__file__).resolve().parents[2]


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def _database_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "") + (":" + quote(s["PASSWORD"]) if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.skipif(not _redis_up(), reason="needs a Redis server at 127.0.0.1:6379")
def test_create_due_reviews_runs_on_a_real_worker(transactional_db, village, county_officer, policy):
    from celery import Celery

    case = make_case(village, county_officer, category="C", first_payment_month=date(2026, 1, 1))
    queue = f"recipients-test-{uuid.uuid4().hex[:8]}"
    env = os.environ | {"CELERY_TASK_ALWAYS_EAGER": "0", "REDIS_URL": REDIS_URL, "DATABASE_URL": _database_url(),
                        "DJANGO_SETTINGS_MODULE": "dibao.settings"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dibao", "worker", "--pool=solo", "-Q", queue, "--loglevel=INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{queue}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    producer = Celery("recipients-test-producer", broker=REDIS_URL)
    try:
        # Twice: the second run must find nothing new to create.
        producer.send_task("recipients.tasks.create_due_reviews", args=["2026-07-01"], queue=queue)
        producer.send_task("recipients.tasks.create_due_reviews", args=["2026-07-01"], queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and worker.poll() is None:
            if Review.objects.filter(case=case).exists():
                time.sleep(1.5)  # give the second task time to run too
                break
            time.sleep(0.3)
        assert worker.poll() is None, worker.stdout.read().decode(errors="replace")[-3000:]
        reviews = list(Review.objects.filter(case=case))
        assert [(r.kind, r.status, r.due_date) for r in reviews] == [("scheduled", "due", date(2026, 7, 1))]
    finally:
        worker.terminate()
        try:
            output = worker.communicate(timeout=15)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            worker.kill()
            output = worker.communicate()[0].decode(errors="replace")
        producer.close()
        try:
            import redis

            redis.Redis.from_url(REDIS_URL).delete(queue)
        except Exception:  # cleanup only
            pass
    # The worker's log: the first run created one review, the second none.
    results = re.findall(r"create_due_reviews\[[^\]]+\] succeeded in [0-9.]+s: (\d+)", output)
    assert results == ["1", "0"], output[-3000:]
