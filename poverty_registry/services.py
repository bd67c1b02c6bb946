"""Every write of the poverty registry: file imports (started here, run by a Celery task) and
single registrations created or changed through the API."""

import logging
import uuid
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Division, Level, Role
from accounts.scoping import division_in_scope, require_role
from audit import feed
from audit.services import changed_fields, record
from dibao.errors import DomainError
from households.idnumber import parse_id_number
from households.models import Person
from households.persons import person_get_or_create
from jobs.models import Job
from jobs.models import Job as JobModel
from jobs.outbox import dispatch
from jobs.services import job_create, job_fail, job_progress, job_start, job_succeed
from poverty_registry.importing import IMPORT_KIND
from poverty_registry.importing.reader import FileBroken, ImportRefused, count_rows, inspect_file, max_bytes
from poverty_registry.importing.rows import RowError, check_household, parse_year
from poverty_registry.importing.writer import ImportRun
from poverty_registry.models import RegistryHousehold, RegistryMember, persons_roster_flags_refresh
from poverty_registry.removals import removals_pending
from poverty_registry.selectors import access_registration_by_id

logger = logging.getLogger(__name__)

IMPORT_ROLES = (Role.COUNTY_OFFICER,)


def _save_upload(uploaded, suffix: str) -> Path:
    relative = Path("imports") / f"registry-upload-{uuid.uuid4().hex}{suffix}"
    target = Path(settings.VAR_DIR) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        for block in uploaded.chunks():
            out.write(block)
    return target


def import_start(*, actor, uploaded, year: int | str | None = None) -> Job:
    """Check the file at once (format, header, columns, size), store it and queue the import job.

    Raises ImportRefused (400, names the problem) for a file that can never be imported.
    """
    require_role(actor, *IMPORT_ROLES)
    filename = Path(getattr(uploaded, "name", "") or "upload").name
    if year not in (None, ""):
        try:
            year = parse_year(year)
        except RowError as exc:
            raise ImportRefused(exc.reason, code="invalid_year", fields={"year": [exc.reason]}) from None
    else:
        year = None
    if uploaded.size is not None and uploaded.size > max_bytes():
        raise ImportRefused(
            _("The file is %(size)s MB; the largest file accepted is %(max)s MB.")
            % {"size": round(uploaded.size / 1048576, 1), "max": round(max_bytes() / 1048576, 1)},
            code="too_large", fields={"file": [_("The file is too large.")]})
    suffix = Path(filename).suffix.lower()[:6] if Path(filename).suffix.lower() in (".csv", ".xlsx", ".txt") else ""
    path = _save_upload(uploaded, suffix)
    try:
        info = inspect_file(path, filename, county_code=actor.division.code if actor.division_id else "")
    except ImportRefused as exc:
        path.unlink(missing_ok=True)
        if not exc.fields:
            exc.fields = {"file": [str(exc.message)]}
        raise
    with transaction.atomic():
        job = job_create(actor=actor, kind=IMPORT_KIND, division_code=actor.division.code if actor.division_id else "",
                         params={"path": str(path.relative_to(settings.VAR_DIR)), "filename": filename,
                                 "year": year, "format": info.format, "encoding": info.encoding,
                                 "unknown_columns": info.unknown, "delete_after": True})
        # Through the outbox: with Redis down the upload still answers 202 and the job is sent later.
        dispatch("poverty_registry.tasks.import_registry_file", job.pk, job=job)
    return job


def import_run(*, job_id: int) -> None:
    """Run an import job to the end; the job always finishes succeeded or failed, never stuck.

    An uploaded file (plain-text ID numbers) is deleted once its job has finished.
    """
    if not job_start(job_id=job_id):
        # Redelivered after the job ended (e.g. the stale sweep failed it when its worker died): not
        # redone, but the upload it left behind goes now.
        job = Job.objects.filter(pk=job_id).first()
        if job is not None and job.params.get("delete_after"):
            (Path(settings.VAR_DIR) / job.params["path"]).unlink(missing_ok=True)
        return
    job = Job.objects.select_related("created_by__division").get(pk=job_id)
    try:
        _import_run(job)
    finally:
        if job.params.get("delete_after"):
            (Path(settings.VAR_DIR) / job.params["path"]).unlink(missing_ok=True)


def _import_run(job: Job) -> None:
    job_id = job.pk
    params = job.params
    run = None
    try:
        path = Path(settings.VAR_DIR) / params["path"]
        if not path.exists():
            raise ImportRefused(_("The uploaded file is no longer there; upload it again."))
        info = inspect_file(path, params.get("filename", ""), county_code=job.division_code)
        total = count_rows(path, info)
        run = ImportRun(job=job, path=path, info=info, actor=job.created_by, expected_year=params.get("year"),
                        total_rows=total, resume_counts=job.counts or None,
                        on_progress=lambda pct, counts: job_progress(job_id=job_id, progress=pct, counts=counts))
        counts = run.run()
    except (ImportRefused, FileBroken) as exc:
        counts = dict(run.counts) if run else {}
        if isinstance(exc, FileBroken):
            message = _("Row %(row)d: %(reason)s.") % {"row": exc.row, "reason": exc.reason}
        else:
            message = str(exc.message)
        if counts.get("rows_imported"):
            message += " " + _("%(n)d rows before it were imported.") % {"n": counts["rows_imported"]}
        else:
            message += " " + _("Nothing was imported.")
        _finish_failed(job, message, counts, run)
        return
    except Exception as exc:  # the job must end with a status even on a bug
        logger.exception("registry import %s crashed", job_id)
        counts = dict(run.counts) if run else {}
        message = _("The import stopped with an unexpected error (%(error)s). Rows imported before it stopped: "
                    "%(n)d.") % {"error": type(exc).__name__, "n": counts.get("rows_imported", 0)}
        _finish_failed(job, message, counts, run)
        return
    with transaction.atomic():
        record(actor=job.created_by, action="poverty_registry.import", obj=job, division_code=job.division_code,
               after={"file": params.get("filename"), "year": params.get("year"), "status": "succeeded", **counts})
        if run.pending_removals:
            # Saved before the job shows as finished, so its page never shows it done without the list.
            Job.objects.filter(pk=job_id).update(params={**params, "removals": removals_pending(run.pending_removals)})
    if counts["rows_failed"]:
        message = _("%(ok)d of %(read)d rows imported; %(failed)d rows failed (download the list of problems).") % {
            "ok": counts["rows_imported"], "read": counts["rows_read"], "failed": counts["rows_failed"]}
    else:
        message = _("All %(read)d rows imported.") % {"read": counts["rows_read"]}
    if params.get("unknown_columns"):
        message += " " + _("Columns not recognised, ignored: %(columns)s.") % {
            "columns": "、".join(params["unknown_columns"])}
    if run.pending_removals:
        message += " " + _("%(n)d members this file no longer lists are still in the registry: they are removed "
                           "only when you confirm the list below.") % {"n": len(run.pending_removals)}
    job_succeed(job_id=job_id, counts=counts, errors=run.errors, message=message, result_file=run.error_file)


def _finish_failed(job, message, counts, run) -> None:
    if run is not None:
        run.close()
    errors = run.errors if run else []
    try:
        with transaction.atomic():
            record(actor=job.created_by, action="poverty_registry.import", obj=job,
                   division_code=job.division_code,
                   after={"file": job.params.get("filename"), "status": "failed", "message": message, **counts})
    except Exception:  # noqa: BLE001 - the job must still be marked failed
        logger.exception("could not audit failed import %s", job.pk)
    job_fail(job_id=job.pk, message=message, errors=errors, counts=counts)
    if run is not None and run.error_file:
        JobModel.objects.filter(pk=job.pk).update(result_file=run.error_file)


# -- single registrations (API) ------------------------------------------------------------------

WRITE_ROLES = (Role.COUNTY_OFFICER,)


def _village_for(actor, code: str) -> Division:
    village = Division.objects.filter(code=code, level=Level.VILLAGE).first()
    if village is None or not division_in_scope(actor, village):
        raise DomainError(_("There is no village with this code in your area."), code="invalid",
                          fields={"division": [_("There is no village with this code in your area.")]})
    return village


def _check(year, status, monitoring_type, lifted_year, income):
    try:
        check_household(year=year, status=status, monitoring_type=monitoring_type, lifted_year=lifted_year)
    except RowError as exc:
        raise DomainError(exc.reason, code="invalid", fields={exc.column: [exc.reason]}) from None
    if income is not None and Decimal(income) < 0:
        raise DomainError(_("Income cannot be negative."), fields={"annual_income_per_capita": [_("Income cannot be negative.")]})


def _set_members(actor, household: RegistryHousehold, members: list[dict]) -> None:
    errors = {}
    heads = sum(1 for m in members if m.get("is_head"))
    if heads > 1:
        errors["members"] = [_("A household has at most one head.")]
    persons = []
    for index, m in enumerate(members):
        try:
            parse_id_number(m["id_number"])
        except Exception as exc:  # ValidationError
            errors[f"members[{index}].id_number"] = list(getattr(exc, "messages", [str(exc)]))
            continue
        persons.append((person_get_or_create(id_number=m["id_number"], name=m["name"]), m))
    if len({p.pk for p, _m in persons}) != len(persons):
        errors["members"] = [_("The same person is listed twice.")]
    if errors:
        raise DomainError(_("Some members are not valid."), code="invalid", fields=errors)
    keep = []
    for person, m in persons:
        RegistryMember.objects.update_or_create(
            registry_household=household, person=person,
            defaults={"name": m["name"], "relationship": m.get("relationship", ""), "is_head": bool(m.get("is_head"))})
        keep.append(person.pk)
    leaving = list(household.members.exclude(person_id__in=keep).values_list("person_id", flat=True))
    # The household's audit event feeds its listed members; those leaving it are named here.
    feed.changed(Person._meta.label_lower, leaving)
    household.members.filter(person_id__in=leaving).delete()
    persons_roster_flags_refresh([*keep, *leaving])


def _snapshot(h: RegistryHousehold) -> dict:
    return {"year": h.year, "registry_code": h.registry_code, "division_code": h.division_code, "status": h.status,
            "monitoring_type": h.monitoring_type, "lifted_year": h.lifted_year,
            "annual_income_per_capita": h.annual_income_per_capita,
            "members": sorted(h.members.values_list("person_id", flat=True))}


@transaction.atomic
def registration_create(*, actor, year: int, registry_code: str, division_code: str, status: str,
                        monitoring_type: str = "", lifted_year: int | None = None,
                        annual_income_per_capita: Decimal, members: list[dict]) -> RegistryHousehold:
    require_role(actor, *WRITE_ROLES)
    village = _village_for(actor, division_code)
    _check(year, status, monitoring_type, lifted_year, annual_income_per_capita)
    if RegistryHousehold.objects.filter(year=year, registry_code=registry_code).exists():
        msg = _("A registration with this code exists for this year.")
        raise DomainError(msg, code="invalid", fields={"registry_code": [msg]})
    try:
        with transaction.atomic():
            household = RegistryHousehold.objects.create(
                year=year, registry_code=registry_code, village=village, division_code=village.code, status=status,
                monitoring_type=monitoring_type, lifted_year=lifted_year,
                annual_income_per_capita=annual_income_per_capita)
    except IntegrityError:
        msg = _("A registration with this code exists for this year.")
        raise DomainError(msg, code="invalid", fields={"registry_code": [msg]}) from None
    _set_members(actor, household, members)
    record(actor=actor, action="poverty_registry.create", obj=household, division_code=household.division_code,
           after=_snapshot(household))
    return household


@transaction.atomic
def registration_update(*, actor, household: RegistryHousehold, **changes) -> RegistryHousehold:
    require_role(actor, *WRITE_ROLES)
    household = access_registration_by_id(actor, household.pk, for_update=True)
    before = _snapshot(household)
    members = changes.pop("members", None)
    if "division_code" in changes:
        village = _village_for(actor, changes.pop("division_code"))
        household.village, household.division_code = village, village.code
    for name in ("status", "monitoring_type", "lifted_year", "annual_income_per_capita"):
        if name in changes:
            setattr(household, name, changes.pop(name))
    if changes:
        raise DomainError(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(changes)})
    _check(household.year, household.status, household.monitoring_type, household.lifted_year,
           household.annual_income_per_capita)
    household.updated_at = timezone.now()
    household.save()
    if members is not None:
        _set_members(actor, household, members)
    old, new = changed_fields(before, _snapshot(household))
    record(actor=actor, action="poverty_registry.update", obj=household, division_code=household.division_code,
           before=old, after=new)
    return household
