from celery import shared_task

from reports.services import export_run, exports_delete_expired


@shared_task
def run_export(export_id: int) -> None:
    export_run(export_id=export_id)


@shared_task
def delete_expired_exports() -> int:
    return exports_delete_expired()
