from django import forms
from django.utils.translation import gettext_lazy as _


class RosterUploadForm(forms.Form):
    file = forms.FileField(label=_("Roster file"),
                           help_text=_("CSV (UTF-8, GBK or GB18030) or XLSX, one row per member."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update({"class": "form-control", "accept": ".csv,.xlsx"})
