"""HTML forms for entry and for each workflow action. Validation of rules stays in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Role, User
from accounts.selectors import users_serving
from cases.models import CaseStatus, Category, Decision


class DateInput(forms.DateInput):
    input_type = "date"


class BootstrapMixin:
    """Bootstrap classes on every widget (no inline styles: the CSP forbids them)."""

    def style_fields(self):
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.CheckboxSelectMultiple):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


class CaseForm(BootstrapMixin, forms.Form):
    applicant = forms.ModelChoiceField(label=_("Applicant"), queryset=None, required=False)
    reason = forms.CharField(label=_("Reason for applying"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    authorisation_signed = forms.BooleanField(label=_("Authorisation for information checks signed"),
                                              required=False)
    authorisation_date = forms.DateField(label=_("Authorisation signed on"), required=False, widget=DateInput)
    staff_relative = forms.BooleanField(label=_("Applicant is related to case staff or village cadres"),
                                        required=False)
    staff_relative_relation = forms.CharField(label=_("Relation"), required=False, max_length=100)
    staff_relative_to = forms.CharField(label=_("Related to (staff member / cadre)"), required=False, max_length=100)
    individual_member = forms.ModelChoiceField(label=_("Individual inclusion: only this member"), queryset=None,
                                               required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)  # required when editing

    def __init__(self, *args, household, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["version"] = version_field()
        members = household.members.filter(is_active=True)
        self.fields["applicant"].queryset = members
        self.fields["individual_member"].queryset = members
        self.style_fields()


class CaseFilterForm(forms.Form):
    # Open (undecided) cases by default: decided, withdrawn and closed ones only when asked for.
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Open cases (not yet decided)")), ("all", _("All states"))]
                               + list(CaseStatus.choices))
    overdue = forms.BooleanField(label=_("Overdue or near a deadline"), required=False)
    staff_relative = forms.BooleanField(label=_("Staff relatives only"), required=False)
    returned = forms.BooleanField(label=_("Returned to the village"), required=False)
    # The division (township or village) comes from the cascading picker: accounts.picker.scoped_code.


VERSION_MISSING = _("The form was sent without the version of the case it was read at. Reload the page and "
                    "try again.")


def version_field():
    """Every change to a case carries the version it was read at (the API's rule): a POST without it is 400."""
    return forms.IntegerField(widget=forms.HiddenInput, error_messages={
        "required": VERSION_MISSING, "invalid": VERSION_MISSING})


class ActionForm(BootstrapMixin, forms.Form):
    version = version_field()

    def __init__(self, *args, case=None, **kwargs):
        self.case = case
        super().__init__(*args, **kwargs)
        self.style_fields()


class ReasonsForm(ActionForm):
    reasons = forms.CharField(label=_("Reasons (visible to the village)"), widget=forms.Textarea(attrs={"rows": 4}))


class ReasonForm(ActionForm):
    reason = forms.CharField(label=_("Written reason"), widget=forms.Textarea(attrs={"rows": 4}))


class VisitForm(ActionForm):
    number = forms.TypedChoiceField(label=_("Visit"), coerce=int, choices=[(1, _("Visit 1")), (2, _("Visit 2"))])
    visit_date = forms.DateField(label=_("Visit date"), widget=DateInput)
    investigators = forms.ModelMultipleChoiceField(label=_("Investigators (users)"), queryset=User.objects.none(),
                                                   required=False, widget=forms.CheckboxSelectMultiple)
    investigator_names = forms.CharField(
        label=_("Other investigators (one name per line)"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}))
    findings = forms.CharField(label=pgettext_lazy("home visit", "Findings"), widget=forms.Textarea(attrs={"rows": 4}))
    verified_monthly_income = forms.DecimalField(label=_("Verified monthly household income (yuan)"),
                                                 required=False, min_value=0, max_digits=12, decimal_places=2)
    verified_financial_assets = forms.DecimalField(label=_("Verified financial assets (yuan)"), required=False,
                                                   min_value=0, max_digits=12, decimal_places=2)
    applicant_signed = forms.BooleanField(label=_("Applicant signed the findings"), required=False)
    signed_record = forms.FileField(
        label=_("Signed visit record (photo or PDF)"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf", "capture": True}),
        help_text=_("Photograph the visit record the applicant and investigators signed, or choose its PDF. "
                    "Needed when the applicant signed."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["investigators"].queryset = users_serving(self.case.division_code).filter(
            role__in=[Role.VILLAGE_STAFF, Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICER]).order_by("role", "username")
        self.fields["investigators"].label_from_instance = lambda u: f"{u.get_full_name() or u.username} · " \
                                                                     f"{u.get_role_display()}"

    def clean_investigator_names(self):
        return [line.strip() for line in self.cleaned_data["investigator_names"].splitlines() if line.strip()]

    def clean(self):
        data = super().clean()
        if data.get("applicant_signed") and not data.get("signed_record"):
            self.add_error("signed_record", _("The applicant signed: attach the signed visit record (a photo or a "
                                              "PDF), or untick “Applicant signed the findings”."))
        return data


class ObjectionForm(ActionForm):
    content = forms.CharField(label=_("Objection"), widget=forms.Textarea(attrs={"rows": 4}))
    raised_by = forms.CharField(label=_("Raised by"), required=False, max_length=100)
    received_on = forms.DateField(label=_("Received on"), required=False, widget=DateInput)


class ApproveForm(ActionForm):
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    first_payment_month = forms.DateField(label=_("First payment month"), required=False,
                                          input_formats=["%Y-%m", "%Y-%m-%d"],
                                          widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
                                          help_text=_("Empty: the month after approval."))
    override_amount = forms.DecimalField(label=_("Different monthly amount (yuan)"), required=False,
                                         max_digits=12, decimal_places=2,
                                         help_text=_("Only with a written reason."))
    override_reason_kind = forms.ChoiceField(
        label=_("Kind of reason for a higher amount"), required=False,
        choices=[("", "---------")] + list(Decision.ReasonKind.choices),
        help_text=_("A higher amount than the calculation needs a kind, a reason of at least 10 characters and "
                    "a second county officer's confirmation."))
    override_reason = forms.CharField(label=_("Reason for the different amount"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 2}))
    findings_override_reason = forms.CharField(
        label=_("Reason to approve despite an open double-dibao finding"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only needed when the shared registry found a member in another open dibao case."))


# action -> form class (actions absent here need only a confirmation)
ACTION_FORMS = {
    "return": ReasonsForm, "extend": ReasonForm, "visits": VisitForm, "objection": ObjectionForm,
    "approve": ApproveForm, "reject": ReasonForm, "reinvestigate": ReasonForm, "withdraw": ReasonForm,
}
