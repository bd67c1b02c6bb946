import importlib
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dibao.settings")

app = Celery("dibao")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Each app that runs periodic work declares BEAT_SCHEDULE in `<app>/schedule.py`.
SCHEDULE_MODULES = ["jobs.schedule", "cases.schedule", "recipients.schedule", "overlaps.schedule", "reports.schedule",
                    "poverty_registry.schedule"]


@app.on_after_finalize.connect
def collect_beat_schedule(sender, **kwargs):
    for name in SCHEDULE_MODULES:
        sender.conf.beat_schedule.update(importlib.import_module(name).BEAT_SCHEDULE)
