from celery.schedules import crontab

BEAT_SCHEDULE = {
    "overlaps-nightly-scan": {"task": "overlaps.tasks.nightly_scan", "schedule": crontab(hour=2, minute=30)},
}
