from celery.schedules import crontab

BEAT_SCHEDULE = {
    # After the night's batch jobs (the overlap scan at 02:30): walk the whole hash chain.
    "audit-verify-chain": {"task": "audit.tasks.verify_audit_chain", "schedule": crontab(hour=3, minute=30)},
}
