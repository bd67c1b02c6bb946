from datetime import timedelta

BEAT_SCHEDULE = {
    "jobs-fail-stale": {"task": "jobs.tasks.fail_stale_jobs", "schedule": timedelta(minutes=5)},
}
