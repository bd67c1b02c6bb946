from celery import shared_task

from poverty_registry.services import import_run


@shared_task(acks_late=True, runs_long=True)
def import_registry_file(job_id: int) -> None:
    import_run(job_id=job_id)
