"""The audit log viewer: search by actor, object, action and date range (auditors and admins)."""

from datetime import datetime, time, timedelta

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import AUDIT_LOG_READERS, Role
from accounts.scoping import scope_queryset
from audit.models import AuditEvent

PAGE_SIZE = 50


class AuditSearchForm(forms.Form):
    actor = forms.CharField(label=gettext_lazy("Actor (username)"), required=False, max_length=150)
    object_type = forms.CharField(label=gettext_lazy("Object type"), required=False, max_length=60,
                                  help_text=gettext_lazy("For example cases.case or households.household."))
    object_id = forms.CharField(label=gettext_lazy("Object id"), required=False, max_length=64)
    action = forms.CharField(label=gettext_lazy("Action (starts with)"), required=False, max_length=80)
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs.update({"class": "form-control", "id": f"audit-{name}"})

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


def _require_auditor(user):
    # Not the system or security administrator: their own actions are what the audit side reads (三员分立).
    if not user.is_authenticated or not user.has_exact_role(*AUDIT_LOG_READERS):
        raise PermissionDenied(_("Only auditors and the audit administrator may read the audit log."))


def events_visible(user, queryset):
    """Auditors read their area's events; the audit administrator reads every event, the administrators'
    own (which belong to no division) included."""
    if user.is_authenticated and user.is_active and user.role == Role.AUDIT_ADMIN:
        return queryset
    return scope_queryset(user, queryset)


def search_events(user, data: dict):
    qs = events_visible(user, AuditEvent.objects.all())
    if data.get("actor"):
        qs = qs.filter(actor_username=data["actor"])
    if data.get("object_type"):
        qs = qs.filter(object_type=data["object_type"])
    if data.get("object_id"):
        qs = qs.filter(object_id=data["object_id"])
    if data.get("action"):
        qs = qs.filter(action__startswith=data["action"])
    tz = timezone.get_current_timezone()
    if data.get("date_from"):
        qs = qs.filter(created_at__gte=datetime.combine(data["date_from"], time.min, tzinfo=tz))
    if data.get("date_to"):
        qs = qs.filter(created_at__lt=datetime.combine(data["date_to"] + timedelta(days=1), time.min, tzinfo=tz))
    return qs.order_by("-created_at", "-id")


def _render(request, form, qs, title, extra=None):
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"title": title, "form": form, "page": page, **(extra or {})}
    return render(request, "audit/list.html", context, status=200 if form.is_valid() else 400)


def event_list(request):
    _require_auditor(request.user)
    form = AuditSearchForm(request.GET or {})
    data = form.cleaned_data if form.is_valid() else {}
    qs = search_events(request.user, data) if form.is_valid() else AuditEvent.objects.none()
    return _render(request, form, qs, _("Audit log"))


def object_history(request, object_type: str, object_id: str):
    _require_auditor(request.user)
    form = AuditSearchForm({"object_type": object_type, "object_id": object_id, **request.GET.dict()})
    data = form.cleaned_data if form.is_valid() else {}
    qs = search_events(request.user, {**data, "object_type": object_type, "object_id": object_id}) \
        if form.is_valid() else AuditEvent.objects.none()
    return _render(request, form, qs, _("History of %(type)s #%(id)s") % {"type": object_type, "id": object_id},
                   {"object_type": object_type, "object_id": object_id})
