"""The Celery beat schedule, as assembled from every app's schedule.py (dibao/celery.py).

The schedule is written out here literally, so adding, dropping or moving an entry is a visible
change to this test; and each entry, looked up by its name in the assembled schedule, runs the way
beat runs it (by task name, no arguments) and does its job on the real database.
"""

from datetime import date, timedelta
from pathlib import Path

import pytest
import time_machine
from celery.schedules import crontab
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import CaseStatus, PublicNotice
from dibao.celery import app
from jobs.models import Job, JobStatus, OutboxMessage
from jobs.services import job_create, job_start
from overlaps.models import OverlapFlag, RuleCode
from recipients.models import RecipientPolicy, Review
from recipients.services import case_exit
from reports.dashboard import dashboard_data
from reports.models import Export
from tests.cases.conftest import TODAY, investigator, new_draft, walker  # noqa: F401 - fixtures close_due_notices asks for
from tests.cases.factories import make_household, make_standard
from tests.overlaps import builders
from tests.recipients.factories import make_case
from tests.reports.factories import make_case as make_report_case

EXPECTED = {
    "jobs-fail-stale": ("jobs.tasks.fail_stale_jobs", timedelta(minutes=5)),
    "jobs-flush-outbox": ("jobs.tasks.flush_outbox_task", timedelta(minutes=1)),
    "cases-close-due-notices": ("cases.tasks.close_due_notices", crontab(hour=0, minute=15)),
    "reports-refresh-dashboard-cache": ("reports.tasks.refresh_dashboard_cache", crontab(hour=0, minute=40)),
    "recipients-create-due-reviews": ("recipients.tasks.create_due_reviews", crontab(hour=1, minute=10)),
    "recipients-close-finished-gradual-exits": ("recipients.tasks.close_finished_gradual_exits",
                                                crontab(hour=1, minute=20)),
    "overlaps-nightly-scan": ("overlaps.tasks.nightly_scan", crontab(hour=2, minute=30)),
    "reports-delete-expired-exports": ("reports.tasks.delete_expired_exports", crontab(minute=17)),
    "poverty-registry-delete-expired-import-error-files": (
        "poverty_registry.tasks.delete_expired_import_error_files", crontab(minute=23)),
    "audit-verify-chain": ("audit.tasks.verify_audit_chain", crontab(hour=3, minute=30)),
    "golive-discard-expired-dry-runs": ("golive.tasks.discard_expired_dry_runs", crontab(minute=29)),
}


def beat_schedule() -> dict:
    app.finalize()  # the schedule is collected when the app is finalised, as in `celery beat`
    return app.conf.beat_schedule


def test_the_beat_schedule_is_exactly_this():
    assert {name: (entry["task"], entry["schedule"]) for name, entry in beat_schedule().items()} == EXPECTED


def run_entry(name: str):
    """What beat does at the entry's time: send its task by name, without arguments (eager here)."""
    entry = beat_schedule()[name]
    assert not entry.get("args") and not entry.get("kwargs")
    app.loader.import_default_modules()  # every app's tasks, as a worker registers them
    return app.tasks[entry["task"]].apply(throw=True).get()


# -- each entry does its job ---------------------------------------------------------------------

def fail_stale(request):
    officer = request.getfixturevalue("county_officer")
    stale, live = (job_create(actor=officer, kind="export") for _ in range(2))
    for job in (stale, live):
        job_start(job_id=job.pk)
    Job.objects.filter(pk=stale.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    yield
    assert Job.objects.get(pk=stale.pk).status == JobStatus.FAILED
    assert Job.objects.get(pk=live.pk).status == JobStatus.RUNNING


def flush_outbox(request):
    waiting = OutboxMessage.objects.create(task_name="jobs.tasks.fail_stale_jobs", attempts=1,
                                           last_error="Connection refused.")
    yield
    waiting.refresh_from_db()
    assert waiting.sent_at is not None and waiting.attempts == 2


def close_due_notices(request):
    make_standard(request.getfixturevalue("county"))
    cases_walker = request.getfixturevalue("walker")
    village, staff = request.getfixturevalue("village"), request.getfixturevalue("village_staff")
    due, running = (cases_walker.to(new_draft(staff, make_household(village)), CaseStatus.IN_NOTICE) for _ in range(2))
    PublicNotice.objects.filter(case=due).update(starts_on=TODAY - timedelta(days=9), ends_on=TODAY - timedelta(days=2))
    PublicNotice.objects.filter(case=running).update(starts_on=TODAY - timedelta(days=1), ends_on=TODAY + timedelta(days=5))
    yield
    for case in (due, running):
        case.refresh_from_db()
    assert (due.status, running.status) == (CaseStatus.AWAITING_DECISION, CaseStatus.IN_NOTICE)


def _recipient_policy(county):
    RecipientPolicy.objects.create(county=county, effective_from="2020-01-01", review_months_a=12, review_months_b=12,
                                   review_months_c=6, gradual_exit_schedule=[100, 100, 80, 80, 60, 60],
                                   gradual_exit_schedule_poverty_roster=[100] * 12)


def create_due_reviews(request):
    village, officer = request.getfixturevalue("village"), request.getfixturevalue("county_officer")
    _recipient_policy(request.getfixturevalue("county"))
    due = make_case(village, officer, category="C", first_payment_month=date(2026, 1, 1))
    not_yet = make_case(village, officer, category="A", first_payment_month=date(2026, 1, 1))
    with time_machine.travel(date(2026, 7, 1), tick=False):
        yield
    assert [(r.case_id, r.due_date) for r in Review.objects.all()] == [(due.pk, date(2026, 7, 1))]
    assert not Review.objects.filter(case=not_yet).exists()


def close_finished_gradual_exits(request):
    village, officer = request.getfixturevalue("village"), request.getfixturevalue("county_officer")
    _recipient_policy(request.getfixturevalue("county"))
    ended, paying = (make_case(village, officer, first_payment_month=date(2025, 1, 1)) for _ in range(2))
    case_exit(actor=officer, case=ended, kind="income_above_line", reason="务工", effective_month=date(2026, 3, 1),
              on_poverty_roster=False)  # six months: paid up to August
    case_exit(actor=officer, case=paying, kind="income_above_line", reason="务工", effective_month=date(2026, 6, 1),
              on_poverty_roster=False)
    with time_machine.travel(date(2026, 9, 1), tick=False):
        yield
    for case in (ended, paying):
        case.refresh_from_db()
    assert (ended.status, paying.status) == (CaseStatus.CLOSED, CaseStatus.GRADUAL_EXIT)


def nightly_scan(request):
    village, officer = request.getfixturevalue("village"), request.getfixturevalue("county_officer")
    person = builders.person()
    first = builders.household(village, [person])
    second = builders.household(request.getfixturevalue("other_village"), [builders.person(name="李四")])
    builders.member(second, person, is_active=False)
    builders.case(first, officer)
    builders.case(second, officer, status="submitted")
    # The scan job is queued through the outbox: its run comes after the beat task's commit.
    with request.getfixturevalue("django_capture_on_commit_callbacks")(execute=True):
        yield
    assert list(OverlapFlag.objects.values_list("rule", "subject_key")) == [(RuleCode.DOUBLE_DIBAO, f"p:{person.pk}")]


def delete_expired_exports(request):
    settings, officer = request.getfixturevalue("settings"), request.getfixturevalue("county_officer")
    settings.VAR_DIR = request.getfixturevalue("tmp_path")
    files = []
    for name, expires in (("old.csv", timezone.now() - timedelta(hours=1)), ("new.csv", timezone.now() + timedelta(hours=1))):
        path = Path(settings.VAR_DIR) / "exports" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("a,b\n")
        Export.objects.create(report="case_register", format="csv", requested_by=officer, file=f"exports/{name}",
                              expires_at=expires)
        files.append(path)
    yield
    assert [path.exists() for path in files] == [False, True]
    assert list(Export.objects.order_by("file").values_list("file", "file_deleted")) == [
        ("exports/new.csv", False), ("exports/old.csv", True)]


def delete_expired_import_error_files(request):
    settings, officer = request.getfixturevalue("settings"), request.getfixturevalue("county_officer")
    settings.VAR_DIR = request.getfixturevalue("tmp_path")
    jobs, files = [], []
    for name, hours_ago in (("old", 73), ("new", 71)):
        path = Path(settings.VAR_DIR) / "imports" / f"registry-import-{name}-errors.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("row,column\n")
        job = job_create(actor=officer, kind="poverty_registry_import")
        Job.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED, result_file=f"imports/{path.name}",
                                             finished_at=timezone.now() - timedelta(hours=hours_ago))
        jobs.append(job)
        files.append(path)
    yield
    assert [path.exists() for path in files] == [False, True]
    assert [Job.objects.get(pk=job.pk).result_file for job in jobs] == ["", "imports/registry-import-new-errors.csv"]


def refresh_dashboard_cache(request):
    village = request.getfixturevalue("village")
    make_report_case(village, request.getfixturevalue("county_officer"), status="active", size=2, amount="100")
    cache.clear()
    yield
    with CaptureQueriesContext(connection) as queries:
        assert dashboard_data(village)["totals"]["recipient_households"] == 1
    assert not [q for q in queries.captured_queries if 'FROM "cases_case"' in q["sql"]]  # served from the cache


def verify_audit_chain(request):
    from audit import services as audit
    from audit.models import AuditChainCheck, AuditChainLink

    village, staff = request.getfixturevalue("village"), request.getfixturevalue("village_staff")
    events = [audit.record(actor=staff, action="test.write", obj=village, after={"n": n}) for n in range(3)]
    yield
    # Every event (never committed in this test, so never sealed after commit) is chained and verified.
    assert list(AuditChainLink.objects.order_by("seq").values_list("event_id", flat=True)) == [e.pk for e in events]
    check = AuditChainCheck.objects.get()
    assert (check.ok, check.links_checked) == (True, 3)


def discard_expired_dry_runs(request):
    from golive.models import BatchStatus, RosterBatch, StagedRow

    settings, officer = request.getfixturevalue("settings"), request.getfixturevalue("county_officer")
    settings.ROSTER_DRY_RUN_EXPIRY_DAYS = 7
    batches = []
    for days in (8, 6):
        batch = RosterBatch.objects.create(county_code=officer.division.code, filename=f"r{days}.csv",
                                           created_by=officer, status=BatchStatus.CHECKED)
        RosterBatch.objects.filter(pk=batch.pk).update(created_at=timezone.now() - timedelta(days=days))
        StagedRow.objects.create(batch=batch, row=2, household_code="H1")
        batches.append(batch)
    yield
    assert [RosterBatch.objects.get(pk=b.pk).status for b in batches] == [BatchStatus.DISCARDED, BatchStatus.CHECKED]
    assert list(StagedRow.objects.values_list("batch_id", flat=True)) == [batches[1].pk]


JOBS = {
    "jobs-fail-stale": fail_stale,
    "jobs-flush-outbox": flush_outbox,
    "cases-close-due-notices": close_due_notices,
    "reports-refresh-dashboard-cache": refresh_dashboard_cache,
    "recipients-create-due-reviews": create_due_reviews,
    "recipients-close-finished-gradual-exits": close_finished_gradual_exits,
    "overlaps-nightly-scan": nightly_scan,
    "reports-delete-expired-exports": delete_expired_exports,
    "poverty-registry-delete-expired-import-error-files": delete_expired_import_error_files,
    "audit-verify-chain": verify_audit_chain,
    "golive-discard-expired-dry-runs": discard_expired_dry_runs,
}


def test_every_entry_has_a_job_test_below():
    assert set(JOBS) == set(EXPECTED)


@pytest.mark.parametrize("name", [
    # The dashboard cache serves committed data only: that entry's test commits.
    pytest.param(name, marks=[pytest.mark.postgres, pytest.mark.django_db(transaction=True)])
    if name == "reports-refresh-dashboard-cache" else pytest.param(name, marks=pytest.mark.django_db)
    for name in EXPECTED])
def test_each_scheduled_task_does_its_job(name, request):
    check = JOBS[name](request)
    next(check)  # prepared
    run_entry(name)
    with pytest.raises(StopIteration):
        next(check)  # the effect asserted
