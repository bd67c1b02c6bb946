from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import picker
from accounts.models import Role
from dibao.errors import Conflict
from jobs.models import Job
from poverty_registry import removals, selectors, services
from poverty_registry.forms import RegistryFilterForm, RegistryImportForm
from poverty_registry.importing.reader import COLUMNS, LAYOUT, ImportRefused
from tabular.workbooks import template_bytes

TEMPLATE_EXAMPLE = {
    "year": "2024", "registry_household_code": "3702830001", "division_code": "370283101201", "member_name": "张三",
    "id_number": "11010519491231002X", "relationship": "户主", "is_head": "是", "annual_income_per_capita": "5200.50",
    "status": "监测对象", "monitoring_type": "边缘易致贫户", "lifted_year": "",
}

# What each column of the roster file holds (the file's header keeps the code names other systems write).
COLUMN_MEANINGS = {
    "year": gettext_lazy("Year"), "registry_household_code": gettext_lazy("Household code (the other department's)"),
    "division_code": gettext_lazy("Village code (12 digits)"), "member_name": gettext_lazy("Member's name"),
    "id_number": gettext_lazy("Resident ID number"), "relationship": gettext_lazy("Relationship to the head"),
    "is_head": gettext_lazy("Head of household (yes/no)"),
    "annual_income_per_capita": gettext_lazy("Annual net income per person (yuan)"),
    "status": gettext_lazy("Status"), "monitoring_type": gettext_lazy("Monitoring type"),
    "lifted_year": gettext_lazy("Year lifted out of poverty"),
}


def registry_list(request):
    form = RegistryFilterForm(picker.with_picked(request.GET) or None)
    qs = selectors.registrations_visible(request.user)
    if form.is_bound and form.is_valid():
        qs = selectors.registration_filter(qs, **{k: v for k, v in form.cleaned_data.items() if v not in (None, "")})
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "poverty_registry/list.html", {
        "title": _("Poverty registry"), "form": form, "page": page,
        "can_import": request.user.has_role(Role.COUNTY_OFFICER),
    })


def registry_import(request):
    if not request.user.has_role(Role.COUNTY_OFFICER):
        raise PermissionDenied
    if request.method == "POST":
        form = RegistryImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                job = services.import_start(actor=request.user, uploaded=form.cleaned_data["file"],
                                            year=form.cleaned_data.get("year"))
            except ImportRefused as exc:
                form.add_error("file", str(exc.message))
            else:
                messages.info(request, _("The file was accepted and is being imported."))
                return redirect("jobs:detail", job.pk)
    else:
        form = RegistryImportForm()
    recent = Job.objects.filter(kind=services.IMPORT_KIND, created_by=request.user).order_by("-created_at")[:10]
    return render(request, "poverty_registry/import.html", {
        "title": _("Import a registry file"), "form": form, "columns": [(c, COLUMN_MEANINGS.get(c, "")) for c in COLUMNS], "recent": recent,
    })


@require_POST
def import_removals_confirm(request, pk: int):
    """The officer confirms the members a re-import listed as leaving; back to the job's page."""
    if not request.user.has_role(*removals.CONFIRM_ROLES):
        raise PermissionDenied
    try:
        job = removals.import_removals_confirm(actor=request.user, job_id=pk)
    except Conflict as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("%(n)d members were removed from the registry.")
                         % {"n": job.params["removals"]["removed"]})
    return redirect("jobs:detail", pk)


def registry_template(request):
    """The registry file's XLSX template: Chinese headers, code names, drop-downs, an example, instructions."""
    if not request.user.has_role(Role.COUNTY_OFFICER, Role.AUDITOR):
        raise PermissionDenied
    data = template_bytes(LAYOUT, example=TEMPLATE_EXAMPLE, notes={
        "status": _("未脱贫 (registered), 已脱贫 (lifted) or 监测对象 (monitored)."),
        "lifted_year": _("The year lifted out of poverty, for 已脱贫."),
        "monitoring_type": _("For 监测对象 only."),
    }, title="脱贫人口名单")
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="registry-template.xlsx"'
    return response
