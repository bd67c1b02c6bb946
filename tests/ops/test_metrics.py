"""/metrics: its own bearer credential, and the names the dashboard and the alerts rely on, with values
that follow the database (outbox, jobs, findings, audit chain), Redis (queue depth) and failed logins."""

import os
from datetime import timedelta

import pytest
import redis
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from audit.models import AuditChainCheck
from dibao.ops import metrics
from jobs.models import Job, OutboxMessage
from overlaps.models import OverlapFlag

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-for-tests"


@pytest.fixture(autouse=True)
def _token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.REDIS_URL = ""
    settings.PROMETHEUS_MULTIPROC_DIR = ""


def scrape(client) -> dict:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels):
    return samples[(name, tuple(sorted(labels.items())))]


def names(samples) -> set:
    return {name for name, _ in samples}


def test_no_token_configured_is_not_found(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_a_missing_or_wrong_credential_is_refused(client, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"django_http" not in response.content


def test_a_user_session_is_not_the_credential(web, admin_user):
    assert web(admin_user).get("/metrics").status_code == 401


def test_request_metrics_by_view_and_status_and_latency(client, web, village_staff):
    web(village_staff).get("/households/")
    samples = scrape(client)
    assert value(samples, "django_http_responses_total_by_status_view_method_total",
                 status="200", view="households:list", method="GET") >= 1
    assert value(samples, "django_http_requests_latency_seconds_by_view_method_count",
                 view="households:list", method="GET") >= 1
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in names(samples)


@pytest.mark.postgres
def test_database_query_counts(client, web, village_staff):
    web(village_staff).get("/households/")
    samples = scrape(client)
    assert value(samples, "django_db_execute_total", alias="default", vendor="postgresql") > 0


def test_application_figures(client, county_officer, village):
    OutboxMessage.objects.create(task_name="a")
    old = OutboxMessage.objects.create(task_name="b")
    OutboxMessage.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=20))
    OutboxMessage.objects.create(task_name="c", sent_at=timezone.now())
    OutboxMessage.objects.create(task_name="d", set_aside_at=timezone.now(), attempts=5)
    for status in ("queued", "running", "running", "failed"):
        Job.objects.create(kind="export", status=status, created_by=county_officer)
    for rule, status in (("DOUBLE_DIBAO", "open"), ("DOUBLE_DIBAO", "open"), ("DOUBLE_DIBAO", "explained"),
                         ("PROTECTION_GAP", "open")):
        OverlapFlag.objects.create(rule=rule, severity="high", subject_key=f"s{OverlapFlag.objects.count()}",
                                   data_fingerprint="x", division_code=village.code, division=village, status=status,
                                   last_seen_at=timezone.now())
    samples = scrape(client)
    assert value(samples, "dibao_outbox_pending_messages") == 2
    assert 1195 <= value(samples, "dibao_outbox_oldest_pending_age_seconds") <= 1210
    assert value(samples, "dibao_outbox_set_aside_messages") == 1
    assert {state: value(samples, "dibao_jobs", state=state) for state in ("queued", "running", "succeeded", "failed")} \
        == {"queued": 1, "running": 2, "succeeded": 0, "failed": 1}
    assert value(samples, "dibao_overlap_findings_open", rule="DOUBLE_DIBAO") == 2
    assert value(samples, "dibao_overlap_findings_open", rule="PROTECTION_GAP") == 1
    assert "dibao_audit_chain_intact" not in names(samples)  # never verified yet
    AuditChainCheck.objects.create(ok=False, links_checked=3, broken_seq=4, reason="changed")
    samples = scrape(client)
    assert value(samples, "dibao_audit_chain_intact") == 0
    assert value(samples, "dibao_audit_chain_last_check_timestamp_seconds") == pytest.approx(
        timezone.now().timestamp(), abs=60)


def test_failed_logins_are_counted(client, village_staff):
    before = value(scrape(client), "dibao_failed_logins_total")
    client.post("/accounts/login/", {"username": village_staff.username, "password": "wrong-password"})
    client.post("/api/v1/auth/token/", {"username": "nobody", "password": "x"})
    assert value(scrape(client), "dibao_failed_logins_total") == before + 2


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (a real Redis)")
def test_celery_queue_depth_from_redis(client, settings, monkeypatch):
    settings.REDIS_URL = os.environ["REDIS_URL"]
    queue = f"test-ops-queue-{os.getpid()}"
    monkeypatch.setattr(metrics, "QUEUES", (queue,))
    connection = redis.Redis.from_url(settings.REDIS_URL)
    try:
        connection.lpush(queue, "a", "b")
        connection.lpush(f"{queue}\x06\x163", "c")  # a priority step of the same queue
        assert value(scrape(client), "dibao_celery_queue_length", queue=queue) == 3
    finally:
        connection.delete(queue, f"{queue}\x06\x163")


def test_redis_down_leaves_the_other_figures(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    samples = scrape(client)
    assert "dibao_outbox_pending_messages" in names(samples)
    assert not [name for name in names(samples) if name == "dibao_celery_queue_length"]


@pytest.mark.postgres
def test_every_metric_the_dashboard_and_the_alerts_use_is_exported(client, web, village_staff, settings):
    """deploy/grafana/dibao-dashboard.json and deploy/prometheus/alerts.yml name only metrics /metrics has."""
    import json
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    AuditChainCheck.objects.create(ok=True, links_checked=0)
    if os.environ.get("REDIS_URL"):
        settings.REDIS_URL = os.environ["REDIS_URL"]
    web(village_staff).get("/households/")
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    exported = set()
    for family in text_string_to_metric_families(response.content.decode()):
        exported |= {family.name, f"{family.name}_total", f"{family.name}_bucket", f"{family.name}_count"}
        exported |= {sample.name for sample in family.samples}
    dashboard = json.loads((root / "deploy" / "grafana" / "dibao-dashboard.json").read_text())
    expressions = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    expressions += re.findall(r"expr: (.+(?:\n {10}.+)*)", (root / "deploy" / "prometheus" / "alerts.yml").read_text())
    used = {name for expr in expressions for name in re.findall(r"\b((?:django|dibao)_[a-z_]+)\b", expr)}
    assert len(used) >= 12
    if not settings.REDIS_URL:
        used.discard("dibao_celery_queue_length")
    assert sorted(used - exported) == []
