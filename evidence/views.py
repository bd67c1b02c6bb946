"""Pages: upload, the includable documents panel, private serving, the complaints register.

The household, case and visit pages include the panel after merge with
`<div hx-get="{% url 'evidence:documents_panel' 'case' case.pk %}" hx-trigger="load"></div>`
(for a visit add `?visit_number=1`); without htmx, link to `evidence:documents`.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.scoping import WRITER_ROLES
from cases.models import DECIDED_STATES
from cases.selectors import access_case_by_id
from dibao.errors import DomainError, NotFound, NotPermitted
from dibao.forms import show_domain_error
from evidence import selectors, services
from evidence.forms import AssignForm, ComplaintFilterForm, ComplaintForm, DeleteForm, ResolveForm, UploadForm
from evidence.identity import complainant_visible
from evidence.models import ComplaintStatus, TargetType
from evidence.serving import serve_document
from households.selectors import access_household_by_id


def _target(request, target_type, target_id):
    return selectors.target_for_user(request.user, target_type, target_id,
                                     request.GET.get("visit_number") or request.POST.get("visit_number"))


def _target_query(target) -> str:
    return f"?{urlencode({'visit_number': target.visit_number})}" if target.visit_number else ""


def _documents_url(target) -> str:
    return reverse("evidence:documents", args=[target.target_type, target.target_id]) + _target_query(target)


def _panel_context(request, target):
    documents = list(target.documents().order_by("-uploaded_at", "-id"))
    return {"target": target, "documents": documents, "can_write": request.user.has_role(*WRITER_ROLES),
            "query": _target_query(target), "delete_form": DeleteForm(),
            "decided": bool(target.case and target.case.status in DECIDED_STATES)}


def documents_panel(request, target_type: str, target_id: int):
    target = _target(request, target_type, target_id)
    return render(request, "evidence/_documents_panel.html", _panel_context(request, target))


def documents_page(request, target_type: str, target_id: int):
    target = _target(request, target_type, target_id)
    context = _panel_context(request, target)
    context["title"] = _("Documents")
    return render(request, "evidence/documents.html", context)


def upload(request, target_type: str, target_id: int):
    target = _target(request, target_type, target_id)
    if not request.user.has_role(*WRITER_ROLES):
        raise PermissionDenied
    wants_json = request.headers.get("X-Requested-With") == "XMLHttpRequest"
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                document = services.document_upload(actor=request.user, target=target,
                                                    document_type=form.cleaned_data["document_type"],
                                                    uploaded_file=form.cleaned_data["file"],
                                                    note=form.cleaned_data["note"])
            except DomainError as exc:
                show_domain_error(form, exc)
            else:
                # The name as kept (a path or control characters the client sent are gone).
                messages.success(request, _("“%(name)s” was uploaded.") % {"name": document.original_name})
                next_url = request.POST.get("next") or ""
                if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
                    next_url = ""
                next_url = next_url or _documents_url(target)
                if wants_json:
                    return JsonResponse({"ok": True, "redirect": next_url, "name": document.original_name})
                return redirect(next_url)
        if wants_json:
            return JsonResponse({"ok": False, "errors": {k: [str(m) for m in v] for k, v in form.errors.items()}},
                                status=400)
    return render(request, "evidence/upload.html", {
        "form": form, "target": target, "query": _target_query(target), "title": _("Upload a document"),
        "next": request.GET.get("next", ""), "max_mb": round(services.files.max_bytes() / 1024 / 1024, 1)})


def document_file(request, uuid):
    document = selectors.document_for_user(request.user, uuid)
    return serve_document(request, document, inline=request.GET.get("inline") == "1")


def document_thumbnail(request, uuid):
    document = selectors.document_for_user(request.user, uuid)
    return serve_document(request, document, thumbnail=True)


@require_POST
def document_delete(request, uuid):
    document = selectors.document_for_user(request.user, uuid)
    form = DeleteForm(request.POST)
    next_url = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = ""
    if not next_url:
        target_type = document.target_type
        target_id = document.household_id if target_type == TargetType.HOUSEHOLD else document.case_id
        next_url = reverse("evidence:documents", args=[target_type, target_id])
        if document.visit_number:
            next_url += f"?visit_number={document.visit_number}"
    if not form.is_valid():
        messages.error(request, _("Say why the document is removed."))
        return redirect(next_url)
    try:
        services.document_delete(actor=request.user, document=document, reason=form.cleaned_data["reason"])
    except NotPermitted:
        raise PermissionDenied from None
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The document was removed."))
    return redirect(next_url)


# ---- complaints -------------------------------------------------------------------------------

def complaints(request):
    form = ComplaintFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.complaint_list(request.user, status=filters.get("status", ""),
                                  channel=filters.get("channel", ""), overdue=filters.get("overdue", False))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "evidence/complaints.html", {
        "filter_form": form, "page": page, "today": timezone.localdate(),
        "can_record": request.user.has_role(Role.COUNTY_OFFICER), "title": _("Complaints")})


def complaint_create(request):
    if not request.user.has_role(Role.COUNTY_OFFICER):
        raise PermissionDenied
    form = ComplaintForm(request.POST or None, user=request.user,
                         initial={k: request.GET[k] for k in ("case", "household") if request.GET.get(k)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        case = household = None
        try:
            if data.get("case"):
                case = access_case_by_id(request.user, data["case"])
        except NotFound:
            form.add_error("case", _("No case with this number in your area."))
        try:
            if data.get("household"):
                household = access_household_by_id(request.user, data["household"])
        except NotFound:
            form.add_error("household", _("No household with this number in your area."))
        if not form.errors:
            try:
                complaint = services.complaint_record(
                    actor=request.user, text=data["text"], channel=data["channel"], received_on=data["received_on"],
                    case=case, household=household, staff_member=data.get("staff_member"),
                    anonymous=data["anonymous"], complainant_name=data["complainant_name"],
                    complainant_contact=data["complainant_contact"])
            except DomainError as exc:
                show_domain_error(form, exc)
            else:
                messages.success(request, _("The complaint was recorded."))
                return redirect("evidence:complaint_detail", pk=complaint.pk)
    return render(request, "evidence/complaint_form.html", {"form": form, "title": _("Record a complaint")})


def complaint_detail(request, pk: int):
    complaint = selectors.complaint_for_user(request.user, pk)
    can_act = request.user.has_role(Role.COUNTY_OFFICER) and complaint.is_open
    # A list, so the template's loop does not COUNT and then SELECT the officers.
    field = AssignForm(complaint=complaint).fields["assigned_to"]
    assign_choices = [(u.pk, field.label_from_instance(u)) for u in field.queryset] if can_act else []
    return render(request, "evidence/complaint_detail.html", {
        "complaint": complaint, "can_act": can_act, "identity_visible": complainant_visible(request.user, complaint), "today": timezone.localdate(), "assign_choices": assign_choices,
        "resolve_form": ResolveForm(), "title": _("Complaint #%(id)s") % {"id": complaint.pk}})


@require_POST
def complaint_action(request, pk: int, action: str):
    complaint = selectors.complaint_for_user(request.user, pk)
    if not request.user.has_role(Role.COUNTY_OFFICER):
        raise PermissionDenied
    try:
        if action == "assign":
            form = AssignForm(request.POST, complaint=complaint)
            if not form.is_valid():
                raise DomainError(_("Choose a county officer of the complaint's county."))
            services.complaint_assign(actor=request.user, complaint=complaint,
                                      assigned_to=form.cleaned_data["assigned_to"])
        elif action == "investigate":
            services.complaint_start_investigation(actor=request.user, complaint=complaint)
        elif action == "resolve":
            form = ResolveForm(request.POST)
            if not form.is_valid():
                raise DomainError(_("Choose an outcome and write down the findings."))
            services.complaint_resolve(actor=request.user, complaint=complaint, **form.cleaned_data)
        else:
            raise DomainError(_("Unknown action."))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Saved."))
    return redirect("evidence:complaint_detail", pk=complaint.pk)


def complaints_home_panel(request):
    user = request.user
    if not user.is_authenticated or not user.has_role(Role.COUNTY_OFFICER):
        return None
    qs = selectors.complaints_for_user(user)
    base = reverse("evidence:complaints")
    return {"title": _("Complaints"), "items": [
        {"label": _("Received, not yet investigated"), "count": qs.filter(status=ComplaintStatus.RECEIVED).count(),
         "url": f"{base}?status=received"},
        {"label": _("Overdue"), "count": selectors.complaint_list(user, overdue=True).count(),
         "url": f"{base}?overdue=on", "alert": True},
    ]}
