from celery.schedules import crontab

BEAT_SCHEDULE = {
    "poverty-registry-delete-expired-import-error-files": {
        "task": "poverty_registry.tasks.delete_expired_import_error_files",
        "schedule": crontab(minute=23),
    },
}
