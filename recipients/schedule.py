from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Early in the morning, before staff open their queues.
    "recipients-create-due-reviews": {"task": "recipients.tasks.create_due_reviews",
                                      "schedule": crontab(hour=1, minute=10)},
    "recipients-close-finished-gradual-exits": {"task": "recipients.tasks.close_finished_gradual_exits",
                                                "schedule": crontab(hour=1, minute=20)},
}
