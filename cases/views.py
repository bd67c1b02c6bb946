"""Case pages: list with filters, the case page with its timeline, a form per action, prints."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import picker
from accounts.divisions import level_of
from accounts.models import Level, Role
from cases import queues, services, workflow
from cases.batch import BATCH_ACTIONS, batch_for_status, parse_selection, run_batch
from cases.figures import benefit_for_case
from cases.forms import ACTION_FORMS, VERSION_MISSING, ActionForm, CaseFilterForm, CaseForm
from cases.models import ACCEPTED_PENDING_STATES, OPEN_STATES, PENDING_STATES, CaseStatus
from cases.selectors import case_detail, case_events, case_list, mark_deadlines
from cases.sweeps import notice_closes_on
from dibao.errors import DomainError, NotFound
from dibao.forms import show_domain_error
from households.selectors import access_household_by_id, households_visible

# URL slug <-> workflow action (the API uses the same slugs)
SLUGS = {"open_notice": "open-notice", "end_notice": "end-notice", "objection": "objections",
         "confirm_amount": "confirm-amount"}
ACTIONS = {SLUGS.get(a, a): a for a in workflow.TRANSITIONS}


def action_url(case, action: str) -> str:
    """The page that performs the action: its row's page when another app owns it, else the case's form."""
    page = workflow.TRANSITIONS[action].page
    if page:
        return reverse(page, args=[case.pk])
    return reverse("cases:action", args=[case.pk, SLUGS.get(action, action)])


@login_required
def case_list_view(request):
    sort = request.GET.get("sort") or queues.DEFAULT_SORT
    if sort not in queues.CASE_SORTS:
        return HttpResponseBadRequest(_("sort: unknown column “%(value)s”.") % {"value": sort})
    form = CaseFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    status = filters.get("status") or ""
    division = picker.scoped_code(request.user, request.GET)
    qs = case_list(request.user, filters={
        "status": status if status not in ("", "all") else None, "division": division,
        "overdue": filters.get("overdue"), "staff_relative": True if filters.get("staff_relative") else None})
    if not status and not filters.get("returned"):
        qs = qs.filter(status__in=PENDING_STATES)
    if filters.get("returned"):
        qs = qs.filter(status=CaseStatus.DRAFT).exclude(return_reasons="")
    page = Paginator(queues.sort_cases(qs, sort), 50).get_page(request.GET.get("page"))
    on_date = workflow.today()
    calendar = queues.list_calendar(page.object_list, on_date)
    mark_deadlines(page.object_list, on_date, calendar=calendar)
    queues.set_days_left(page.object_list, on_date, calendar=calendar)
    may_create = request.user.has_role(Role.VILLAGE_STAFF, Role.TOWNSHIP_STAFF)
    query = request.GET.copy()
    query.pop("sort", None)
    query.pop("page", None)
    notice_village = division if division and level_of(division) == Level.VILLAGE else ""
    return render(request, "cases/list.html", {"form": form, "page": page, "may_create": may_create,
                                               "division": division, "notice_village": notice_village,
                                               "sort": sort, "query": query.urlencode(), "title": _("Cases"),
                                               "batch": batch_for_status(request.user, status)})


def _load(request, pk):
    case = case_detail(request.user, pk)
    mark_deadlines([case])
    return case


@login_required
def case_detail_view(request, pk):
    case = _load(request, pk)
    benefit = None
    if case.status in ACCEPTED_PENDING_STATES:
        benefit, _inputs = benefit_for_case(case, workflow.today(), strict=False)
    actions = [{"url": action_url(case, t.action), "label": t.label, "style": t.style}
               for t in workflow.allowed_actions(case, request.user)]
    may_edit = case.status == CaseStatus.DRAFT and request.user.has_role(Role.VILLAGE_STAFF, Role.TOWNSHIP_STAFF)
    visits = list(case.visits.all())
    notices = list(case.notices.all())
    for notice in notices:
        notice.closes_on = notice_closes_on(notice)
    decisions = list(case.decisions.all())
    missing = workflow.missing_before(case, "submit") if case.status == CaseStatus.DRAFT else []
    return render(request, "cases/detail.html", {
        "case": case, "benefit": benefit, "actions": actions, "may_edit": may_edit, "visits": visits,
        # County officers record complaints (evidence.views.complaint_create): from the case it concerns.
        "may_record_complaint": request.user.has_role(Role.COUNTY_OFFICER) and case.status != CaseStatus.DRAFT,
        "notices": notices, "decision": decisions[0] if decisions else None, "events": case_events(case),
        "missing": missing, "today": workflow.today(), "title": _("Case %(id)s") % {"id": case.pk},
    })


def _version_missing(request, template: str, context: dict):
    """A case form posted without the version it was read at: 400 with the reason, as the API answers."""
    messages.error(request, VERSION_MISSING)
    return render(request, template, context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def case_create_view(request):
    # Roles that may not enter applications get 403, not a form whose save would fail.
    if not request.user.has_role(*services.ENTRY_ROLES):
        raise PermissionDenied
    household_id = request.GET.get("household") or request.POST.get("household")
    households = households_visible(request.user).filter(is_active=True).exclude(
        cases__status__in=OPEN_STATES)
    if not household_id:
        return render(request, "cases/pick_household.html", {
            "households": households.select_related("village")[:500], "title": _("New application")})
    household = access_household_by_id(request.user, household_id)
    form = CaseForm(request.POST or None, household=household)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            case = services.case_create(actor=request.user, household=household, **data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, _("Application saved as a draft."))
            return redirect("cases:detail", case.pk)
    return render(request, "cases/form.html", {"form": form, "household": household,
                                               "title": _("New application"), "submit_label": _("Save draft")})


@login_required
@require_http_methods(["GET", "POST"])
def case_edit_view(request, pk):
    case = case_detail(request.user, pk)
    if not request.user.has_role(*services.ENTRY_ROLES):
        raise PermissionDenied
    initial = {f: getattr(case, f) for f in services.DRAFT_FIELDS} | {"version": case.version}
    form = CaseForm(request.POST or None, household=case.household, initial=initial, editing=True)
    if request.method == "POST" and "version" in form.errors:
        return _version_missing(request, "cases/form.html", {
            "form": form, "case": case, "household": case.household, "title": _("Edit application"),
            "submit_label": _("Save")})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.case_update(actor=request.user, case=case, **data)
        except DomainError as error:
            show_domain_error(form, error)
            if error.status_code != 400:
                messages.error(request, str(error.message))
        else:
            messages.success(request, _("Application saved."))
            return redirect("cases:detail", case.pk)
    return render(request, "cases/form.html", {"form": form, "case": case, "household": case.household,
                                               "title": _("Edit application"), "submit_label": _("Save")})


@login_required
@require_http_methods(["GET", "POST"])
def case_action_view(request, pk, slug):
    action = ACTIONS.get(slug)
    if action is None:
        raise NotFound()
    case = _load(request, pk)
    transition = workflow.TRANSITIONS[action]
    # Outside the area: 404 (from _load). A role that may never do this: 403, form or not. A state the
    # case has left since the page was loaded: back to the case with the reason (below).
    if not workflow.role_may(request.user, transition):
        raise PermissionDenied
    if case.status not in transition.sources:
        messages.error(request, _("“%(action)s” is not allowed while the case is %(status)s.")
                       % {"action": transition.label, "status": case.get_status_display()})
        return redirect("cases:detail", case.pk)
    if action == "end_notice" and not workflow.notice_period_over(case):
        notices = [n for n in case.notices.all() if n.outcome == "open"]
        if notices:
            messages.error(request, _("The notice runs until %(ends)s and closes by itself on %(closes)s.") % {
                "ends": notices[-1].ends_on.isoformat(), "closes": notice_closes_on(notices[-1]).isoformat()})
        return redirect("cases:detail", case.pk)
    if transition.page:  # another app's page performs this action (recipients' exit form)
        return redirect(action_url(case, action))
    form_class = ACTION_FORMS.get(action, ActionForm)
    form = form_class(request.POST if request.method == "POST" else None, request.FILES or None, case=case,
                      initial={"version": case.version})
    if request.method == "POST" and "version" in form.errors:
        return _version_missing(request, "cases/action.html", {"form": form, "case": case, "transition": transition,
                                                               "benefit": None, "title": transition.label})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v is not None or k == "version"}
        try:
            with transaction.atomic():
                workflow.run(action, actor=request.user, case=case.pk, **data)
        except DomainError as error:
            if error.status_code == 400:
                show_domain_error(form, error)
            else:
                messages.error(request, str(error.message))
                return redirect("cases:detail", case.pk)
        else:
            messages.success(request, _("Done: %(action)s.") % {"action": transition.label})
            return redirect("cases:detail", case.pk)
    benefit = None
    if action in ("approve", "open_notice"):
        benefit, _inputs = benefit_for_case(case, workflow.today(), strict=False)
    return render(request, "cases/action.html", {"form": form, "case": case, "transition": transition,
                                                 "benefit": benefit, "title": transition.label})


@login_required
def household_cases_panel(request, household_pk):
    """The household page's "Applications" card (htmx): its cases, newest first, and a button to apply.

    Scoped like the household page; the button shows only to roles that enter applications and only
    when the household has no open case (the database allows one open case per household).
    """
    household = access_household_by_id(request.user, household_pk)
    cases = list(household.cases.order_by("-id")[:20])
    mark_deadlines(cases)
    may_apply = (household.is_active and request.user.has_role(*services.ENTRY_ROLES)
                 and not any(c.status in OPEN_STATES for c in cases))
    return render(request, "cases/_household_cases.html", {"household": household, "cases": cases,
                                                           "may_apply": may_apply})


@login_required
@require_http_methods(["POST"])
def batch_view(request, slug):
    """Run one action on the selected cases (each through the workflow runner) and show who went through."""
    batch = BATCH_ACTIONS.get(slug)
    if batch is None:
        raise NotFound()
    if not workflow.role_may(request.user, workflow.TRANSITIONS[batch.action]):
        raise PermissionDenied
    try:
        items = parse_selection(request.POST.getlist("case"))
    except DomainError as error:
        return HttpResponseBadRequest("; ".join(f"{field}: {', '.join(map(str, msgs))}"
                                                for field, msgs in error.fields.items()))
    results = run_batch(batch.action, actor=request.user, items=items)
    loaded = {c.pk: c for c in case_list(request.user).filter(pk__in=[r["case"] for r in results])}
    for row in results:
        row["case_obj"] = loaded.get(row["case"])
    villages = sorted({(r["case_obj"].household.village.code, r["case_obj"].household.village.name)
                       for r in results if r["ok"] and r["case_obj"]})
    return render(request, "cases/batch_result.html", {
        "batch": batch, "results": results, "done": sum(r["ok"] for r in results),
        "refused": sum(not r["ok"] for r in results), "villages": villages if batch.action == "open_notice" else [],
        "title": batch.label})
