"""The beat task through a real Redis broker and a real worker process on the test database.

Both runs are waited for (their results in the worker's log, with a time limit), so the test fails
if the second never runs, as well as if it creates a second review.
"""

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
def test_create_due_reviews_runs_on_a_real_worker(transactional_db, village, county_officer, policy, tmp_path):
    from celery import Celery

    case = make_case(village, county_officer, category="C", first_payment_month=date(2026, 1, 1))
    queue = f"recipients-test-{uuid.uuid4().hex[:8]}"
    env = os.environ | {"CELERY_TASK_ALWAYS_EAGER": "0", "REDIS_URL": REDIS_URL, "DATABASE_URL": _database_url(),
                        "PYTHONUNBUFFERED": "1",
                        "DJANGO_SETTINGS_MODULE": "dibao.settings"}
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "dibao", "worker", "--pool=solo", "-Q", queue, "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{queue}@%h"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    producer = Celery("recipients-test-producer", broker=REDIS_URL)

    def results() -> list[str]:
        """The return values of the finished runs, in order (the worker logs each one)."""
        text = log.read_text(errors="replace")
        assert worker.poll() is None, text[-3000:]
        return re.findall(r"create_due_reviews\[[^\]]+\] succeeded in [0-9.]+s: (\d+)", text)

    try:
        # Twice: the second run must find nothing new to create.
        producer.send_task("recipients.tasks.create_due_reviews", args=["2026-07-01"], queue=queue)
        producer.send_task("recipients.tasks.create_due_reviews", args=["2026-07-01"], queue=queue)
        deadline = time.monotonic() + 60
        while len(results()) < 2:
            assert time.monotonic() < deadline, "both runs did not finish within 60 s:\n" + log.read_text()[-3000:]
            time.sleep(0.2)
        # The first run created the review, the second found it and created nothing.
        assert results() == ["1", "0"], log.read_text()[-3000:]
        reviews = list(Review.objects.filter(case=case))
        assert [(r.kind, r.status, r.due_date) for r in reviews] == [("scheduled", "due", date(2026, 7, 1))]
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        producer.close()
        try:
            import redis

            redis.Redis.from_url(REDIS_URL).delete(queue)
        except Exception:  # cleanup only
            pass
