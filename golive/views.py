"""Go-live pages: upload a roster file, read its dry run, confirm, undo; the template and the roster export."""

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.scoping import scope_queryset
from audit.services import record_access
from dibao import filecrypt
from dibao.errors import DomainError, NotFound
from golive import services
from golive.exports import roster_xlsx
from golive.forms import RosterUploadForm
from golive.layout import COLUMNS, LAYOUT
from golive.models import BatchStatus, RosterBatch
from golive.template_file import roster_template
from tabular.reading import ImportRefused
from tabular.synonyms import chinese_header

READ_ROLES = (Role.COUNTY_OFFICER, Role.AUDITOR)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require(request, *roles):
    if not request.user.has_role(*roles):
        raise PermissionDenied


def golive_index(request):
    _require(request, *READ_ROLES)
    form = None
    if request.user.has_role(Role.COUNTY_OFFICER):
        form = RosterUploadForm(request.POST, request.FILES) if request.method == "POST" else RosterUploadForm()
        if request.method == "POST" and form.is_valid():
            try:
                batch = services.roster_upload(actor=request.user, uploaded=form.cleaned_data["file"])
            except ImportRefused as exc:
                form.add_error("file", str(exc.message))
            except DomainError as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.info(request, _("The file was accepted; the dry run is checking it. Nothing is written "
                                         "until you confirm."))
                return redirect("golive:batch", batch.pk)
    elif request.method == "POST":
        raise PermissionDenied
    batches = scope_queryset(request.user, RosterBatch.objects.select_related("created_by"))[:20]
    status = 400 if form is not None and form.is_bound and form.errors else 200
    return render(request, "golive/index.html", {
        "title": _("Go-live: import the recipient roster"), "form": form, "batches": batches,
        "columns": [(chinese_header(LAYOUT.file_kind, c), c, c in LAYOUT.required) for c in COLUMNS],
    }, status=status)


def _batch_page(request, batch: RosterBatch, *, status: int = 200):
    job = batch.apply_job if batch.status in (BatchStatus.APPLYING, BatchStatus.APPLIED, BatchStatus.FAILED) \
        else batch.dry_run_job
    return render(request, "golive/batch.html", {
        "title": _("Roster import #%(n)d") % {"n": batch.pk}, "batch": batch, "job": job,
        "summary": batch.summary, "errors": (batch.dry_run_job.errors if batch.dry_run_job else [])[:50],
        "can_write": request.user.has_role(Role.COUNTY_OFFICER),
        "running": batch.status in (BatchStatus.CHECKING, BatchStatus.APPLYING),
    }, status=status)


def golive_batch(request, pk: int):
    _require(request, *READ_ROLES)
    return _batch_page(request, services.access_batch_by_id(request.user, pk))


def _transition(request, pk: int, step, done):
    """Confirm, undo, discard from the batch page: refused with the page again (400 no version, 409 stale or the
    wrong state); done: back to the batch page with a message."""
    _require(request, Role.COUNTY_OFFICER)
    batch = services.access_batch_by_id(request.user, pk)
    try:
        result = step(actor=request.user, batch=batch, version=request.POST.get("version"))
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return _batch_page(request, services.access_batch_by_id(request.user, pk), status=exc.status_code)
    messages.success(request, done(result))
    return redirect("golive:batch", pk)


@require_POST
def golive_confirm(request, pk: int):
    return _transition(request, pk, services.roster_confirm,
                       lambda _batch: _("Confirmed: the households are being imported."))


@require_POST
def golive_undo(request, pk: int):
    return _transition(request, pk, services.roster_undo,
                       lambda counts: _("The batch was undone: %(n)d households removed, %(r)d restored.")
                       % {"n": counts["households_removed"], "r": counts["households_restored"]})


@require_POST
def golive_discard(request, pk: int):
    return _transition(request, pk, services.roster_discard,
                       lambda _batch: _("The dry run was discarded; its checked rows are deleted."))


def golive_errors(request, pk: int):
    _require(request, *READ_ROLES)
    batch = services.access_batch_by_id(request.user, pk)
    var_dir = Path(settings.VAR_DIR).resolve()
    path = (var_dir / batch.error_file).resolve() if batch.error_file else None
    if path is None or not path.is_relative_to(var_dir) or not path.is_file():
        raise NotFound()
    return filecrypt.download_response(path, content_type="text/csv; charset=utf-8",
                                       filename=f"roster-errors-{batch.pk}.csv")


def golive_template(request):
    _require(request, *READ_ROLES)
    response = HttpResponse(roster_template(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="roster-template.xlsx"'
    return response


def golive_export(request):
    _require(request, *READ_ROLES)
    data = roster_xlsx(request.user)
    record_access(user=request.user, action="golive.roster_export",
                  division_code=request.user.division.code if request.user.division_id else "",
                  detail={"bytes": len(data)})
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="roster.xlsx"'
    return response
