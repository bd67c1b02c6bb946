"""Dashboard, report pages and exports (HTML)."""

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import picker
from accounts.scoping import code_in_scope
from accounts.selectors import divisions_visible
from dibao.db_router import reporting_db
from dibao.errors import DomainError, NotFound
from dibao.spreadsheets import csv_chunks, spreadsheet_writer, xlsx_chunks
from reports import services
from reports.dashboard import chart_payload, dashboard_data
from reports.definitions import REPORTS, convert_rows, get_report
from reports.filters import ReportFilterForm
from reports.forms import ExportForm
from reports.models import ExportFormat
from reports.selectors import export_for_user, exports_of_user

PAGE_SIZE = 50


def _require_reader(user):
    if not user.is_authenticated or not user.has_role(*services.REPORT_ROLES):
        raise PermissionDenied(_("Only auditors and county officers may open reports."))


def dashboard(request):
    _require_reader(request.user)
    code = (request.GET.get("division") or "").strip()
    error = None
    division = None
    if code:
        division = divisions_visible(request.user).filter(code=code).first() \
            if code.isdigit() and len(code) == 12 else None
        if division is None:
            error = _("No division with code %(code)s in your area; showing your whole area.") % {"code": code[:12]}
            division = None
    if division is None and not request.user.is_admin_role:
        division = request.user.division
    data = dashboard_data(division)
    # Do not show crumbs above the user's own area.
    data["scope"].breadcrumbs = [d for d in data["scope"].breadcrumbs if code_in_scope(request.user, d.code)]
    if error:
        messages.error(request, error)
    return render(request, "reports/dashboard.html", {
        "title": _("Dashboard"), "data": data, "chart": chart_payload(data), "division": division,
        "scope": data["scope"],
    })


def report_index(request):
    _require_reader(request.user)
    exports = list(exports_of_user(request.user))
    for export in exports:  # the report's title, never its key
        definition = REPORTS.get(export.report)
        export.report_title = definition.title if definition is not None else _("Report no longer offered")
    return render(request, "reports/index.html", {"title": _("Reports"), "reports": REPORTS.values(),
                                                  "exports": exports})


def report(request, key: str):
    _require_reader(request.user)
    definition = get_report(key)
    if definition is None:
        messages.error(request, _("There is no report called “%(key)s”. Choose one from the list.") % {"key": key[:40]})
        return redirect("reports:index")
    context = {"title": definition.title, "definition": definition, "reports": REPORTS.values()}
    form = ReportFilterForm(picker.with_picked(request.GET) or None, user=request.user, status_choices=definition.status_choices())
    context.update(form=form, export_form=ExportForm())
    if request.GET and not form.is_valid():
        return render(request, "reports/report.html", context, status=400)
    if not request.GET:
        form = ReportFilterForm({}, user=request.user, status_choices=definition.status_choices())
        form.is_valid()
        context["form"] = form
    filters = form.filters()
    qs = definition.queryset(request.user, filters, using=reporting_db())
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(convert_rows(page.object_list, definition.converters(unmasked=False, using=reporting_db())))
    context.update(page=page, rows=rows, headers=definition.headers(), filters=filters,
                   query=filters.as_query())
    return render(request, "reports/report.html", context)


@require_POST
def export(request, key: str):
    _require_reader(request.user)
    form = ExportForm(request.POST)
    filters = {name: request.POST.get(name, "") for name in ("division", "date_from", "date_to", "status")}
    back = reverse("reports:report", args=[key]) if get_report(key) else reverse("reports:index")
    if not form.is_valid():
        messages.error(request, "; ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(back)
    try:
        export = services.export_request(actor=request.user, report=key, fmt=form.cleaned_data["format"],
                                         filters=filters, purpose=form.cleaned_data["purpose"])
    except DomainError as exc:
        details = [f"{k}: {', '.join(map(str, v))}" for k, v in exc.fields.items()]
        messages.error(request, " ".join([str(exc.message), *details]))
        return redirect(back)
    if not export.streamed:
        messages.info(request, _("This export has %(n)d rows; it is being prepared in the background.")
                      % {"n": export.row_count})
        return redirect("reports:export_detail", pk=export.pk)
    return stream_export(export)


@spreadsheet_writer("reports.export_stream")
def stream_export(export):
    definition = services.resolve_report(export.report)
    filters = services.parse_filters(user=export.requested_by, definition=definition, data=export.filters)
    rows = services.export_rows(definition, user=export.requested_by, filters=filters, unmasked=export.unmasked)
    name = services.export_file_name(export)
    if export.format == ExportFormat.CSV:
        response = StreamingHttpResponse(csv_chunks(definition.headers(), rows), content_type="text/csv; charset=utf-8")
    else:
        response = StreamingHttpResponse(
            xlsx_chunks(definition.headers(), rows, title=str(definition.title)),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def export_detail(request, pk: int):
    export = export_for_user(request.user, pk)
    template = "reports/_export_status.html" if request.headers.get("HX-Request") else "reports/export_detail.html"
    return render(request, template, {"title": _("Export"), "export": export,
                                      "ready": services.export_ready(export),
                                      "definition": get_report(export.report)})


def gone_response(request, export):
    return render(request, "reports/export_gone.html", {"title": _("Export expired"), "export": export}, status=410)


def export_download(request, pk: int):
    export = export_for_user(request.user, pk)
    if export.is_expired or export.file_deleted:
        return gone_response(request, export)
    if export.streamed and not export.file:
        return gone_response(request, export)
    if not services.export_ready(export):
        return HttpResponse(_("The export is not ready yet."), status=409, content_type="text/plain; charset=utf-8")
    root = Path(settings.VAR_DIR).resolve()
    path = (root / export.file).resolve()
    if not str(path).startswith(str(root)) or not path.exists():
        raise NotFound()
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)
