from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Dry runs left unconfirmed for ROSTER_DRY_RUN_EXPIRY_DAYS: their staged rows (ID numbers) are deleted.
    "golive-discard-expired-dry-runs": {
        "task": "golive.tasks.discard_expired_dry_runs",
        "schedule": crontab(minute=29),
    },
}
