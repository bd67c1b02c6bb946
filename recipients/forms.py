from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.models import Decision
from recipients.models import EXIT_KINDS_BY_HAND, ReviewOutcome


class MonthField(forms.DateField):
    """A month as YYYY-MM (an <input type=month>), stored as its first day."""

    widget = forms.DateInput(attrs={"type": "month", "class": "form-control"}, format="%Y-%m")
    input_formats = ["%Y-%m", "%Y-%m-%d"]


class ReviewCompleteForm(forms.Form):
    outcome = forms.ChoiceField(label=pgettext_lazy("review", "Outcome"), choices=ReviewOutcome.choices,
                                widget=forms.Select(attrs={"class": "form-select"}))
    findings = forms.CharField(label=_("Visit findings"), required=False,
                               widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}))
    verified_per_capita_income = forms.DecimalField(
        label=_("Verified per-capita monthly income (yuan)"), required=False, min_value=0, decimal_places=2,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}))
    exit_kind = forms.ChoiceField(label=_("Exit reason"), required=False,
                                  choices=[("", "---------")] + EXIT_KINDS_BY_HAND,
                                  widget=forms.Select(attrs={"class": "form-select"}))
    exit_reason = forms.CharField(label=_("Written reason for the exit"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}))
    effective_month = MonthField(label=_("Exit effective month"), required=False)
    amount_to_recover = forms.DecimalField(label=_("Amount to recover (yuan, fraud only)"), required=False,
                                           min_value=0, decimal_places=2,
                                           widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}))
    on_poverty_roster = forms.BooleanField(label=_("Household is on the poverty roster (longer gradual exit)"),
                                           required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    override_amount = forms.DecimalField(label=_("Different monthly amount (yuan)"), required=False, min_value=0,
                                         max_digits=12, decimal_places=2, help_text=_("Only with a written reason."),
                                         widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}))
    override_reason_kind = forms.ChoiceField(
        label=_("Kind of reason for a higher amount"), required=False,
        choices=[("", "---------")] + list(Decision.ReasonKind.choices),
        widget=forms.Select(attrs={"class": "form-select"}),
        help_text=_("An amount higher than the household is paid now needs a kind, a reason of at least 10 "
                    "characters and a second county officer's confirmation."))
    override_reason = forms.CharField(label=_("Reason for the amount"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class ExitForm(forms.Form):
    kind = forms.ChoiceField(label=_("Exit reason"), choices=EXIT_KINDS_BY_HAND,
                             widget=forms.Select(attrs={"class": "form-select"}))
    reason = forms.CharField(label=_("Written reason"),
                             widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}))
    effective_month = MonthField(label=_("Effective month"),
                                 help_text=_("Immediate exit: the first month not paid. Gradual exit: its first month."))
    amount_to_recover = forms.DecimalField(label=_("Amount to recover (yuan, fraud only)"), required=False,
                                           min_value=0, decimal_places=2,
                                           widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}))
    on_poverty_roster = forms.BooleanField(label=_("Household is on the poverty roster (longer gradual exit)"),
                                           required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class ReportChangeForm(forms.Form):
    reported_change = forms.CharField(label=_("Change reported by the household"),
                                      widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}))


class RollGenerateForm(forms.Form):
    month = MonthField(label=_("Month"))
