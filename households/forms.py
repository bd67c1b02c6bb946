"""Page forms: the household plus member, income and asset formsets, all saved by one service call."""

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from accounts.models import Division, Level
from accounts.scoping import scope_queryset
from households.models import Asset, Household, IncomeKind, Member


class Bootstrap:
    """Bootstrap classes on every widget (no inline styles: the CSP forbids them)."""

    def style(self):
        for field in self.fields.values():
            w = field.widget
            if isinstance(w, forms.CheckboxInput):
                w.attrs["class"] = "form-check-input"
            elif isinstance(w, forms.Select):
                w.attrs["class"] = "form-select form-select-sm"
            elif not isinstance(w, forms.HiddenInput):
                w.attrs["class"] = "form-control form-control-sm"


class HouseholdForm(Bootstrap, forms.Form):
    village = forms.ModelChoiceField(label=_("village"), queryset=Division.objects.none(), to_field_name="code")
    address = forms.CharField(label=_("address"), max_length=200)
    registration_type = forms.ChoiceField(label=_("registration type"), choices=Household.RegistrationType.choices)
    contact_phone = forms.CharField(label=_("contact phone"), max_length=20, required=False)
    bank_name = forms.CharField(label=_("bank"), max_length=100, required=False)
    bank_account = forms.CharField(label=_("bank account"), max_length=30, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["village"]
        else:
            self.fields["village"].queryset = scope_queryset(
                user, Division.objects.filter(level=Level.VILLAGE)).order_by("code")
            division = getattr(user, "division", None)
            if division is not None and division.level == Level.VILLAGE:
                # Village staff enter households of their own village only: it is chosen already.
                self.fields["village"].empty_label = None
                self.fields["village"].initial = division.code
        self.style()


class MemberForm(Bootstrap, forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    id_number = forms.CharField(label=_("resident ID number"), max_length=30, required=False)
    name = forms.CharField(label=_("full name"), max_length=50)
    relationship = forms.ChoiceField(label=_("relationship to head"), choices=Member.Relationship.choices)
    labour_capacity = forms.ChoiceField(label=_("labour capacity"), choices=Member.LabourCapacity.choices)
    health = forms.ChoiceField(label=_("health"), choices=Member.Health.choices)
    disability_grade = forms.TypedChoiceField(label=_("disability grade"), required=False, coerce=int,
                                              empty_value=None, choices=[("", "-")] + [(i, i) for i in range(1, 5)])
    disability_type = forms.ChoiceField(label=_("disability type"), choices=Member.DisabilityType.choices,
                                        required=False)
    student_level = forms.ChoiceField(label=_("student level"), choices=Member.StudentLevel.choices, required=False)
    counted = forms.BooleanField(label=_("counted in household"), required=False, initial=True)
    not_counted_reason = forms.ChoiceField(label=_("reason not counted"), choices=Member.NotCountedReason.choices,
                                           required=False)
    not_counted_note = forms.CharField(label=_("note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()

    def clean(self):
        data = super().clean()
        if not data.get("id") and not data.get("id_number") and not self.errors:
            self.add_error("id_number", _("Enter the resident ID number."))
        return data


class IncomeForm(Bootstrap, forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    member = forms.TypedChoiceField(label=_("member"), required=False, coerce=int, empty_value=None, choices=[])
    kind = forms.ChoiceField(label=_("kind"), choices=IncomeKind.choices)
    monthly_amount = forms.DecimalField(label=_("monthly amount (yuan)"), max_digits=12, decimal_places=2)
    period_months = forms.IntegerField(label=_("reference period (months)"), required=False, initial=12)
    counted = forms.BooleanField(label=_("counted"), required=False, initial=True)
    excluded_reason = forms.CharField(label=_("reason excluded"), max_length=200, required=False)
    deductible_costs = forms.DecimalField(label=_("deductible monthly costs (yuan)"), max_digits=12,
                                          decimal_places=2, required=False, initial=0)
    note = forms.CharField(label=_("note"), max_length=200, required=False)

    def __init__(self, *args, member_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [("", _("Whole household"))] + list(member_choices)
        self.style()


class AssetForm(Bootstrap, forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    kind = forms.ChoiceField(label=_("kind"), choices=Asset.Kind.choices)
    vehicle_type = forms.ChoiceField(label=_("vehicle type"), choices=Asset.VehicleType.choices, required=False)
    value = forms.DecimalField(label=_("value (yuan)"), max_digits=12, decimal_places=2, required=False, initial=0)
    description = forms.CharField(label=_("description"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()


MemberFormSet = formset_factory(MemberForm, extra=0, can_delete=True)
IncomeFormSet = formset_factory(IncomeForm, extra=0, can_delete=True)
AssetFormSet = formset_factory(AssetForm, extra=0, can_delete=True)
