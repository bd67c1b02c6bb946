"""The household list's q=: address, phone, and a name with the last six characters of an ID number
(found through a blind index of suffix + name, never the digits in clear)."""

from datetime import date

import pytest
from django.db import connection
from django.urls import reverse

from households import crypto, selectors
from households.idnumber import make_id_number
from households.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(make_household):
    first_number = make_id_number("370283", date(1970, 5, 1), 123)
    first = make_household(members=[{"id_number": first_number, "name": "王大山", "relationship": "head"}],
                           address="东关村幸福路18号", contact_phone="13805321234")
    second = make_household(members=[{"id_number": make_id_number("370283", date(1981, 2, 3), 456),
                                      "name": "王大山", "relationship": "head"}],
                            address="东关村建设街2号", contact_phone="0532-87654321")
    return first, second, first_number


def found(user, q):
    return list(selectors.household_list(user, q=q).values_list("pk", flat=True))


def test_name_with_the_last_six_characters_finds_only_that_person(village_staff, two):
    first, second, number = two
    suffix = number[-6:]
    assert found(village_staff, f"王大山 {suffix}") == [first.pk]
    assert found(village_staff, f"{suffix.lower()}王大山") == [first.pk]  # either order, x or X
    assert found(village_staff, f"王小山 {suffix}") == []  # the suffix alone is not enough
    assert found(village_staff, "王大山") == [first.pk, second.pk]


def test_the_suffix_is_stored_only_as_a_keyed_hash(village_staff, two):
    _first, _second, number = two
    person = Person.objects.get(id_hash=crypto.blind_index(number))
    assert person.id_suffix_hash == crypto.suffix_hash(number, "王大山") and len(person.id_suffix_hash) == 64
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_hash, id_suffix_hash, key_state, name FROM households_person WHERE id = %s",
                       [person.pk])
        stored = " ".join(cursor.fetchone())
    assert number[-6:] not in stored and number[-4:] not in stored


def test_address_and_phone(village_staff, two):
    first, second, _number = two
    assert found(village_staff, "幸福路") == [first.pk]
    # Phone numbers are encrypted: a whole number (dashes or not) or its last four digits, by blind index.
    assert found(village_staff, "4321") == [second.pk]
    assert found(village_staff, "1234") == [first.pk]
    assert found(village_staff, "0532-87654321") == [second.pk]
    assert found(village_staff, "053287654321") == [second.pk]
    assert found(village_staff, "13805321234") == [first.pk]
    assert found(village_staff, "建设街") == [second.pk]
    # Part of a number is no longer a substring match.
    assert found(village_staff, "8765") == []
    assert found(village_staff, "0532-8765") == []
    assert found(village_staff, "1380532") == []


def test_a_renamed_person_is_found_under_the_new_name(village_staff, two, make_household):
    from households.persons import person_get_or_create

    first, _second, number = two
    person_get_or_create(id_number=number, name="王大善")
    assert found(village_staff, f"王大善 {number[-6:]}") == [first.pk]
    assert found(village_staff, f"王大山 {number[-6:]}") == []


def test_search_stays_in_scope(other_village_staff, two):
    _first, _second, number = two
    assert found(other_village_staff, f"王大山 {number[-6:]}") == []
    assert found(other_village_staff, "幸福路") == []


def test_list_page_and_api_understand_it(web, api, village_staff, two):
    first, _second, number = two
    body = web(village_staff).get(reverse("households:list"), {"q": f"王大山 {number[-6:]}"}).content.decode()
    assert "幸福路" in body and "建设街" not in body
    results = api(village_staff).get("/api/v1/households/", {"q": "幸福路"}).json()["results"]
    assert [r["id"] for r in results] == [first.pk]
