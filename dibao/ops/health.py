"""Liveness and readiness, open to the load balancer and docker compose (no login, no data).

/healthz: the process answers (liveness; restart it when this fails).
/readyz: it can do its work - the database answers, every migration is applied, Redis answers when
configured, and the outbox drains (its oldest unsent message is younger than
READYZ_OUTBOX_MAX_AGE_SECONDS). 200 with each check's outcome, or 503 naming the checks that failed.
Error details go to the log, not to the open response.
"""

import logging
import time

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Min
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from jobs.outbox import pending

logger = logging.getLogger(__name__)

# Once a process has seen every migration applied it stops asking (the migration graph costs ~0.1 s).
_migrations_applied = False


def forget_migration_state() -> None:
    global _migrations_applied
    _migrations_applied = False


@never_cache
def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def _migrations() -> dict:
    global _migrations_applied
    if not _migrations_applied:
        executor = MigrationExecutor(connection)
        # Every migration of the graph, not only the plan to its leaves: a migration missing below an applied
        # leaf (a row lost from django_migrations, a squash half-applied) is unapplied too.
        missing = set(executor.loader.graph.nodes) - set(executor.loader.applied_migrations)
        if missing:
            return {"ok": False, "unapplied": len(missing)}
        _migrations_applied = True
    return {"ok": True}


def _redis() -> dict:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()
    return {"ok": True}


def _outbox() -> dict:
    oldest = pending().aggregate(oldest=Min("created_at"))["oldest"]
    age = round((timezone.now() - oldest).total_seconds()) if oldest else 0
    return {"ok": age <= settings.READYZ_OUTBOX_MAX_AGE_SECONDS, "oldest_age_seconds": age,
            "limit_seconds": settings.READYZ_OUTBOX_MAX_AGE_SECONDS}


def _run(name: str, check) -> dict:
    started = time.monotonic()
    try:
        outcome = check()
    except (DatabaseError, redis.RedisError, OSError) as exc:
        logger.warning("readiness: %s failed: %s", name, exc, extra={"check": name})
        outcome = {"ok": False, "error": type(exc).__name__}
    outcome["ms"] = round((time.monotonic() - started) * 1000, 1)
    return outcome


@never_cache
def readyz(request):
    checks = {"database": _run("database", _database)}
    if checks["database"]["ok"]:
        checks["migrations"] = _run("migrations", _migrations)
        checks["outbox"] = _run("outbox", _outbox)
    if settings.REDIS_URL:
        checks["redis"] = _run("redis", _redis)
    ready = checks["database"]["ok"] and all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ready" if ready else "not ready", "checks": checks}, status=200 if ready else 503)
