"""The one form adapter: a service's DomainError shown on the form (and formset rows) that sent the input."""

import pytest
from django import forms

from dibao.errors import DomainError, InvalidInput, NotFound, StaleVersion
from dibao.forms import show_domain_error


class HouseholdForm(forms.Form):
    address = forms.CharField(required=False)


class MemberForm(forms.Form):
    name = forms.CharField(required=False)


MemberFormSet = forms.formset_factory(MemberForm, extra=0)


def _bound():
    form = HouseholdForm({"address": "x"})
    members = MemberFormSet({"form-TOTAL_FORMS": "3", "form-INITIAL_FORMS": "0", "form-0-name": "a",
                             "form-1-name": "", "form-2-name": "c"})
    assert form.is_valid() and members.is_valid()
    return form, members


def test_field_row_and_section_errors_land_where_the_input_was():
    form, members = _bound()
    # Rows 0 and 2 of the formset were sent (row 1 was blank): service row 1 is form index 2.
    error = InvalidInput(fields={"address": ["bad address"], "members.1.name": ["bad name"],
                                 "members": ["one head"], "elsewhere": ["not a field"]})
    sections = show_domain_error(form, error, formsets={"members": (members, [0, 2])})
    assert form.errors == {"address": ["bad address"], "__all__": ["not a field"]}
    assert members.forms[2].errors == {"name": ["bad name"]}
    assert not members.forms[0].errors and not members.forms[1].errors
    assert sections == {"members": ["one head"]}


def test_an_error_without_fields_is_the_form_error():
    form, _members = _bound()
    assert show_domain_error(form, StaleVersion()) == {}
    assert form.non_field_errors() == [str(StaleVersion.default_message)]
    form, _members = _bound()
    show_domain_error(form, DomainError("refused"))
    assert form.non_field_errors() == ["refused"]


def test_not_found_is_not_a_form_error():
    form, _members = _bound()
    with pytest.raises(NotFound):
        show_domain_error(form, NotFound())
    assert not form.errors
