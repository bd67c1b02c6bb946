from django import forms
from django.utils.translation import gettext_lazy as _

from poverty_registry.models import MonitoringType, RegistryStatus


class RegistryFilterForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2013, max_value=2100)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), *RegistryStatus.choices])
    monitoring_type = forms.ChoiceField(
        label=_("Monitoring type"), required=False,
        choices=[("", _("All")), *[(v, label) for v, label in MonitoringType.choices if v], ("none", _("Not monitored"))])
    division = forms.RegexField(label=_("Division code"), required=False, regex=r"^\d{2,12}$",
                                error_messages={"invalid": _("Enter digits of a division code.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm" if isinstance(
                field, forms.ChoiceField) else "form-control form-control-sm"


class RegistryImportForm(forms.Form):
    file = forms.FileField(label=_("Registry file"),
                           help_text=_("CSV (UTF-8, UTF-8 with BOM, GBK or GB18030) or XLSX, one row per member, header row "
                                       "required."))
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2013, max_value=2100,
                              help_text=_("Optional: every row must be of this year."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update({"class": "form-control", "accept": ".csv,.xlsx"})
        self.fields["year"].widget.attrs["class"] = "form-control"
