"""Exports: request (stream at once or queue a job), run the job, delete expired files.

Every export is written to the access log (who, which report, filters, row count, purpose).
Full ID numbers appear only when the requester states a purpose; the purpose is logged.
"""

import queue
import threading
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.scoping import require_role
from audit.disclosure import validate_disclosure
from audit.services import record_access
from dibao import filecrypt
from dibao.db_router import reporting_db
from dibao.errors import DomainError
from dibao.spreadsheets import spreadsheet_writer, write_csv, write_xlsx
from jobs import services as job_services
from jobs.models import JobStatus
from jobs.outbox import dispatch
from reports.definitions import ReportDefinition, convert_rows, get_report
from reports.filters import ReportFilterForm, ReportFilters
from reports.models import Export, ExportFormat

EXPORT_ROLES = (Role.AUDITOR, Role.COUNTY_OFFICER)
REPORT_ROLES = (Role.AUDITOR, Role.COUNTY_OFFICER)
CHUNK_SIZE = 2000


def stream_threshold() -> int:
    """Exports with fewer rows than this stream at once; larger ones run as a job."""
    return settings.EXPORT_STREAM_MAX_ROWS


def export_dir() -> Path:
    path = Path(settings.VAR_DIR) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def resolve_report(key: str) -> ReportDefinition:
    definition = get_report(key or "")
    if definition is None:
        raise DomainError(_("There is no report called “%(key)s”.") % {"key": str(key)[:40]},
                          code="unknown_report", fields={"report": [_("Unknown report.")]})
    return definition


def parse_filters(*, user, definition: ReportDefinition, data: dict) -> ReportFilters:
    if not isinstance(data, dict):
        raise DomainError(_("Filters must be an object."), fields={"filters": [_("Filters must be an object.")]})
    form = ReportFilterForm({k: v for k, v in data.items() if isinstance(v, str | int)}, user=user,
                            status_choices=definition.status_choices())
    unknown = sorted(set(data) - set(form.fields))
    if unknown:
        raise DomainError(_("Unknown filter: %(names)s.") % {"names": ", ".join(map(str, unknown))},
                          fields={"filters": [_("Unknown filter: %(names)s.") % {"names": ", ".join(map(str, unknown))}]})
    if not form.is_valid():
        fields = {f"filters.{name}": [str(m) for m in errors] for name, errors in form.errors.items()}
        raise DomainError(_("Check the filters."), fields=fields)
    return form.filters()


def export_rows(definition: ReportDefinition, *, user, filters: ReportFilters, unmasked: bool,
                using: str | None = None):
    """The export's rows, read through a server-side cursor in chunks of CHUNK_SIZE.

    On PostgreSQL the cursor runs in its own transaction with cursor_tuple_fraction = 1: the
    planner then plans for reading every row (hash joins, one sort) instead of the first 10%,
    which makes a full export about 2.5 times faster. Outside a transaction Django would declare
    the cursor WITH HOLD, which materialises the whole result on the server first.
    """
    db = using or reporting_db()
    qs = definition.queryset(user, filters, using=db)
    converters = definition.converters(unmasked=unmasked, using=db)
    if connections[db].vendor != "postgresql":
        yield from convert_rows(qs.iterator(chunk_size=CHUNK_SIZE), converters)
        return
    with transaction.atomic(using=db):
        with connections[db].cursor() as cursor:
            cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        yield from convert_rows(read_ahead(qs, db), converters)


_DONE = object()


def read_ahead(qs, db: str, *, chunk_size: int = CHUNK_SIZE, depth: int = 2):
    """The rows of `qs` (inside the caller's transaction on `db`), fetched by a thread that stays one or two
    chunks ahead of the caller, so the database computes the next chunk while Python formats this one
    instead of the two taking turns (psycopg2 releases the GIL while it waits). The thread uses the caller's
    connection (its transaction and server-side cursor) and nothing else touches that connection until
    the rows are read; memory stays at `depth` + 1 chunks. Stopping early (a client gone) stops the thread
    and closes the cursor."""
    connection = connections[db]
    chunks: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce():
        connections[db] = connection  # this thread's handle on the caller's connection
        try:
            rows = qs.iterator(chunk_size=chunk_size)
            batch = []
            for row in rows:
                batch.append(row)
                if len(batch) >= chunk_size:
                    chunks.put(batch)
                    batch = []
                    if stop.is_set():
                        rows.close()
                        return
            if batch:
                chunks.put(batch)
            chunks.put(_DONE)
        except BaseException as exc:  # handed to the caller, raised there
            chunks.put(exc)

    connection.inc_thread_sharing()
    thread = threading.Thread(target=produce, name="export-read-ahead", daemon=True)
    thread.start()
    try:
        while (batch := chunks.get()) is not _DONE:
            if isinstance(batch, BaseException):
                raise batch
            yield from batch
    finally:
        stop.set()
        while thread.is_alive():  # let a producer blocked on a full queue finish
            try:
                chunks.get(timeout=0.05)
            except queue.Empty:
                pass
        thread.join()
        connection.dec_thread_sharing()


@transaction.atomic
def export_request(*, actor, report: str, fmt: str, filters: dict, purpose: str = "",
                   purpose_note: str = "") -> Export:
    """Record an export and, when it is large, queue the job that writes the file.

    Returns the Export; `export.streamed` says the caller should stream it at once.
    """
    require_role(actor, *EXPORT_ROLES)
    definition = resolve_report(report)
    if fmt not in ExportFormat.values:
        raise DomainError(_("Choose CSV or XLSX."), fields={"format": [_("Choose csv or xlsx.")]})
    parsed = parse_filters(user=actor, definition=definition, data=filters or {})
    purpose = (purpose or "").strip()
    if purpose:
        # Full ID numbers need a purpose from the list and a note, as a reveal does (audit/disclosure.py).
        code, note = validate_disclosure(purpose, purpose_note, note_field="purpose_note")
        purpose = f"{code}: {note}"
    if purpose and not definition.has_id_numbers:
        purpose = ""  # nothing to unmask; do not log a purpose that unlocked nothing
    row_count = definition.queryset(actor, parsed, using=reporting_db()).count()
    streamed = row_count < stream_threshold()
    division_code = parsed.division.code if parsed.division else (actor.division.code if actor.division_id else "")
    export = Export.objects.create(
        report=definition.key, format=fmt, filters=parsed.as_dict(), division_code=division_code,
        requested_by=actor, purpose=purpose[:300], row_count=row_count, streamed=streamed,
        expires_at=timezone.now() + timedelta(hours=settings.DATA_RETENTION_EXPORT_HOURS),
    )
    with translation.override(None):  # the title's source text: the access log shows it in the reader's language
        title = str(definition.title)
    record_access(user=actor, action="export", obj=export, division_code=division_code, detail={
        "report": definition.key, "report_title": title, "format": fmt, "filters": parsed.as_dict(), "row_count": row_count,
        "purpose": purpose, "id_numbers": ("full" if purpose else "masked") if definition.has_id_numbers else "none",
        "delivery": "stream" if streamed else "job",
    })
    if not streamed:
        job = job_services.job_create(actor=actor, kind="export", division_code=division_code,
                                      params={"export": export.pk, "report": definition.key})
        export.job = job
        export.save(update_fields=["job"])
        dispatch("reports.tasks.run_export", export.pk, job=job)
    return export


def export_file_name(export: Export) -> str:
    return f"{export.report}-{export.created_at:%Y%m%d-%H%M%S}-{export.pk}.{export.format}"


@spreadsheet_writer("reports.export_file")
def export_write_file(*, export: Export, on_rows=None) -> Path:
    """Write the export's file under VAR_DIR/exports, encrypted, 0600, atomically (dibao.filecrypt)."""
    definition = resolve_report(export.report)
    filters = parse_filters(user=export.requested_by, definition=definition, data=export.filters)
    rows = export_rows(definition, user=export.requested_by, filters=filters, unmasked=export.unmasked)
    path = export_dir() / export_file_name(export)
    with filecrypt.writer(path) as target:
        if export.format == ExportFormat.CSV:
            write_csv(target, definition.headers(), rows, on_rows=on_rows)
        else:
            write_xlsx(target, definition.headers(), rows, title=str(definition.title), on_rows=on_rows)
    return path


def export_run(*, export_id: int) -> None:
    """The job body: idempotent (a finished job is not redone)."""
    export = Export.objects.select_related("requested_by", "requested_by__division", "job").get(pk=export_id)
    job = export.job
    if job is None or not job_services.job_start(job_id=job.pk):
        return
    total = max(export.row_count, 1)

    def progress(done: int):
        job_services.job_progress(job_id=job.pk, progress=min(99, done * 100 // total), counts={"rows": done})

    try:
        path = export_write_file(export=export, on_rows=progress)
    except Exception as exc:
        job_services.job_fail(job_id=job.pk, message=_("The export failed: %(error)s") % {"error": exc})
        raise
    relative = str(path.relative_to(Path(settings.VAR_DIR)))
    Export.objects.filter(pk=export.pk).update(file=relative)
    # The file is served by the export's own download (requester only), not by jobs:download.
    job_services.job_succeed(job_id=job.pk, counts={"rows": export.row_count},
                             message=_("The export is ready to download."))


def export_ready(export: Export) -> bool:
    return bool(export.file) and not export.file_deleted and (export.job is None or export.job.status == JobStatus.SUCCEEDED)


def exports_delete_expired(*, now=None) -> int:
    """Delete the files of expired exports; the Export rows stay as the record."""
    now = now or timezone.now()
    deleted = 0
    root = Path(settings.VAR_DIR).resolve()
    for export in Export.objects.filter(expires_at__lte=now, file_deleted=False).exclude(file="").iterator():
        path = (root / export.file).resolve()
        if str(path).startswith(str(root)) and path.exists():
            path.unlink()
        Export.objects.filter(pk=export.pk).update(file_deleted=True)
        deleted += 1
    return deleted
