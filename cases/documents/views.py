"""Document pages: each a printable A4 sheet with a PDF download (?format=pdf)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.selectors import villages_visible
from cases.documents.context import notices_on_board, office_for
from cases.documents.render import document_response
from cases.models import Decision, DocumentNumber
from cases.selectors import case_detail
from dibao.errors import NotFound

BLANK_FORMS = {
    "application": ("cases/documents/application_form.html", _("Application for minimum living security")),
    "authorisation": ("cases/documents/authorisation_form.html",
                      _("Authorisation to verify the household's financial situation")),
}
BLANK_ROWS = range(6)


@login_required
def blank_form_view(request, kind):
    if kind not in BLANK_FORMS:
        raise NotFound()
    template, title = BLANK_FORMS[kind]
    code = request.user.division.code if request.user.division_id else None
    return document_response(request, template, {"title": str(title), "office": office_for(code),
                                                 "rows": BLANK_ROWS, "back_url": reverse("home"),
                                                 "back_label": _("Home")}, filename=kind)


def _case_context(case, title):
    return {"case": case, "title": title, "office": office_for(case.division_code),
            "back_url": reverse("cases:detail", args=[case.pk]), "back_label": _("Back to the case")}


@login_required
def visit_record_view(request, pk):
    """入户调查表, pre-filled with the household, its members, declared income and assets and the visits so far."""
    case = case_detail(request.user, pk)
    household = case.household
    context = _case_context(case, _("Home-visit record")) | {
        "members": household.members.filter(is_active=True).order_by("id"),
        "incomes": household.incomes.select_related("member").order_by("id"),
        "assets": household.assets.order_by("id"),
        "visits": [v for v in case.visits.all() if v.round == case.investigation_round],
        "blank_rows": range(2),
    }
    return document_response(request, "cases/documents/visit_record.html", context,
                             filename=f"visit-record-{case.pk}", obj=case, division_code=case.division_code)


@login_required
def review_form_view(request, pk):
    """审核确认表: the file, the visits, the notice and the decision on one sheet, with signature boxes."""
    case = case_detail(request.user, pk)
    notices = list(case.notices.all())
    decisions = [d for d in case.decisions.all() if d.confirmation != Decision.Confirmation.CANCELLED]
    context = _case_context(case, _("Review and confirmation form")) | {
        "visits": list(case.visits.all()), "notice": notices[-1] if notices else None,
        "decision": decisions[0] if decisions else None,
    }
    return document_response(request, "cases/documents/review_form.html", context,
                             filename=f"review-form-{case.pk}", obj=case, division_code=case.division_code)


@login_required
def notice_board_view(request, code):
    """The village notice board: every application in notice there on one sheet."""
    village = villages_visible(request.user).filter(code=code).first()
    if village is None:
        raise NotFound()
    notices = notices_on_board(request.user, village)
    starts = min((n.starts_on for n in notices), default=None)
    ends = max((n.ends_on for n in notices), default=None)
    context = {"village": village, "notices": notices, "starts": starts, "ends": ends,
               "same_period": len({(n.starts_on, n.ends_on) for n in notices}) <= 1,
               "office": office_for(village.code), "title": _("Public notice of minimum living security"),
               "back_url": reverse("cases:list") + f"?status=in_notice&village={village.code}",
               "back_label": _("Back to the cases")}
    return document_response(request, "cases/documents/notice_board.html", context,
                             filename=f"notice-board-{village.code}", obj=village, division_code=village.code)


@login_required
def notice_print_view(request, pk):
    """The case's notice is printed on its village's board, with the other applications in notice there."""
    case = case_detail(request.user, pk)
    if not list(case.notices.all()):
        raise NotFound()
    return redirect("cases:notice_board", case.household.village.code)


@login_required
def decision_letter_view(request, pk):
    """The decision (approval) or refusal letter, with its document number, the office, seal and rights."""
    case = case_detail(request.user, pk)
    decisions = list(case.decisions.all())
    # An approval not (or never to be) confirmed by the second officer is no decision yet.
    if not decisions or decisions[0].confirmation in (Decision.Confirmation.PENDING, Decision.Confirmation.CANCELLED):
        raise NotFound()
    decision = decisions[0]
    number = DocumentNumber.objects.filter(decision=decision).first()
    issued_on = decision.confirmed_at.date() if decision.confirmed_at else decision.decided_on
    context = _case_context(case, _("Decision letter")) | {"decision": decision, "number": number,
                                                           "issued_on": issued_on}
    return document_response(request, "cases/documents/decision_letter.html", context,
                             filename=f"decision-letter-{case.pk}", obj=case, division_code=case.division_code)
