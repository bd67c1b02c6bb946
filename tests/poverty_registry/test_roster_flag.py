"""Person.on_poverty_roster is kept by the registry's writers (file import, API create/update).

Dibao reads the stored flag (the gradual-exit schedule) instead of importing the registry.
"""

import importlib

import pytest
from django.apps import apps

from households.models import Person
from households.persons import id_hash_for, person_get_or_create
from poverty_registry.models import RegistryHousehold
from poverty_registry.removals import import_removals_confirm
from recipients.services.policy import household_on_poverty_roster
from tests.cases.factories import make_household
from tests.poverty_registry.conftest import csv_bytes, ident, row

pytestmark = pytest.mark.django_db
URL = "/api/v1/poverty-registrations/"


def on_roster(*numbers) -> list[bool]:
    flags = dict(Person.objects.values_list("id_hash", "on_poverty_roster"))
    return [flags[id_hash_for(ident(n))] for n in numbers]


def family(code, start, size, year=2024):
    return [row(start + i, code=code, head=i == 0, year=year) for i in range(size)]


def test_an_import_flags_its_members_and_a_reimport_that_drops_one_clears_it(county_officer, village, run_import):
    outsider = person_get_or_create(id_number=ident(99), name="非名单")
    job = run_import(county_officer, csv_bytes(family("H1", 1, 3) + family("H2", 10, 1)))
    assert job.status == "succeeded", job.message
    assert on_roster(1, 2, 3, 10) == [True] * 4
    assert not Person.objects.get(pk=outsider.pk).on_poverty_roster

    job = run_import(county_officer, csv_bytes(family("H1", 1, 2) + family("H2", 10, 1)))
    assert job.counts["members_to_remove"] == 1
    assert on_roster(1, 2, 3, 10) == [True] * 4  # nobody leaves before the officer confirms the removal
    job = import_removals_confirm(actor=county_officer, job_id=job.pk)
    assert job.counts["members_removed"] == 1
    assert on_roster(1, 2, 3, 10) == [True, True, False, True]


def test_a_person_listed_in_another_year_stays_on_the_roster(county_officer, village, run_import):
    run_import(county_officer, csv_bytes(family("H1", 1, 2) + family("OLD", 2, 1, year=2023)))
    run_import(county_officer, csv_bytes(family("H1", 1, 1)))
    assert on_roster(1, 2) == [True, True]  # 2 left H1 (2024) but is still in OLD (2023)


def test_the_api_writers_keep_the_flag(api, county_officer, village):
    members = [{"id_number": ident(50), "name": "新户主", "relationship": "户主", "is_head": True},
               {"id_number": ident(51), "name": "新成员", "relationship": "配偶"}]
    response = api(county_officer).post(URL, {
        "year": 2024, "registry_code": "NEW1", "division": village.code, "status": "registered",
        "annual_income_per_capita": "3100.00", "members": members}, format="json")
    assert response.status_code == 201, response.json()
    assert on_roster(50, 51) == [True, True]
    pk = RegistryHousehold.objects.get(registry_code="NEW1").pk
    response = api(county_officer).patch(f"{URL}{pk}/", {"members": members[:1]}, format="json")
    assert response.status_code == 200, response.json()
    assert on_roster(50, 51) == [True, False]


def test_dibao_reads_the_flag_for_a_household(county_officer, village, run_import):
    household = make_household(village, members=2)
    head = household.members.get(relationship="head")
    assert household_on_poverty_roster(household) is False
    run_import(county_officer, csv_bytes([row(1, code="H1", id_number=head.person.id_number)]))
    assert household_on_poverty_roster(household) is True
    head.is_active = False
    head.save(update_fields=["is_active"])
    assert household_on_poverty_roster(household) is False  # only active members count


def test_the_data_migration_fills_the_flag_from_the_registrations(county_officer, village, run_import):
    run_import(county_officer, csv_bytes(family("H1", 1, 1)))
    outsider = person_get_or_create(id_number=ident(99), name="非名单")
    Person.objects.update(on_poverty_roster=False)
    Person.objects.filter(pk=outsider.pk).update(on_poverty_roster=True)
    importlib.import_module("poverty_registry.migrations.0002_fill_person_on_poverty_roster").fill(apps, None)
    assert on_roster(1, 99) == [True, False]
