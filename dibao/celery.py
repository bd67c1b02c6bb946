import importlib
import os

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

from dibao.middleware import current_request_context, reset_request_context, set_request_context

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dibao.settings")

app = Celery("dibao")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Each app that runs periodic work declares BEAT_SCHEDULE in `<app>/schedule.py`.
SCHEDULE_MODULES = ["jobs.schedule", "audit.schedule", "cases.schedule", "recipients.schedule", "overlaps.schedule",
                    "reports.schedule", "poverty_registry.schedule", "golive.schedule"]


@app.on_after_finalize.connect
def collect_beat_schedule(sender, **kwargs):
    for name in SCHEDULE_MODULES:
        sender.conf.beat_schedule.update(importlib.import_module(name).BEAT_SCHEDULE)


# The request id travels with the task: the publishing side puts it in the message's headers, the worker
# binds it while the task runs, so the task's log lines and audit events carry the id of the request
# that queued it. (An eager task runs inside the request and keeps its context as it is.)
REQUEST_ID_HEADER = "dibao_request_id"


@before_task_publish.connect
def _attach_request_id(headers=None, **kwargs):
    request_id = current_request_context().get("request_id")
    if headers is not None and request_id:
        headers.setdefault(REQUEST_ID_HEADER, request_id)


@task_prerun.connect
def _bind_request_id(task=None, **kwargs):
    request_id = getattr(task.request, REQUEST_ID_HEADER, None) or (task.request.headers or {}).get(REQUEST_ID_HEADER)
    if request_id and not task.request.is_eager:
        task.request._dibao_context_token = set_request_context({"request_id": request_id, "ip": None,
                                                                  "user_id": None})


@task_postrun.connect
def _unbind_request_id(task=None, **kwargs):
    token = getattr(task.request, "_dibao_context_token", None)
    if token is not None:
        reset_request_context(token)
        task.request._dibao_context_token = None
