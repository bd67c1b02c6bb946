from django import forms
from django.utils.translation import gettext_lazy as _

from overlaps.models import OUTCOME_CHOICES, FlagStatus, RuleCode, Severity


class FlagFilterForm(forms.Form):
    rule = forms.ChoiceField(label=_("Rule"), required=False, choices=[("", "---")] + RuleCode.choices)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", "---")] + FlagStatus.choices)
    severity = forms.ChoiceField(label=_("Severity"), required=False, choices=[("", "---")] + Severity.choices)
    # The division comes from the cascading picker (accounts.picker.scoped_code), not from this form.

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=OUTCOME_CHOICES, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3,
                                                                                        "class": "form-control"}))
    version = forms.IntegerField(widget=forms.HiddenInput)
