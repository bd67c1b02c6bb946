from celery.schedules import crontab

BEAT_SCHEDULE = {
    "reports-delete-expired-exports": {
        "task": "reports.tasks.delete_expired_exports",
        "schedule": crontab(minute=17),
    },
    # After cases.close_due_notices (00:15), which moves cases on at the start of the day.
    "reports-refresh-dashboard-cache": {
        "task": "reports.tasks.refresh_dashboard_cache",
        "schedule": crontab(hour=0, minute=40),
    },
}
