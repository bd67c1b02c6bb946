from celery import shared_task

from poverty_registry.services import import_error_files_delete_expired, import_run


@shared_task(acks_late=True, runs_long=True)
def import_registry_file(job_id: int) -> None:
    import_run(job_id=job_id)


@shared_task
def delete_expired_import_error_files() -> int:
    return import_error_files_delete_expired()
