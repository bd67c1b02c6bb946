"""Report filters: division (in the user's area), date range and status, validated in one place.

The same form checks GET parameters on pages and the `filters` object of the export API, so a
reversed or absurd date range, a division outside the user's area or an unknown status gives
the same clear message everywhere.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Division
from accounts.scoping import scope_prefix
from accounts.selectors import divisions_visible

EARLIEST_DATE = date(2000, 1, 1)


@dataclass(frozen=True)
class ReportFilters:
    """Validated filters. `prefix` is the division code prefix the rows must start with."""

    prefix: str
    division: Division | None = None
    date_from: date | None = None
    date_to: date | None = None
    status: str = ""

    def as_dict(self) -> dict:
        return {
            "division": self.division.code if self.division else "",
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "status": self.status,
        }

    def as_query(self) -> dict:
        return {k: v for k, v in self.as_dict().items() if v}


class ReportFilterForm(forms.Form):
    division = forms.CharField(label=_("Division code"), required=False, max_length=12,
                               help_text=_("12-digit code of a province, city, county, township or village in your area."))
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, user, status_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["status"].choices = [("", _("Any"))] + list(status_choices)
        if not status_choices:
            self.fields["status"].widget = forms.HiddenInput()
        for name, field in self.fields.items():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)
            field.widget.attrs.setdefault("id", f"filter-{name}")

    def clean_division(self):
        code = (self.cleaned_data.get("division") or "").strip()
        if not code:
            return None
        not_found = _("No division with code %(code)s in your area.") % {"code": code[:12]}
        if not code.isdigit() or len(code) != 12:
            raise forms.ValidationError(_("A division code is exactly 12 digits."))
        division = divisions_visible(self.user).filter(code=code).first()
        if division is None:
            raise forms.ValidationError(not_found)
        return division

    def _check_date(self, name):
        value = self.cleaned_data.get(name)
        if value is None:
            return None
        latest = timezone.localdate() + timedelta(days=366)
        if value < EARLIEST_DATE or value > latest:
            raise forms.ValidationError(
                _("Enter a date between %(start)s and %(end)s.") % {"start": EARLIEST_DATE.isoformat(),
                                                                    "end": latest.isoformat()})
        return value

    def clean_date_from(self):
        return self._check_date("date_from")

    def clean_date_to(self):
        return self._check_date("date_to")

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> ReportFilters:
        """The validated filters; call after is_valid()."""
        data = self.cleaned_data
        division = data.get("division")
        prefix = division.prefix if division else (scope_prefix(self.user) or "")
        return ReportFilters(prefix=prefix, division=division, date_from=data.get("date_from"),
                             date_to=data.get("date_to"), status=data.get("status") or "")
