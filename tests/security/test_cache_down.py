"""Degrade, never 500: with the cache server killed, every page and endpoint of the access matrix answers
as it does with the cache up (no 5xx, the statuses the matrix expects), and the dashboard computes the
same, current figures.

A private redis-server on a free port is the cache (django-redis, as in production); it is SIGKILLed
after the dashboard filled it.
"""

import logging
import re
from pathlib import Path

import pytest
from django.test import Client

from cases.models import CaseStatus
from dibao import cache as guarded
from tests.faults.test_real_faults import RedisServer, _free_port, needs_redis_server
from tests.recipients.factories import make_case as recipient_case
from tests.security.conftest import ROLES, SCOPES, make_household
from tests.security.test_access_matrix import ROWS, client_for, expected, send

pytestmark = [pytest.mark.django_db, needs_redis_server]


@pytest.fixture
def cache_server(settings, tmp_path):
    server = RedisServer(_free_port(), tmp_path / "redis.log")
    server.start()
    settings.CACHES = {"default": {
        "BACKEND": "django_redis.cache.RedisCache", "LOCATION": server.url(), "KEY_PREFIX": "dibao-test",
        "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient", "SOCKET_CONNECT_TIMEOUT": 1,
                    "SOCKET_TIMEOUT": 1}}}
    try:
        yield server
    finally:
        server.kill()


def dashboard_totals(client) -> dict:
    response = client.get("/reports/")
    assert response.status_code == 200
    return response.context["data"]["totals"]


def test_every_page_answers_with_the_cache_server_killed(world, cache_server, caplog):
    officer = Client()
    officer.force_login(world.users["county_officer"])
    before = dashboard_totals(officer)
    assert before["recipient_households"] >= 2
    redis = cache_server.client()
    assert any(b"reports:payments:" in key for key in redis.keys("*"))  # the dashboard used this cache

    cache_server.kill()
    caplog.set_level(logging.WARNING, logger="dibao.cache")
    failures = []
    for row in ROWS:
        for role in ROLES:
            client = client_for(row, world.users[role])
            for scope in SCOPES if row.target else ("own",):
                path = row.path(world, scope) if callable(row.path) else row.path
                status = send(client, row, path).status_code
                if status >= 500 or status not in expected(row, role, scope):
                    failures.append(f"{role} {row.method} {path} -> {status}")
    assert not failures, "\n".join(failures)

    # Computed without the cache: the same figures, and they follow a change made meanwhile.
    assert dashboard_totals(officer) == before
    village = world.division["own"]
    recipient_case(village, world.users["village_staff"], status=CaseStatus.ACTIVE,
                   household=make_household(village, head="孙四", user=world.users["village_staff"]))
    after = dashboard_totals(officer)
    assert after["recipient_households"] == before["recipient_households"] + 1
    # One warning for the outage, not one per call.
    warnings = [r for r in caplog.records if r.name == "dibao.cache" and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "Cache unavailable" in warnings[0].getMessage()


def test_the_guarded_calls_miss_and_drop_when_the_server_is_gone(cache_server):
    assert guarded.cache_set("k", 1, 60) and guarded.cache_get("k") == 1
    assert guarded.cache_set_many({"a": 1, "b": 2}, 60) and guarded.cache_get_many(["a", "b", "c"]) == {"a": 1, "b": 2}
    cache_server.kill()
    assert guarded.cache_get("k", "default") == "default"
    assert guarded.cache_get_many(["a", "b"]) == {}
    assert guarded.cache_set("k", 2, 60) is False and guarded.cache_set_many({"a": 3}, 60) is False
    cache_server.start()  # back, empty (no persistence): stores and reads again
    assert guarded.cache_set("k", 3, 60) and guarded.cache_get("k") == 3


def test_only_the_guarded_module_touches_the_cache():
    """A new cache use that skips dibao/cache.py would 500 when Redis is down: none may exist."""
    root = Path(__file__).resolve().parents[2]
    direct = re.compile(r"from django\.core\.cache import|django\.core\.cache\.cache\b|\bcaches\[")
    offenders = []
    for path in root.glob("*/**/*.py"):
        relative = path.relative_to(root)
        if relative.parts[0] in (".venv", "tests", "benchmarks", "var") or relative == Path("dibao/cache.py"):
            continue
        if direct.search(path.read_text(encoding="utf-8")):
            offenders.append(str(relative))
    assert offenders == []
    assert "from django.core.cache import cache" in (root / "dibao" / "cache.py").read_text()
