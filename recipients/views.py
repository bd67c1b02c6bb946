"""Pages: review queue and form, exit form and notice letter, payment rolls. Writes call the services."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Level, Role
from audit.services import record_access
from cases.months import add_months
from cases.selectors import access_case_by_id
from dibao.errors import DomainError, NotFound, NotPermitted
from dibao.forms import show_domain_error
from recipients import exports, selectors, services
from recipients.forms import ExitForm, ReportChangeForm, ReviewCompleteForm, RollGenerateForm, VersionForm
from recipients.models import CaseExit

READ_ROLES = (Role.COUNTY_OFFICER, Role.AUDITOR)


def _require(request, *roles):
    if not request.user.has_role(*roles):
        raise PermissionDenied


def home_panel(request):
    user = request.user
    if not user.is_authenticated or user.role != Role.COUNTY_OFFICER:
        return None
    today = timezone.localdate()
    counts = selectors.home_counts(user, today=today)
    reviews_url = reverse("recipients:reviews")
    rolls_url = reverse("recipients:payment_rolls")
    return {"title": _("Recipients"), "items": [
        {"label": _("Reviews due"), "count": counts["due"], "url": reviews_url, "alert": False},
        {"label": _("Reviews overdue"), "count": counts["overdue"], "url": reviews_url + "?overdue=1", "alert": True},
        {"label": _("Payment rolls to review"), "count": counts["to_review"], "url": rolls_url + "?status=draft",
         "alert": False},
        {"label": _("Payment rolls to finalise"), "count": counts["to_finalise"], "url": rolls_url + "?status=reviewed",
         "alert": False},
    ]}


def review_queue(request):
    _require(request, *READ_ROLES)
    today = timezone.localdate()
    reviews = selectors.reviews_due(request.user, today=today)
    if request.GET.get("overdue"):
        reviews = reviews.filter(due_date__lt=today)
    kind = request.GET.get("kind")
    if kind:
        reviews = reviews.filter(kind=kind)
    page = Paginator(reviews, 50).get_page(request.GET.get("page"))
    return render(request, "recipients/review_queue.html", {
        "title": _("Reviews"), "page": page, "today": today, "overdue": bool(request.GET.get("overdue"))})


def review_detail(request, pk):
    _require(request, *READ_ROLES)
    review = selectors.access_review_by_id(request.user, pk)
    form = None
    if request.user.has_role(Role.COUNTY_OFFICER) and review.status == "due" and not review.awaiting_second_approval:
        form = ReviewCompleteForm(request.POST or None, initial={"version": review.version})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.review_complete(
                    actor=request.user, review=review, outcome=data["outcome"], findings=data["findings"],
                    verified_per_capita_income=data["verified_per_capita_income"], version=data["version"],
                    exit_kind=data["exit_kind"], exit_reason=data["exit_reason"],
                    effective_month=data["effective_month"], amount_to_recover=data["amount_to_recover"],
                    on_poverty_roster=data["on_poverty_roster"] or None, override_amount=data["override_amount"],
                    override_reason=data["override_reason"], override_reason_kind=data["override_reason_kind"])
            except DomainError as error:
                if isinstance(error, NotPermitted):
                    raise PermissionDenied
                show_domain_error(form, error)
            else:
                review.refresh_from_db()
                messages.success(request, _("The higher amount now awaits a second county officer's confirmation.")
                                 if review.awaiting_second_approval else _("The review is completed."))
                return redirect("recipients:review", pk=review.pk)
    case_exit = CaseExit.objects.filter(case_id=review.case_id).only("pk").first()
    may_confirm = (review.awaiting_second_approval and request.user.has_role(Role.COUNTY_OFFICER)
                   and review.proposed_by_id != request.user.pk)
    return render(request, "recipients/review_detail.html", {
        "title": _("Review"), "review": review, "case": review.case, "form": form, "case_exit": case_exit,
        "perms_exit": request.user.has_role(Role.COUNTY_OFFICER), "may_confirm": may_confirm})


@require_POST
def review_confirm_amount(request, pk):
    """The second county officer confirms a review's higher amount (the proposer gets 403)."""
    _require(request, Role.COUNTY_OFFICER)
    review = selectors.access_review_by_id(request.user, pk)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("The form was sent without the version it was read at: reload the page."))
    try:
        services.review_confirm_amount(actor=request.user, review=review, version=form.cleaned_data["version"])
    except NotPermitted as error:
        raise PermissionDenied(str(error.message)) from None
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The higher amount is confirmed; it is paid from next month."))
    return redirect("recipients:review", pk=review.pk)


def report_change(request, case_id):
    _require(request, Role.VILLAGE_STAFF, Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICER)
    case = access_case_by_id(request.user, case_id)
    form = ReportChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review = services.review_report_change(actor=request.user, case=case,
                                                   reported_change=form.cleaned_data["reported_change"])
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, _("The change is recorded and a review is open."))
            if request.user.has_role(*READ_ROLES):
                return redirect("recipients:review", pk=review.pk)
            return redirect("recipients:report_change", case_id=case.pk)
    return render(request, "recipients/report_change.html", {"title": _("Report a change"), "case": case,
                                                             "form": form})


def exit_form(request, case_id):
    _require(request, Role.COUNTY_OFFICER)
    case = access_case_by_id(request.user, case_id)
    form = ExitForm(request.POST or None, initial={"version": case.version})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case_exit = services.case_exit(
                actor=request.user, case=case, kind=data["kind"], reason=data["reason"],
                effective_month=data["effective_month"], amount_to_recover=data["amount_to_recover"],
                on_poverty_roster=data["on_poverty_roster"] or None, version=data["version"])
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, _("The exit is recorded. Print the notice letter for the household."))
            return redirect("recipients:exit_notice", pk=case_exit.pk)
    return render(request, "recipients/exit_form.html", {"title": _("Exit"), "case": case, "form": form})


def exit_notice(request, pk):
    _require(request, *READ_ROLES)
    case_exit = selectors.access_exit_by_id(request.user, pk)
    months = []
    if case_exit.gradual_schedule:
        months = [(add_months(case_exit.effective_month, i), p) for i, p in enumerate(case_exit.gradual_schedule)]
    return render(request, "recipients/exit_notice.html", {
        "title": _("Exit notice"), "exit": case_exit, "case": case_exit.case, "months": months,
        "recoveries": list(case_exit.recoveries.all())})


def roll_list(request):
    _require(request, *READ_ROLES)
    rolls = selectors.rolls_visible(request.user)
    status = request.GET.get("status")
    if status:
        rolls = rolls.filter(status=status)
    form = None
    user = request.user
    if user.role == Role.COUNTY_OFFICER and user.division and user.division.level == Level.COUNTY:
        form = RollGenerateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                job = services.payment_roll_start(actor=user, county=user.division, month=form.cleaned_data["month"])
            except DomainError as error:
                show_domain_error(form, error)
            else:
                messages.success(request, _("The payment roll is being generated; this page shows the progress."))
                return redirect("jobs:detail", pk=job.pk)
    page = Paginator(rolls, 50).get_page(request.GET.get("page"))
    return render(request, "recipients/roll_list.html", {"title": _("Payment rolls"), "page": page, "form": form})


def roll_detail(request, pk):
    _require(request, *READ_ROLES)
    roll = selectors.access_roll_by_id(request.user, pk)
    lines = Paginator(selectors.roll_lines(roll), 100).get_page(request.GET.get("page"))
    return render(request, "recipients/roll_detail.html", {
        "title": _("Payment roll"), "roll": roll, "lines": lines, "village_totals": selectors.roll_village_totals(roll),
        "can_write": request.user.has_role(Role.COUNTY_OFFICER)})


@require_POST
def roll_action(request, pk, action):
    _require(request, Role.COUNTY_OFFICER)
    roll = selectors.access_roll_by_id(request.user, pk)
    version = request.POST.get("version")
    try:
        if action == "regenerate":
            job = services.payment_roll_start(actor=request.user, county=roll.county, month=roll.month)
            messages.success(request, _("The payment roll is being generated; this page shows the progress."))
            return redirect("jobs:detail", pk=job.pk)
        elif action == "review":
            services.payment_roll_review(actor=request.user, roll=roll, version=version)
            messages.success(request, _("The payment roll is marked reviewed."))
        elif action == "finalise":
            services.payment_roll_finalise(actor=request.user, roll=roll, version=version)
            messages.success(request, _("The payment roll is finalised."))
        else:
            raise NotFound()
    except NotFound:
        raise
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("recipients:payment_roll", pk=roll.pk)


def roll_export(request, pk, fmt):
    _require(request, *READ_ROLES)
    roll = selectors.access_roll_by_id(request.user, pk)
    return export_response(request.user, roll, fmt)


def export_response(user, roll, fmt):
    if fmt == "csv":
        body, content_type = exports.roll_csv(roll), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = exports.roll_xlsx(roll)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        raise NotFound()
    record_access(user=user, action="payment_roll.export", obj=roll, division_code=roll.county.code,
                  detail={"format": fmt})
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{exports.export_filename(roll, fmt)}"'
    return response
