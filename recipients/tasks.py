"""Beat tasks: take plain values (an ISO date for time travel), call the service, idempotent."""

from datetime import date

from celery import shared_task
from django.utils import timezone

from recipients.services import gradual_exits_close, payment_roll_run, reviews_create_due


def _day(value: str | None) -> date:
    return date.fromisoformat(value) if value else timezone.localdate()


@shared_task
def create_due_reviews(today: str | None = None) -> int:
    return reviews_create_due(today=_day(today))


@shared_task
def close_finished_gradual_exits(today: str | None = None) -> int:
    return gradual_exits_close(today=_day(today))


@shared_task(acks_late=True, runs_long=True)
def generate_payment_roll(job_id: int) -> None:
    payment_roll_run(job_id=job_id)
