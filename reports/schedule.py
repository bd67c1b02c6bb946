from celery.schedules import crontab

BEAT_SCHEDULE = {
    "reports-delete-expired-exports": {
        "task": "reports.tasks.delete_expired_exports",
        "schedule": crontab(minute=17),
    },
}
