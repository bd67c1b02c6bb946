"""The one definition of division-code arithmetic (accounts.divisions) and the filters built on it."""

import pytest
from django.utils import timezone

from accounts.divisions import ancestor_code, code_prefix, county_code_of, county_division, level_of
from accounts.models import Level
from cases.selectors import case_list
from overlaps.models import OverlapFlag
from overlaps.selectors import flags_for_user
from tests.factories import DivisionFactory
from tests.reports.factories import make_case


@pytest.mark.parametrize("code,level,prefix", [
    ("370000000000", Level.PROVINCE, "37"),
    ("370200000000", Level.CITY, "3702"),
    ("370283000000", Level.COUNTY, "370283"),
    ("370283101000", Level.TOWNSHIP, "370283101"),
    ("370283101201", Level.VILLAGE, "370283101201"),
    ("370283101210", Level.VILLAGE, "370283101210"),  # a village number ending in 0 is still the whole code
    ("370283100000", Level.TOWNSHIP, "370283100"),
])
def test_level_and_prefix_of_a_code(code, level, prefix):
    assert level_of(code) == level
    assert code_prefix(code) == prefix


@pytest.mark.parametrize("value,prefix", [("370283", "370283"), (" 370283101000 ", "370283101"), ("", ""),
                                          ("3702831012019", "3702831012019"), ("37028310120x", "37028310120x")])
def test_anything_but_a_12_digit_code_is_taken_as_a_prefix(value, prefix):
    assert code_prefix(value) == prefix


def test_ancestors_and_county():
    assert ancestor_code("370283101201", Level.TOWNSHIP) == "370283101000"
    assert ancestor_code("370283101201", Level.CITY) == "370200000000"
    assert county_code_of("370283101201") == county_code_of("370283000000") == "370283000000"


@pytest.mark.django_db
def test_county_division_loads_the_county_row(village, county):
    assert county_division(village.code) == county
    assert county_division(county.code) == county


@pytest.mark.django_db
def test_division_filters_on_a_village_ending_in_zero_keep_its_neighbours_out(township, county_officer):
    ten = DivisionFactory(code="370283101210", name="十村", level="village", parent=township)
    eleven = DivisionFactory(code="370283101211", name="十一村", level="village", parent=township)
    for village in (ten, eleven):
        make_case(village, county_officer)
        OverlapFlag.objects.create(rule="DOUBLE_DIBAO", severity="high", subject_key=village.code,
                                   data_fingerprint="x", division_code=village.code, last_seen_at=timezone.now())
    assert [c.division_code for c in case_list(county_officer, filters={"division": ten.code})] == [ten.code]
    assert [f.division_code for f in flags_for_user(county_officer, division=ten.code)] == [ten.code]
    assert flags_for_user(county_officer, division=township.code).count() == 2
