"""/healthz (liveness) and /readyz (database, migrations, Redis when configured, outbox age): each failure
turns readiness into a 503 that names the failed check, and nothing needs a login."""

import os
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from dibao.ops import health
from jobs.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_migration_state(settings):
    settings.REDIS_URL = ""
    health.forget_migration_state()
    yield
    health.forget_migration_state()


def test_healthz_is_plain_and_open(client):
    response = client.get("/healthz")
    assert (response.status_code, response.content, response["Content-Type"]) == (200, b"ok", "text/plain")


def test_ready_without_redis_configured(client):
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "migrations", "outbox"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["outbox"]["oldest_age_seconds"] == 0


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (a real Redis)")
def test_ready_with_a_reachable_redis(client, settings):
    settings.REDIS_URL = os.environ["REDIS_URL"]
    body = client.get("/readyz").json()
    assert body["status"] == "ready" and body["checks"]["redis"]["ok"] is True


def test_redis_configured_but_down_is_not_ready(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["redis"] == {"ok": False, "error": "ConnectionError", "ms": body["checks"]["redis"]["ms"]}
    assert body["checks"]["database"]["ok"] is True


def test_database_unreachable_is_not_ready(client, monkeypatch):
    def refuse():
        raise OperationalError("could not connect to server at 10.0.0.5: Connection refused")

    monkeypatch.setattr(health, "_database", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["database"]["error"] == "OperationalError"
    assert "refused" not in response.content.decode()  # details go to the log only


def test_an_unapplied_migration_is_not_ready(client):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = 'audit' AND name = '0003_hash_chain'")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == {"ok": False, "unapplied": 1,
                                                       "ms": response.json()["checks"]["migrations"]["ms"]}


def test_an_outbox_that_does_not_drain_is_not_ready(client, settings):
    settings.READYZ_OUTBOX_MAX_AGE_SECONDS = 600
    message = OutboxMessage.objects.create(task_name="jobs.tasks.fail_stale_jobs")
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(seconds=300))
    assert client.get("/readyz").status_code == 200  # young enough
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(seconds=900))
    response = client.get("/readyz")
    assert response.status_code == 503
    outbox = response.json()["checks"]["outbox"]
    assert (outbox["ok"], outbox["limit_seconds"]) == (False, 600)
    assert 899 <= outbox["oldest_age_seconds"] <= 905
    # A sent message, however old, does not count.
    OutboxMessage.objects.filter(pk=message.pk).update(sent_at=timezone.now())
    assert client.get("/readyz").status_code == 200
