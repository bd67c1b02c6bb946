from celery.schedules import crontab

BEAT_SCHEDULE = {
    "cases-close-due-notices": {"task": "cases.tasks.close_due_notices", "schedule": crontab(hour=0, minute=15)},
}
