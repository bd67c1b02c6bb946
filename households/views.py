"""Pages: list, create, detail, edit. Every write goes through households.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import picker
from accounts.models import Role
from accounts.views import register_home_panel
from audit.disclosure import purpose_choices, validate_disclosure
from audit.services import record_access
from dibao.api import ScopedThrottle
from dibao.errors import DomainError, StaleVersion
from dibao.forms import show_domain_error
from households import selectors, services
from households.forms import AssetFormSet, HouseholdForm, IncomeFormSet, MemberFormSet
from households.models import Household, Member

WRITERS = (Role.VILLAGE_STAFF, Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICER)


@login_required
@require_http_methods(["GET", "POST"])
def household_list(request):
    # The search form posts, so an ID number typed in it never lands in a URL (or a proxy's log); the
    # access log keeps its blind index. Name searches keep working from links (?q=王&page=2).
    params = request.POST if request.method == "POST" else request.GET
    q = params.get("q", "").strip()
    division = picker.scoped_code(request.user, params)
    if selectors.looks_like_id_number(q):
        if request.method != "POST":
            messages.error(request, _("Type the ID number in the search box: it is not taken from a link."))
            q = ""
        else:
            record_access(user=request.user, action="household.search_id_number",
                          detail={"id_hash": selectors.id_number_blind_index(q)})
    qs = selectors.household_list(request.user, q=q, division=division)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(request, "households/list.html", {
        "title": _("Households"), "page": page, "q": "" if selectors.looks_like_id_number(q) else q, "division": division,
        "can_write": request.user.has_role(*WRITERS),
    })


@login_required
@require_http_methods(["GET", "POST"])
def household_detail(request, pk):
    household = selectors.household_detail(request.user, pk)
    # Full ID numbers and the bank account: only on a POST naming a purpose from the list and a note,
    # access-logged and throttled per user (audit/disclosure.py); never from a link.
    show_ids, reveal_errors, status = False, {}, 200
    if request.method == "POST" and request.POST.get("show_ids") == "1":
        try:
            purpose, note = validate_disclosure(request.POST.get("purpose", ""), request.POST.get("note", ""))
        except DomainError as exc:
            reveal_errors, status = exc.fields, 400
        else:
            if not ScopedThrottle("reveal", f"user:{request.user.pk}").allow():
                messages.error(request, _("You have asked for full numbers too often. Try again later."))
                status = 429
            else:
                record_access(user=request.user, action="household.reveal", obj=household,
                              division_code=household.division_code,
                              detail={"purpose": purpose, "note": note, "fields": ["id_number", "bank_account"]})
                show_ids = True
    members = list(household.members.all())
    figures = services.household_figures(household, members=members, incomes=list(household.incomes.all()),
                                         assets=list(household.assets.all()))
    return render(request, "households/detail.html", {
        "title": household.head_name or _("Household"), "household": household, "members": members,
        "figures": figures, "show_ids": show_ids, "history": selectors.household_history(household),
        "can_write": request.user.has_role(*WRITERS), "purposes": purpose_choices(),
        "reveal_errors": reveal_errors, "reveal_purpose": request.POST.get("purpose", ""),
        "reveal_note": request.POST.get("note", "") if reveal_errors else "",
    }, status=status)


def _rows(formset, fields):
    rows, index = [], []
    for i, form in enumerate(formset.forms):
        if not form.has_changed() and not form.cleaned_data.get("id"):
            continue
        if form.cleaned_data.get("DELETE"):
            continue
        row = {f: form.cleaned_data.get(f) for f in fields}
        row = {k: v for k, v in row.items() if v not in (None, "") or k in ("disability_grade",)}
        rows.append(row)
        index.append(i)
    return rows, index


MEMBER_KEYS = ("id", "id_number", "name", "relationship", "labour_capacity", "health", "disability_grade",
               "disability_type", "student_level", "counted", "not_counted_reason", "not_counted_note")
INCOME_KEYS = ("id", "member", "kind", "monthly_amount", "period_months", "counted", "excluded_reason",
               "deductible_costs", "note")
ASSET_KEYS = ("id", "kind", "vehicle_type", "value", "description")


def _edit(request, household=None):
    if not request.user.has_role(*WRITERS):
        raise PermissionDenied
    editing = household is not None
    member_choices = []
    if editing:
        member_choices = [(m.pk, m.name) for m in household.members.all() if m.is_active]
    kwargs = {"user": request.user, "editing": editing}
    general, stale = {}, False
    if request.method == "POST":
        form = HouseholdForm(request.POST, **kwargs)
        members = MemberFormSet(request.POST, prefix="members")
        incomes = IncomeFormSet(request.POST, prefix="incomes", form_kwargs={"member_choices": member_choices})
        assets = AssetFormSet(request.POST, prefix="assets", form_kwargs={})
        if all([form.is_valid(), members.is_valid(), incomes.is_valid(), assets.is_valid()]):
            m_rows, m_index = _rows(members, MEMBER_KEYS)
            i_rows, i_index = _rows(incomes, INCOME_KEYS)
            a_rows, a_index = _rows(assets, ASSET_KEYS)
            data = {k: form.cleaned_data[k] for k in services.HOUSEHOLD_FIELDS}
            data.update(members=m_rows, incomes=i_rows, assets=a_rows)
            try:
                if editing:
                    household = services.household_update(actor=request.user, household=household,
                                                          version=form.cleaned_data.get("version"), data=data)
                    messages.success(request, _("Household saved."))
                else:
                    household = services.household_create(actor=request.user, village=form.cleaned_data["village"],
                                                          data=data)
                    messages.success(request, _("Household created."))
                return redirect("households:detail", pk=household.pk)
            except StaleVersion:
                stale = True
                general.setdefault("household", []).append(
                    _("Someone else changed this household after you opened it. Your input is kept below; "
                      "check the current record and save again to overwrite."))
                post = request.POST.copy()
                post["version"] = Household.objects.get(pk=household.pk).version
                form = HouseholdForm(post, **kwargs)
                form.is_valid()
            except DomainError as error:
                if error.code == "active_elsewhere" and not services.active_elsewhere_refusal_noted(
                        actor=request.user, error=error):
                    error = DomainError(_("Too many refusals for persons active in other households. "
                                          "Try again later."), code="throttled")
                sets = {"members": (members, m_index), "incomes": (incomes, i_index), "assets": (assets, a_index)}
                general.update(show_domain_error(form, error, formsets=sets))
    else:
        if editing:
            initial = {f: getattr(household, f) for f in services.HOUSEHOLD_FIELDS}
            initial["version"] = household.version
            form = HouseholdForm(initial=initial, **kwargs)
            members = MemberFormSet(prefix="members", initial=[
                {"id": m.pk, **{f: getattr(m, f) for f in MEMBER_KEYS if f not in ("id", "id_number")}}
                for m in household.members.all() if m.is_active])
            incomes = IncomeFormSet(prefix="incomes", form_kwargs={"member_choices": member_choices}, initial=[
                {"id": i.pk, "member": i.member_id, **{f: getattr(i, f) for f in INCOME_KEYS[2:]}}
                for i in household.incomes.all()])
            assets = AssetFormSet(prefix="assets", initial=[
                {"id": a.pk, **{f: getattr(a, f) for f in ASSET_KEYS[1:]}} for a in household.assets.all()])
        else:
            form = HouseholdForm(**kwargs)
            members = MemberFormSet(prefix="members", initial=[{"relationship": Member.Relationship.HEAD,
                                                                "counted": True}])
            incomes = IncomeFormSet(prefix="incomes", form_kwargs={"member_choices": member_choices})
            assets = AssetFormSet(prefix="assets")
    masked = {}
    if editing:
        masked = {m.pk: m.person.masked_id for m in household.members.all()}
    for f in members.forms:
        pk = f.initial.get("id") or (f.data.get(f.add_prefix("id")) if f.is_bound else None)
        if pk and str(pk).isdigit() and int(pk) in masked:
            f.fields["id_number"].widget.attrs["placeholder"] = masked[int(pk)]
    status = 409 if stale else (400 if request.method == "POST" else 200)
    return render(request, "households/form.html", {
        "title": _("Edit household") if editing else _("New household"), "household": household,
        "form": form, "members": members, "incomes": incomes, "assets": assets, "general": general,
        "stale": stale,
        "cancel_url": reverse("households:detail", args=[household.pk]) if editing else reverse("households:list"),
    }, status=status)


@login_required
def household_create(request):
    return _edit(request)


@login_required
def household_edit(request, pk):
    household = selectors.household_detail(request.user, pk)
    return _edit(request, household)


@register_home_panel
def households_panel(request):
    user = request.user
    if not user.is_authenticated or user.role not in (Role.VILLAGE_STAFF, Role.TOWNSHIP_STAFF):
        return None
    qs = selectors.households_visible(user).filter(is_active=True)
    url = reverse("households:list")
    return {"title": _("Households"), "items": [
        {"label": _("Households in your area"), "count": qs.count(), "url": url, "alert": False},
        {"label": _("Households without a head"), "count": qs.filter(head_name="").count(), "url": url,
         "alert": True},
        {"label": _("Households with no income recorded"), "count": qs.filter(incomes__isnull=True).count(),
         "url": url, "alert": True},
    ]}
