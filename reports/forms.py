from django import forms
from django.utils.translation import gettext_lazy as _

from audit.disclosure import NOTE_MAX_LENGTH, purpose_choices
from reports.models import ExportFormat


class ExportForm(forms.Form):
    format = forms.ChoiceField(label=_("Format"), choices=ExportFormat.choices, initial=ExportFormat.CSV,
                               widget=forms.Select(attrs={"class": "form-select", "id": "export-format"}))
    purpose = forms.ChoiceField(
        label=_("Purpose (only to include full ID numbers)"), required=False,
        choices=[("", "—"), *purpose_choices()],
        help_text=_("ID numbers are masked unless you state why you need them in full. The purpose is logged."),
        widget=forms.Select(attrs={"class": "form-select", "id": "export-purpose"}))
    purpose_note = forms.CharField(
        label=_("Note"), required=False, max_length=NOTE_MAX_LENGTH,
        widget=forms.TextInput(attrs={"class": "form-control", "id": "export-purpose-note"}))
