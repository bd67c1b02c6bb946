from celery import shared_task

from reports import changes
from reports.dashboard import warm_case_figures
from reports.services import export_run, exports_delete_expired


@shared_task(runs_long=True)
def run_export(export_id: int) -> None:
    export_run(export_id=export_id)


@shared_task
def delete_expired_exports() -> int:
    return exports_delete_expired()


@shared_task
def refresh_dashboard_cache() -> int:
    """Nightly: fold the change rows (reports/changes.py) and compute today's case figures of every
    county, so the first dashboard of the day is served from the cache."""
    changes.compact()
    return warm_case_figures()
