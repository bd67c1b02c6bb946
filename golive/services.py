"""Every write of the go-live roster import: upload (dry run), confirm (import), undo.

The upload is checked at once (format, encoding, header row, columns, size) and refused with a message
naming the problem; an accepted file runs as a dry-run job that writes only the staging table. A county
officer confirms a finished dry run: the import job brings the households in (golive.applying) and ends
succeeded or failed, never silently partial (a failed import names how many households it wrote; confirming
again finishes it, and the batch can be undone). Jobs go through the outbox to a Celery task (runs_long).
"""

import logging
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.divisions import county_code_of
from accounts.models import Level, Role
from accounts.scoping import get_in_scope, require_role
from audit.services import record
from dibao import filecrypt
from dibao.errors import Conflict, InvalidInput, NotPermitted
from golive.applying import Apply
from golive.layout import APPLY_KIND, IMPORT_KIND, LAYOUT
from golive.models import BatchStatus, RosterBatch, StagedRow
from golive.staging import DryRun, write_error_file
from golive.undoing import undo
from jobs.models import Job
from jobs.outbox import dispatch
from jobs.services import job_create, job_fail, job_progress, job_start, job_succeed
from tabular.reading import FileBroken, FileInfo, ImportRefused, count_rows, inspect_file

logger = logging.getLogger(__name__)
WRITE_ROLES = (Role.COUNTY_OFFICER,)


def max_bytes() -> int:
    return settings.ROSTER_IMPORT_MAX_BYTES


def actor_county_code(actor) -> str:
    """The county of a county officer; an account without one may not import."""
    division = getattr(actor, "division", None)
    if division is None or division.level not in (Level.COUNTY,):
        raise NotPermitted(_("Only a county officer of a county imports its roster."))
    return county_code_of(division.code)


def access_batch_by_id(actor, batch_id, *, for_update: bool = False) -> RosterBatch:
    return get_in_scope(actor, RosterBatch.objects.select_related("dry_run_job", "apply_job"),
                        for_update=for_update, pk=batch_id)


def roster_upload(*, actor, uploaded) -> RosterBatch:
    """Check the file at once, store it and queue its dry run. ImportRefused (400) names the problem."""
    require_role(actor, *WRITE_ROLES)
    county_code = actor_county_code(actor)
    filename = Path(getattr(uploaded, "name", "") or "upload").name[:200]
    if uploaded.size is not None and uploaded.size > max_bytes():
        message = _("The file is %(size)s MB; the largest file accepted is %(max)s MB.") % {
            "size": round(uploaded.size / 1048576, 1), "max": round(max_bytes() / 1048576, 1)}
        raise ImportRefused(message, code="too_large", fields={"file": [message]})
    suffix = Path(filename).suffix.lower() if Path(filename).suffix.lower() in (".csv", ".xlsx", ".txt") else ""
    relative = Path("imports") / f"roster-upload-{uuid.uuid4().hex}{suffix}"
    path = Path(settings.VAR_DIR) / relative
    # Plain-text ID numbers: encrypted at rest, 0600 (dibao.filecrypt).
    with filecrypt.writer(path) as out:
        for block in uploaded.chunks():
            out.write(block)
    try:
        info = inspect_file(path, filename, LAYOUT, max_bytes=max_bytes(), county_code=county_code)
    except ImportRefused as exc:
        path.unlink(missing_ok=True)
        if not exc.fields:
            exc.fields = {"file": [str(exc.message)]}
        raise
    with transaction.atomic():
        batch = RosterBatch.objects.create(county_code=county_code, filename=filename, created_by=actor,
                                           unknown_columns=info.unknown)
        job = job_create(actor=actor, kind=IMPORT_KIND, division_code=county_code,
                         params={"batch": batch.pk, "path": str(relative), "filename": filename, **info.as_params()})
        batch.dry_run_job = job
        batch.save(update_fields=["dry_run_job"])
        record(actor=actor, action="golive.uploaded", obj=batch, division_code=county_code,
               after={"file": filename, "unknown_columns": info.unknown})
        dispatch("golive.tasks.roster_dry_run", job.pk)
    return batch


def dry_run_run(*, job_id: int) -> None:
    """Run a dry run to the end (succeeded or failed); the upload (plain ID numbers) is deleted afterwards."""
    if not job_start(job_id=job_id):
        return
    job = Job.objects.select_related("created_by").get(pk=job_id)
    path = Path(settings.VAR_DIR) / job.params["path"]
    batch = RosterBatch.objects.get(pk=job.params["batch"])
    try:
        if not path.exists():
            raise ImportRefused(_("The uploaded file is no longer there; upload it again."))
        info = FileInfo.from_params(job.params)
        total = count_rows(path, info)
        run = DryRun(batch=batch, path=path, info=info, today=timezone.localdate(), total_rows=total,
                     on_progress=lambda pct, counts: job_progress(job_id=job_id, progress=pct, counts=counts))
        summary = run.run()
        error_file = write_error_file(batch) if summary["totals"]["error_rows"] else ""
    except Exception as exc:  # refused, broken or a bug: the job ends failed and nothing is imported
        if isinstance(exc, FileBroken):
            message = _("Row %(row)d: %(reason)s.") % {"row": exc.row, "reason": exc.reason}
        elif isinstance(exc, ImportRefused):
            message = str(exc.message)
        else:
            logger.exception("roster dry run %s crashed", job_id)
            message = _("The dry run stopped with an unexpected error (%(error)s).") % {"error": type(exc).__name__}
        message += " " + _("Nothing was imported.")
        with transaction.atomic():
            StagedRow.objects.filter(batch=batch).delete()  # nothing of a failed dry run is kept
            RosterBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.REFUSED)
            record(actor=job.created_by, action="golive.dry_run_failed", obj=batch, division_code=batch.county_code,
                   after={"message": message})
        job_fail(job_id=job_id, message=message)
        path.unlink(missing_ok=True)
        return
    path.unlink(missing_ok=True)
    totals = summary["totals"]
    with transaction.atomic():
        RosterBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.CHECKED, summary=summary,
                                                       error_file=error_file)
        record(actor=job.created_by, action="golive.dry_run", obj=batch, division_code=batch.county_code,
               after=totals)
        _supersede(batch, actor=job.created_by)
    message = _("Dry run: %(create)d households would be created, %(update)d updated, %(same)d unchanged, "
                "%(refused)d refused (%(errors)d rows with errors). Nothing is written until you confirm.") % {
        "create": totals["create_households"], "update": totals["update_households"],
        "same": totals["unchanged_households"], "refused": totals["refused_households"],
        "errors": totals["error_rows"]}
    if batch.unknown_columns:
        message += " " + _("Columns not recognised, ignored: %(columns)s.") % {
            "columns": "、".join(batch.unknown_columns)}
    job_succeed(job_id=job_id, counts=totals, errors=run.errors, message=message, result_file=error_file)


def _lock_batch(actor, batch: RosterBatch, version, *, states: tuple, refusal) -> RosterBatch:
    """The prologue of every batch transition: the role, the batch locked in the actor's scope (404 outside it),
    the version the page or client read (missing: 400; stale: 409) and the state the step starts from (409).

    Call inside a transaction.
    """
    require_role(actor, *WRITE_ROLES)
    locked = access_batch_by_id(actor, batch.pk, for_update=True)
    if version in (None, ""):
        raise InvalidInput(_("Give the batch's version (the one you read) to change it."), code="version_required",
                           fields={"version": [_("This field is required.")]})
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise InvalidInput(_("The version is a whole number."), code="invalid",
                           fields={"version": [_("The version is a whole number.")]}) from None
    if version != locked.version:
        raise Conflict(_("Someone else changed this batch after you opened it. Reload and try again."),
                       code="stale_version")
    if locked.status not in states:
        raise Conflict(refusal % {"status": locked.get_status_display()}, code="invalid_transition")
    return locked


def _drop_staging(batch: RosterBatch) -> None:
    """The staged rows (encrypted ID numbers) and the error list of a dry run that will not be confirmed."""
    StagedRow.objects.filter(batch=batch).delete()
    if batch.error_file:
        var_dir = Path(settings.VAR_DIR).resolve()
        path = (var_dir / batch.error_file).resolve()
        if path.is_relative_to(var_dir):
            path.unlink(missing_ok=True)


def _discard(batch: RosterBatch, *, actor, action: str, after: dict) -> None:
    """Call inside a transaction holding the batch's row lock."""
    _drop_staging(batch)
    before = {"status": batch.status}
    batch.status, batch.error_file = BatchStatus.DISCARDED, ""
    batch.version += 1
    batch.save(update_fields=["status", "error_file", "version"])
    record(actor=actor, action=action, obj=batch, division_code=batch.county_code, before=before,
           after={"status": batch.status, **after})


def _supersede(batch: RosterBatch, *, actor) -> None:
    """A newer dry run of the county's roster replaces the earlier ones nobody confirmed."""
    older = (RosterBatch.objects.select_for_update(skip_locked=True)
             .filter(county_code=batch.county_code, pk__lt=batch.pk, status__in=DISCARDABLE))
    for old in older:
        _discard(old, actor=actor, action="golive.superseded", after={"by": batch.pk})


DISCARDABLE = (BatchStatus.CHECKED, BatchStatus.REFUSED)


def roster_discard(*, actor, batch: RosterBatch, version) -> RosterBatch:
    """Discard a dry run that will not be confirmed: its staged rows and error list are deleted."""
    with transaction.atomic():
        locked = _lock_batch(actor, batch, version, states=DISCARDABLE,
                             refusal=_("This batch is %(status)s; only a dry run not confirmed can be discarded."))
        _discard(locked, actor=actor, action="golive.discarded", after={})
    return locked


def roster_dry_runs_expire(*, now=None) -> int:
    """Discard the dry runs left unconfirmed for ROSTER_DRY_RUN_EXPIRY_DAYS (hourly beat task). Idempotent."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.ROSTER_DRY_RUN_EXPIRY_DAYS)
    expired = 0
    for pk in RosterBatch.objects.filter(status__in=DISCARDABLE, created_at__lt=cutoff).values_list("pk", flat=True):
        with transaction.atomic():
            locked = RosterBatch.objects.select_for_update().filter(pk=pk, status__in=DISCARDABLE).first()
            if locked is None:
                continue  # confirmed or discarded meanwhile
            _discard(locked, actor=None, action="golive.dry_run_expired",
                     after={"days": settings.ROSTER_DRY_RUN_EXPIRY_DAYS})
            expired += 1
    return expired


def roster_confirm(*, actor, batch: RosterBatch, version) -> RosterBatch:
    """Confirm a finished dry run (or a failed import, to finish it): queue the import job."""
    with transaction.atomic():
        locked = _lock_batch(actor, batch, version, states=(BatchStatus.CHECKED, BatchStatus.FAILED),
                             refusal=_("This batch is %(status)s; only a finished dry run can be confirmed."))
        job = job_create(actor=actor, kind=APPLY_KIND, division_code=locked.county_code,
                         params={"batch": locked.pk})
        locked.status, locked.apply_job = BatchStatus.APPLYING, job
        locked.confirmed_by, locked.confirmed_at = actor, timezone.now()
        locked.version += 1
        locked.save()
        record(actor=actor, action="golive.confirmed", obj=locked, division_code=locked.county_code,
               after={"file": locked.filename})
        dispatch("golive.tasks.roster_apply", job.pk)
    return locked


def apply_run(*, job_id: int) -> None:
    if not job_start(job_id=job_id):
        return
    job = Job.objects.select_related("created_by").get(pk=job_id)
    batch = RosterBatch.objects.get(pk=job.params["batch"])
    run = Apply(batch=batch, actor=job.created_by, today=timezone.localdate(),
                on_progress=lambda pct, counts: job_progress(job_id=job_id, progress=pct, counts=counts))
    try:
        counts = run.run()
    except Exception as exc:  # the job must end with a status even on a bug
        logger.exception("roster import %s crashed", job_id)
        written = run.counts["households_created"] + run.counts["households_updated"]
        message = _("The import stopped with an unexpected error (%(error)s) after %(n)d households were written. "
                    "Confirm the batch again to finish it, or undo it.") % {"error": type(exc).__name__, "n": written}
        with transaction.atomic():
            RosterBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.FAILED)
            record(actor=job.created_by, action="golive.import_failed", obj=batch, division_code=batch.county_code,
                   after={"message": message, **run.counts})
        job_fail(job_id=job_id, message=message, counts=run.counts)
        return
    with transaction.atomic():
        RosterBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.APPLIED, applied_at=timezone.now())
        # The staged rows (encrypted ID numbers) have served: the households hold them now.
        StagedRow.objects.filter(batch=batch).delete()
        record(actor=job.created_by, action="golive.imported", obj=batch, division_code=batch.county_code,
               after=counts)
    message = _("Imported: %(hc)d households created (%(cc)d recipient cases), %(hu)d updated.") % {
        "hc": counts["households_created"], "cc": counts["cases_created"], "hu": counts["households_updated"]}
    if counts["households_refused"]:
        message += " " + _("%(n)d households were refused: a member joined another household after the dry run.") % {
            "n": counts["households_refused"]}
    job_succeed(job_id=job_id, counts=counts, message=message)


def roster_undo(*, actor, batch: RosterBatch, version) -> dict:
    """Undo a whole imported batch while nobody has touched its rows (Conflict names the ones touched)."""
    with transaction.atomic():
        locked = _lock_batch(actor, batch, version, states=(BatchStatus.APPLIED, BatchStatus.FAILED),
                             refusal=_("This batch is %(status)s; only an imported batch can be undone."))
        later = RosterBatch.objects.filter(county_code=locked.county_code, pk__gt=locked.pk,
                                           status__in=[BatchStatus.APPLIED, BatchStatus.APPLYING, BatchStatus.FAILED],
                                           households__household_id__in=locked.households.values("household_id"))
        if later.exists():
            raise Conflict(_("A later batch changed households of this one; undo that batch first."),
                           code="batch_touched")
        counts = undo(locked, actor=actor)
        locked.status, locked.undone_by, locked.undone_at = BatchStatus.UNDONE, actor, timezone.now()
        locked.version += 1
        locked.save()
        record(actor=actor, action="golive.undone", obj=locked, division_code=locked.county_code, after=counts)
    return counts
