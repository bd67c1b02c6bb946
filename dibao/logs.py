"""Structured logs: one JSON object a line, with the request id of the request or task that wrote it.

python-json-logger does the formatting; this module adds what every line carries (the request id, the
acting user's numeric id, the Celery task) and takes resident ID numbers out of whatever is logged. A
name or an ID number is never put in a log line on purpose; the redaction catches the accidental ones
(an exception message quoting a form value).
"""

import logging
from datetime import UTC, datetime

from celery import current_task
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from dibao.middleware import current_request_context
from dibao.redaction import redact


def _current_task():
    task = current_task._get_current_object()
    return task if task is not None and getattr(task, "request", None) else None


class RequestContextFilter(logging.Filter):
    """Adds request_id, user_id and (in a worker) task and task_id to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = current_request_context()
        if not hasattr(record, "request_id"):
            record.request_id = context.get("request_id", "")
        if not hasattr(record, "user_id"):
            record.user_id = context.get("user_id")
        task = _current_task()
        if task is not None and task.request.id and not hasattr(record, "task"):
            record.task = task.name
            record.task_id = task.request.id
        return True


class JsonFormatter(_JsonFormatter):
    """time, level, logger, message, then the record's extra fields; ID numbers redacted."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)

    def add_fields(self, log_data, record, message_dict):
        super().add_fields(log_data, record, message_dict)
        log_data["time"] = datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        for key in list(log_data):
            value = log_data[key]
            if not isinstance(value, (str, int, float, bool, dict, list, tuple, type(None))):
                value = str(value)  # e.g. Django's `request` extra, whose repr holds the query string
            log_data[key] = redact(value)
        # The keys first, in a fixed order, so a line reads the same way every time.
        ordered = {key: log_data.pop(key) for key in ("time", "level", "logger", "message") if key in log_data}
        ordered.update(log_data)
        log_data.clear()
        log_data.update(ordered)

    def formatException(self, ei):  # noqa: N802 - logging's name
        return redact(super().formatException(ei))

    def formatStack(self, stack_info):  # noqa: N802 - logging's name
        return redact(super().formatStack(stack_info))


class TextFormatter(logging.Formatter):
    """The plain alternative (LOG_FORMAT=text), redacted the same way."""

    def format(self, record):
        return redact(super().format(record))
