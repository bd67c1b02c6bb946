"""The log shape: JSON lines with time, level, logger, message, request id, user id (never a username or
an ID number), path, status, duration; the same request id in the audit event and in the log lines of a
task the request queued."""

import io
import json
import logging

import pytest
from celery.app.trace import build_tracer
from celery.signals import before_task_publish

from audit import services as audit
from audit.models import AuditEvent
from dibao.celery import REQUEST_ID_HEADER, app
from dibao.logs import JsonFormatter, RequestContextFilter
from dibao.middleware import current_request_context, reset_request_context, set_request_context

pytestmark = pytest.mark.django_db

ID_NUMBER = "370283198005010011"


@pytest.fixture
def lines():
    """The JSON lines the configured formatter and filter write, from every logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


def test_one_line_per_request_with_its_id_user_path_status_and_duration(web, village_staff, village, lines):
    response = web(village_staff).get(f"/households/?q={ID_NUMBER}", HTTP_X_REQUEST_ID="req-42")
    assert response.status_code == 200
    [line] = [entry for entry in lines() if entry["logger"] == "dibao.request"]
    assert list(line)[:4] == ["time", "level", "logger", "message"]
    assert line["time"].endswith("+00:00") and line["level"] == "INFO" and line["message"] == "request"
    assert (line["request_id"], line["user_id"], line["method"], line["path"], line["status"]) == (
        "req-42", village_staff.pk, "GET", "/households/", 200)
    assert line["view"] == "households:list"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    text = json.dumps(line, ensure_ascii=False)
    assert village_staff.username not in text and ID_NUMBER not in text


def test_anonymous_requests_log_no_user_and_a_fresh_request_id(client, lines):
    response = client.get("/healthz")
    [line] = [entry for entry in lines() if entry["logger"] == "dibao.request"]
    assert line["user_id"] is None
    assert line["request_id"] == response["X-Request-ID"] and len(line["request_id"]) == 32


def test_a_client_request_id_with_odd_characters_is_replaced(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID='x"; DROP\n')
    assert len(response["X-Request-ID"]) == 32 and response["X-Request-ID"].isalnum()


def test_id_numbers_are_redacted_from_messages_fields_and_tracebacks(lines):
    logger = logging.getLogger("dibao.test")
    logger.warning("lookup of %s failed", ID_NUMBER, extra={"detail": {"ids": [ID_NUMBER, "15-digit 370283800501001"]}})
    try:
        raise ValueError(f"bad number {ID_NUMBER}")
    except ValueError:
        logger.exception("boom")
    first, second = [entry for entry in lines() if entry["logger"] == "dibao.test"]
    assert first["message"] == "lookup of [redacted] failed"
    assert first["detail"] == {"ids": ["[redacted]", "15-digit [redacted]"]}
    assert "ValueError: bad number [redacted]" in second["exc_info"]
    assert ID_NUMBER not in json.dumps([first, second])


def test_objects_in_extra_fields_are_redacted_too(lines):
    class Request:
        def __repr__(self):
            return f"<WSGIRequest: GET '/households/?q={ID_NUMBER}'>"

    logging.getLogger("dibao.test").error("Internal Server Error", extra={"request": Request()})
    [line] = [entry for entry in lines() if entry["logger"] == "dibao.test"]
    assert line["request"] == "<WSGIRequest: GET '/households/?q=[redacted]'>"


def test_the_audit_event_carries_the_request_id(api, county_officer, county):
    response = api(county_officer).post("/api/v1/standards/", {"county": county.code, "monthly_amount": "800",
                                                                "effective_from": "2026-01-01"},
                                        format="json", HTTP_X_REQUEST_ID="req-audit-7")
    assert response.status_code == 201, response.content
    assert list(AuditEvent.objects.values_list("request_id", flat=True)) == ["req-audit-7"]


@app.task(name="tests.ops.log_something")
def log_something():
    logging.getLogger("dibao.test.task").warning("working")
    event = audit.record(actor=None, action="test.task", object_type="test", object_id=1)
    return event.request_id


def test_a_task_logs_and_audits_under_the_request_id_that_queued_it(lines):
    """The publishing side puts the id in the message headers; the worker binds it while the task runs."""
    headers = {}
    token = set_request_context({"request_id": "req-from-page", "ip": None, "user_id": 5})
    try:
        before_task_publish.send(sender=log_something.name, body=None, exchange="", routing_key="celery",
                                 headers=headers, properties={}, declare=[], retry_policy=None)
    finally:
        reset_request_context(token)
    assert headers == {REQUEST_ID_HEADER: "req-from-page"}
    assert current_request_context() == {}

    # What a worker does with that message (Celery's own tracer, not eager: a real delivery).
    tracer = build_tracer(log_something.name, log_something, eager=False, propagate=True, app=app)
    result = tracer("task-1", (), {}, {"id": "task-1", "task": log_something.name, "delivery_info": {}, **headers})
    request_id = result.retval
    assert request_id == "req-from-page"
    [line] = [entry for entry in lines() if entry["logger"] == "dibao.test.task"]
    assert (line["request_id"], line["task"], line["task_id"]) == ("req-from-page", "tests.ops.log_something",
                                                                    "task-1")
    assert current_request_context() == {}  # unbound after the task
