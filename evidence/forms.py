from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.divisions import county_code_of
from accounts.models import Role, User
from accounts.scoping import scope_queryset
from evidence.models import ComplaintChannel, ComplaintOutcome, ComplaintStatus, DocumentType


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        full_name = obj.get_full_name()
        return f"{full_name} ({obj.username})" if full_name else obj.username


class UploadForm(forms.Form):
    document_type = forms.ChoiceField(label=_("Document type"), choices=DocumentType.choices)
    file = forms.FileField(label=_("File (PDF, JPEG or PNG)"), allow_empty_file=True,
                           widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png",
                                                                  "class": "form-control"}))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class DeleteForm(forms.Form):
    reason = forms.CharField(label=_("Reason for removing"), max_length=200)


class ComplaintForm(forms.Form):
    case = forms.IntegerField(label=_("Case number"), required=False, min_value=1)
    household = forms.IntegerField(label=_("Household number"), required=False, min_value=1)
    staff_member = UserChoiceField(label=_("Staff member complained about"), required=False,
                                          queryset=User.objects.none())
    anonymous = forms.BooleanField(label=_("Anonymous"), required=False)
    complainant_name = forms.CharField(label=_("Complainant"), max_length=50, required=False)
    complainant_contact = forms.CharField(label=_("Complainant contact"), max_length=100, required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=ComplaintChannel.choices)
    received_on = forms.DateField(label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    text = forms.CharField(label=_("Complaint"), widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate()
        staff = User.objects.filter(is_active=True, division__isnull=False).exclude(role=Role.ADMIN)
        self.fields["staff_member"].queryset = (scope_queryset(user, staff).select_related("division")
                                                .order_by("username"))
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                continue
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


class AssignForm(forms.Form):
    assigned_to = UserChoiceField(label=_("Assign to"), queryset=User.objects.none())

    def __init__(self, *args, complaint=None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = User.objects.filter(role=Role.COUNTY_OFFICER, is_active=True, division__level="county")
        if complaint is not None:
            qs = qs.filter(division__code=county_code_of(complaint.division_code))
        self.fields["assigned_to"].queryset = qs


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ComplaintOutcome.choices)
    findings = forms.CharField(label=pgettext_lazy("complaint", "Findings"), widget=forms.Textarea(attrs={"rows": 4}))


class ComplaintFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All"))] + list(ComplaintStatus.choices))
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=[("", _("All"))] + list(ComplaintChannel.choices))
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
