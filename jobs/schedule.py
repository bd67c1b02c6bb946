from datetime import timedelta

BEAT_SCHEDULE = {
    "jobs-fail-stale": {"task": "jobs.tasks.fail_stale_jobs", "schedule": timedelta(minutes=5)},
    "jobs-flush-outbox": {"task": "jobs.tasks.flush_outbox_task", "schedule": timedelta(minutes=1)},
}
