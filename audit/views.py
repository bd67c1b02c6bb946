"""The audit log viewer: who changed what (audit events) and who read or exported what (access log),
in one page with the same filters - actor, action, object, date range (auditors and admins).

Rows are shown as sentences with the object's name and link and the division's name
(audit/humanize.py); the code names stay in the database and the API.
"""

from datetime import datetime, time, timedelta

from django import forms
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import picker
from accounts.divisions import code_prefix
from accounts.models import AUDIT_LOG_READERS, Role
from accounts.scoping import scope_queryset
from audit import humanize
from audit.models import AccessLog, AuditEvent

PAGE_SIZE = 50
LOGS = {"changes": AuditEvent, "access": AccessLog}


def _action_choices(access: bool):
    table = humanize.ACCESS_ACTIONS if access else humanize.ACTIONS
    groups: dict[str, list] = {}
    for action in table:
        groups.setdefault(action.split(".", 1)[0] if "." in action else action, []).append(
            (action, humanize.action_label(action, access=access)))
    choices = [("", gettext_lazy("All actions"))]
    for prefix, items in groups.items():
        choices.extend(items)
        if len(items) > 1:
            # "case." filters every action on applications (the API's "starts with").
            choices.append((f"{prefix}.", gettext_lazy("all of the above: %(first)s …") % {"first": items[0][1]}))
    return choices


class AuditSearchForm(forms.Form):
    log = forms.ChoiceField(label=gettext_lazy("Log"), required=False, choices=[
        ("changes", gettext_lazy("Changes (audit log)")),
        ("access", gettext_lazy("Reads and exports (access log)"))])
    actor = forms.CharField(label=gettext_lazy("Actor (username)"), required=False, max_length=150)
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)
    object_type = forms.ChoiceField(label=gettext_lazy("Object"), required=False)
    object_id = forms.CharField(label=gettext_lazy("Object number"), required=False, max_length=64)
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        access = self.data.get("log") == "access"
        self.fields["action"].choices = _action_choices(access)
        self.fields["object_type"].choices = [("", gettext_lazy("All objects"))] + [
            (label, kind.name) for label, kind in humanize.OBJECT_KINDS.items()]
        for name, field in self.fields.items():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs.update({"class": css, "id": f"audit-{name}"})

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


def search_events(user, data: dict, *, log: str = "changes"):
    model = LOGS.get(log, AuditEvent)
    qs = events_visible(user, model.objects.all())
    if data.get("actor"):
        qs = qs.filter(**{"actor_username" if model is AuditEvent else "user__username": data["actor"]})
    if data.get("object_type"):
        qs = qs.filter(object_type=data["object_type"])
    if data.get("object_id"):
        qs = qs.filter(object_id=data["object_id"])
    if data.get("action"):
        action = data["action"]
        qs = qs.filter(action__startswith=action) if action.endswith(".") else qs.filter(action=action)
    tz = timezone.get_current_timezone()
    if data.get("date_from"):
        qs = qs.filter(created_at__gte=datetime.combine(data["date_from"], time.min, tzinfo=tz))
    if data.get("date_to"):
        qs = qs.filter(created_at__lt=datetime.combine(data["date_to"] + timedelta(days=1), time.min, tzinfo=tz))
    qs = qs.select_related("actor" if model is AuditEvent else "user")
    return qs.order_by("-created_at", "-id")


def _rows(events, *, access: bool):
    """Each event in words: one query per object type on the page and one for the division names."""
    objects = humanize.load_objects((e.object_type, e.object_id) for e in events)
    codes = {e.division_code for e in events if e.division_code}
    division_model = apps.get_model("accounts", "Division")
    names = dict(division_model.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}
    rows = []
    for e in events:
        person = e.user if access else e.actor
        actor = (person.get_full_name() or person.username) if person is not None else (
            e.actor_username if not access else "")
        if not access and e.actor_username == "system":
            actor = _("the system")
        rows.append({
            "event": e,
            "actor": actor,
            "username": person.username if person is not None else "",
            "sentence": humanize.sentence(e.action, humanize.object_html(e.object_type, e.object_id, objects),
                                          access=access),
            "division": names.get(e.division_code, e.division_code and _("division no longer exists")),
            "changes": [] if access else humanize.changes(e.object_type, e.before, e.after, e.action),
            "detail": humanize.access_detail(e.detail) if access else [],
        })
    return rows


def _render(request, form, qs, title, extra=None):
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    access = form.is_valid() and form.cleaned_data.get("log") == "access"
    context = {"title": title, "form": form, "page": page, "rows": _rows(page.object_list, access=access),
               "access": access, **(extra or {})}
    return render(request, "audit/list.html", context, status=200 if form.is_valid() else 400)


def event_list(request):
    _require_auditor(request.user)
    form = AuditSearchForm(request.GET or {})
    data = form.cleaned_data if form.is_valid() else {}
    log = data.get("log") or "changes"
    qs = search_events(request.user, data, log=log) if form.is_valid() else AuditEvent.objects.none()
    # The cascading division picker: the events of a county, township or village of the reader's area.
    division = picker.scoped_code(request.user, request.GET, legacy=())
    if division:
        qs = qs.filter(division_code__startswith=code_prefix(division))
    return _render(request, form, qs, _("Access log") if log == "access" else _("Audit log"), {"division": division})


def object_history(request, object_type: str, object_id: str):
    _require_auditor(request.user)
    form = AuditSearchForm({**request.GET.dict(), "object_type": "", "object_id": object_id})
    data = form.cleaned_data if form.is_valid() else {}
    log = data.get("log") or "changes"
    qs = search_events(request.user, {**data, "object_type": object_type, "object_id": object_id}, log=log) \
        if form.is_valid() else AuditEvent.objects.none()
    objects = humanize.load_objects([(object_type, object_id)])
    heading = humanize.fill(_("History of %(object)s"), object=humanize.object_html(object_type, object_id, objects))
    return _render(request, form, qs, strip_tags(heading),
                   {"object_type": object_type, "object_id": object_id, "heading": heading})
