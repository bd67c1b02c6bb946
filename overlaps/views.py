from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, Count, Value, When
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import picker
from accounts.models import Role
from accounts.scoping import scope_prefix, scope_queryset
from cases.selectors import access_case_by_id
from cases.services import ENTRY_ROLES
from cases.working_days import load_calendar, working_days_between
from dibao.errors import DomainError, NotFound
from dibao.forms import show_domain_error
from households.selectors import access_household_by_id
from overlaps import selectors, services
from overlaps.comparison import comparison
from overlaps.forms import FlagFilterForm, ResolveForm
from overlaps.models import FlagStatus, OverlapFlag, RuleCode, Severity
from overlaps.rules import RULES
from poverty_registry import selectors as registry_selectors


def home_panel(request):
    user = request.user
    if not user.is_authenticated or not user.has_role(Role.COUNTY_OFFICER, Role.VILLAGE_STAFF,
                                                      Role.TOWNSHIP_STAFF):
        return None
    rows = (scope_queryset(user, OverlapFlag.objects.filter(status=FlagStatus.OPEN))
            .values_list("rule", "severity").annotate(n=Count("id")).order_by())
    edge = sum(n for rule, _severity, n in rows if rule == RuleCode.EDGE_HOUSEHOLD)
    counts = {}
    for rule, severity, n in rows:
        if rule != RuleCode.EDGE_HOUSEHOLD:
            counts[severity] = counts.get(severity, 0) + n
    base = reverse("overlaps:list")
    return {"title": _("Shared-registry findings"), "due": high_severity_rows(user), "items": [
        {"label": _("Open findings, high severity"), "count": counts.get("high", 0),
         "url": f"{base}?status=open&severity=high", "alert": bool(counts.get("high"))},
        {"label": _("All open findings"), "count": sum(counts.values()), "url": f"{base}?status=open",
         "alert": False},
        {"label": _("Edge households to watch"), "count": edge, "url": reverse("overlaps:watch_list"),
         "alert": False},
    ]}


def high_severity_rows(user, limit: int = 10) -> list[dict]:
    """The home page's due rows: open high-severity findings, longest waiting first (two queries)."""
    flags = list(scope_queryset(user, OverlapFlag.objects.filter(status=FlagStatus.OPEN, severity=Severity.HIGH))
                 .select_related("division").order_by("first_seen_at", "id")[:limit])
    if not flags:
        return []
    today = timezone.localdate()
    seen = [timezone.localdate(f.first_seen_at) for f in flags]
    calendar = load_calendar(min(seen), today)
    return [{"step": _("High-severity finding"), "title": f"{f.get_rule_display()} · {f.division.name if f.division else ''}",
             "url": reverse("overlaps:detail", args=[f.pk]), "due": None, "days_left": None,
             "waited": working_days_between(day, today, calendar=calendar), "note": ""}
            for f, day in zip(flags, seen, strict=True)]


@login_required
def flag_list(request):
    # The page opens on the open findings of high severity; edge households are a watch list of their own
    # (edge_watch_list), not findings to resolve, and show here only when their rule is asked for.
    params = request.GET if request.GET.keys() - {"page"} else {"status": FlagStatus.OPEN, "severity": Severity.HIGH}
    form = FlagFilterForm(params)
    division = picker.scoped_code(request.user, request.GET)
    filters = {"status": FlagStatus.OPEN, "severity": Severity.HIGH}
    if form.is_valid():
        data = form.cleaned_data
        filters = {"rule": data["rule"], "status": data["status"], "severity": data["severity"],
                   "division": division}
    # High severity first: the medium and low ones follow.
    severity_rank = Case(When(severity=Severity.HIGH, then=Value(0)), When(severity=Severity.MEDIUM, then=Value(1)),
                         default=Value(2))
    qs = selectors.flags_for_user(request.user, **filters)
    if filters.get("rule") != RuleCode.EDGE_HOUSEHOLD:
        qs = qs.exclude(rule=RuleCode.EDGE_HOUSEHOLD)
    page = Paginator(qs.order_by(severity_rank, "-id"), 50).get_page(request.GET.get("page"))
    return render(request, "overlaps/list.html", {
        "form": form, "page": page, "division": division, "title": _("Shared-registry findings"),
        "can_scan": request.user.has_role(Role.COUNTY_OFFICER),
    })


@login_required
def watch_list(request):
    """低保边缘家庭: the edge households to watch, village by village, their income against the standard and
    the edge line, with a new application where they may be entered."""
    division = picker.scoped_code(request.user, request.GET)
    page = Paginator(selectors.edge_watch_list(request.user, village=division), 50).get_page(request.GET.get("page"))
    rows = []
    for flag in page:
        households = list(flag.households.all())
        rows.append({"flag": flag, "household": households[0] if households else None,
                     "standard": flag.details.get("standard"), "upper": flag.details.get("upper")})
    return render(request, "overlaps/watch_list.html", {
        "title": _("Edge households to watch"), "page": page, "rows": rows, "division": division,
        "may_enter": request.user.has_role(*ENTRY_ROLES)})


@login_required
def flag_detail(request, pk):
    flag = selectors.access_flag_by_id(request.user, pk)
    can_resolve = flag.status == FlagStatus.OPEN and request.user.has_role(Role.COUNTY_OFFICER)
    form = ResolveForm(initial={"version": flag.version})
    if request.method == "POST":
        if not request.user.has_role(Role.COUNTY_OFFICER):
            return _forbidden(request)
        form = ResolveForm(request.POST)
        if form.is_valid():
            try:
                services.flag_resolve(actor=request.user, flag=flag, outcome=form.cleaned_data["outcome"],
                                      note=form.cleaned_data["note"], version=form.cleaned_data["version"])
            except DomainError as exc:
                if exc.status_code == 409:
                    messages.error(request, exc.message)
                    return redirect("overlaps:detail", pk=flag.pk)
                show_domain_error(form, exc)
            else:
                messages.success(request, _("The finding was resolved."))
                return redirect("overlaps:detail", pk=flag.pk)
    return render(request, "overlaps/detail.html", {
        "flag": flag, "rule": RULES[flag.rule], "cmp": comparison(flag), "form": form,
        "links": selectors.flag_links(request.user, flag),
        "can_resolve": can_resolve, "title": _("Finding #%(id)s") % {"id": flag.pk},
    }, status=400 if request.method == "POST" else 200)


def _forbidden(request):
    raise PermissionDenied


@login_required
@require_POST
def scan_start(request):
    if not request.user.has_role(Role.COUNTY_OFFICER):
        return _forbidden(request)
    job = services.scan_start(actor=request.user, prefix=scope_prefix(request.user) or "")
    messages.info(request, _("The scan has started."))
    return redirect("jobs:detail", pk=job.pk)


def counts_fragment(request, kind: str, pk: int):
    """Open findings on a case or household, loaded into their pages (htmx); scoped like them."""
    flags = []
    if kind == "case":
        case = access_case_by_id(request.user, pk)
        counts = selectors.open_flag_counts_for_case(case)
        flags = selectors.open_flags_on_case(request.user, case)
    elif kind == "household":
        counts = selectors.open_flag_counts_for_household(access_household_by_id(request.user, pk))
    else:
        raise NotFound()
    return render(request, "overlaps/_open_counts.html", {"counts": counts, "flags": flags})


def registration_detail(request, pk: int):
    """A poverty registration with its members' dibao households and cases (links only where in scope)."""
    household = registry_selectors.registration_detail(request.user, pk)
    links = selectors.member_links(request.user, household)
    rows = []
    for member in household.members.all():
        link = links.get(member.person_id, {})
        dibao = link.get("household")
        if dibao:
            dibao = {**dibao, "url": reverse("households:detail", args=[dibao["id"]]) if dibao["in_scope"] else None}
        cases = [{**c, "url": reverse("cases:detail", args=[c["id"]]) if c["in_scope"] else None}
                 for c in link.get("cases", [])]
        rows.append({"member": member, "dibao": dibao, "cases": cases})
    return render(request, "overlaps/registration_detail.html", {
        "title": _("Poverty registration %(code)s") % {"code": household.registry_code},
        "household": household, "rows": rows,
    })
