"""Prometheus metrics: django-prometheus's request, latency and query metrics, plus the application's
own figures read at scrape time (queue depth, outbox, jobs, findings, audit chain) and a counter of
failed logins. Served at /metrics to a scraper that sends `Authorization: Bearer <METRICS_TOKEN>`.

Names (the Grafana dashboard in deploy/ and the README's alerts use them):
- django_http_requests_total_by_view_transport_method_total, django_http_responses_total_by_status_view_method_total,
  django_http_requests_latency_seconds_by_view_method (django-prometheus), django_db_execute_total;
- dibao_celery_queue_length{queue}, dibao_outbox_pending_messages, dibao_outbox_oldest_pending_age_seconds,
  dibao_outbox_set_aside_messages, dibao_jobs{state}, dibao_overlap_findings_open{rule},
  dibao_failed_logins_total, dibao_audit_chain_intact, dibao_audit_chain_last_check_timestamp_seconds.
"""

import hmac
import logging

import prometheus_client
import redis
from django.conf import settings
from django.db.models import Count, Min
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import Counter, multiprocess
from prometheus_client.core import GaugeMetricFamily

from audit.models import AuditChainCheck
from jobs.models import Job, JobStatus, OutboxMessage
from jobs.outbox import pending
from overlaps.models import FlagStatus, OverlapFlag, RuleCode

logger = logging.getLogger(__name__)

FAILED_LOGINS = Counter("dibao_failed_logins", "Failed logins (login page and API token), locked-out ones included")

# kombu's Redis transport keeps one list per queue and priority step ("celery", "celery\x06\x163", ...).
QUEUES = ("celery",)
PRIORITY_SEPARATOR = "\x06\x16"
PRIORITY_STEPS = (0, 3, 6, 9)


def count_failed_login(sender=None, credentials=None, request=None, **kwargs):
    FAILED_LOGINS.inc()


def queue_lengths(url: str) -> dict[str, int]:
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return {queue: sum(client.llen(queue if step == 0 else f"{queue}{PRIORITY_SEPARATOR}{step}")
                           for step in PRIORITY_STEPS) for queue in QUEUES}
    finally:
        client.close()


class ApplicationCollector:
    """The application's figures, read from the database (and Redis) when Prometheus scrapes."""

    def collect(self):
        now = timezone.now()
        if settings.REDIS_URL:
            queue = GaugeMetricFamily("dibao_celery_queue_length", "Tasks waiting in the Celery queue", labels=["queue"])
            try:
                for name, length in queue_lengths(settings.REDIS_URL).items():
                    queue.add_metric([name], length)
            except redis.RedisError as exc:
                logger.warning("metrics: Redis did not answer: %s", exc)
            yield queue

        waiting = pending().aggregate(n=Count("id"), oldest=Min("created_at"))
        yield GaugeMetricFamily("dibao_outbox_pending_messages", "Outbox messages not yet sent", value=waiting["n"])
        age = (now - waiting["oldest"]).total_seconds() if waiting["oldest"] else 0
        yield GaugeMetricFamily("dibao_outbox_oldest_pending_age_seconds", "Age of the oldest unsent outbox message",
                                value=age)
        yield GaugeMetricFamily("dibao_outbox_set_aside_messages", "Outbox messages set aside after repeated failures",
                                value=OutboxMessage.objects.filter(sent_at__isnull=True,
                                                                   set_aside_at__isnull=False).count())

        jobs = GaugeMetricFamily("dibao_jobs", "Background jobs by state", labels=["state"])
        by_state = dict(Job.objects.values_list("status").annotate(n=Count("id")).order_by())
        for state in JobStatus.values:
            jobs.add_metric([state], by_state.get(state, 0))
        yield jobs

        findings = GaugeMetricFamily("dibao_overlap_findings_open", "Open shared-registry findings by rule",
                                     labels=["rule"])
        by_rule = dict(OverlapFlag.objects.filter(status=FlagStatus.OPEN).values_list("rule")
                       .annotate(n=Count("id")).order_by())
        for rule in RuleCode.values:
            findings.add_metric([rule], by_rule.get(rule, 0))
        yield findings

        check = AuditChainCheck.objects.order_by("-checked_at", "-id").first()
        if check is not None:
            yield GaugeMetricFamily("dibao_audit_chain_intact", "1 when the last verification found the chain intact",
                                    value=int(check.ok))
            yield GaugeMetricFamily("dibao_audit_chain_last_check_timestamp_seconds",
                                    "When the audit chain was last verified", value=check.checked_at.timestamp())


def _authorized(request) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@never_cache
def metrics_view(request):
    """The Prometheus text format. 404 while METRICS_TOKEN is unset; 401 without the right token."""
    if not settings.METRICS_TOKEN:
        raise Http404
    if not _authorized(request):
        response = HttpResponse("unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if settings.PROMETHEUS_MULTIPROC_DIR:
        # Several gunicorn workers: add up what each process wrote to the shared directory.
        processes = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
    else:
        processes = prometheus_client.REGISTRY
    application = prometheus_client.CollectorRegistry()
    application.register(ApplicationCollector())
    body = prometheus_client.generate_latest(processes) + prometheus_client.generate_latest(application)
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
