from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from audit.models import AuditEvent
from dibao.errors import InvalidInput, NotFound, NotPermitted, StaleVersion
from households import services
from households.models import Household, Member, Person
from households.persons import person_find
from tests.households.factories import household_data, id_number, member_row

pytestmark = pytest.mark.django_db


def test_create_computes_figures_and_audits(household):
    household.refresh_from_db()
    assert household.size == 2 and household.counted_members == 2
    assert household.head_name == "王大山"
    # 1000 wages - 10% work cost = 900, over 2
    assert household.monthly_counted_income == Decimal("900.00")
    assert household.per_capita_monthly_income == Decimal("450.00")
    events = AuditEvent.objects.filter(object_type="households.household", object_id=str(household.pk))
    assert {e.action for e in events} == {"household.created", "member.added", "income.added"}
    member_event = events.filter(action="member.added").first()
    number = member_event.after["id_number"]
    assert "*" * 8 in number and len(number) == 18


def test_id_number_encrypted_at_rest_and_blind_index_lookup(household):
    member = household.members.first()
    full = member.person.id_number
    with connection.cursor() as cur:
        cur.execute("SELECT id_encrypted, id_hash FROM households_person WHERE id = %s", [member.person_id])
        raw, digest = cur.fetchone()
    assert full.encode() not in bytes(raw)
    assert full not in digest
    assert person_find(full).pk == member.person_id
    assert person_find(full.lower()).pk == member.person_id


def test_same_person_in_two_households_names_village(household, other_village, other_village_staff, county_officer):
    number = household.members.first().person.id_number
    data = household_data([{"id_number": number, "name": "王大山", "relationship": "head"}])
    with pytest.raises(InvalidInput) as exc:
        services.household_create(actor=other_village_staff, village=other_village, data=data)
    msg = " ".join(exc.value.fields["members.0.id_number"])
    # The village is named only to a user whose area covers it (the county officer, not the other village).
    assert "东关村" not in msg and "其他地区" in msg and exc.value.code == "active_elsewhere"
    with pytest.raises(InvalidInput) as exc:
        services.household_create(actor=county_officer, village=other_village, data=data)
    msg = " ".join(exc.value.fields["members.0.id_number"])
    assert "东关村" in msg and "李小花" not in msg
    assert Household.objects.filter(village=other_village).count() == 0


@pytest.mark.parametrize("members,key", [
    ([member_row("spouse")], "members"),
    ([member_row("head"), member_row("head")], "members"),
    ([{"id_number": "110105194912310021", "name": "甲", "relationship": "head"}], "members.0.id_number"),
    ([{"id_number": "370283199902300011", "name": "甲", "relationship": "head"}], "members.0.id_number"),
    ([{"id_number": "370283182001010011", "name": "甲", "relationship": "head"}], "members.0.id_number"),
])
def test_bad_members_refused_nothing_saved(make_household, members, key):
    before = (Household.objects.count(), Person.objects.count(), AuditEvent.objects.count())
    with pytest.raises(InvalidInput) as exc:
        make_household(members=members)
    assert key in exc.value.fields
    assert (Household.objects.count(), Person.objects.count(), AuditEvent.objects.count()) == before


def test_duplicate_id_in_household(make_household):
    row = member_row("head")
    with pytest.raises(InvalidInput) as exc:
        make_household(members=[row, {**row, "relationship": "spouse"}])
    assert "members.1.id_number" in exc.value.fields


@pytest.mark.parametrize("incomes,assets,extra,key", [
    ([{"kind": "wages", "monthly_amount": "-5", "period_months": 12}], [], {}, "incomes.0.monthly_amount"),
    ([{"kind": "wages", "monthly_amount": "500"}], [], {}, "incomes.0.period_months"),
    ([], [{"kind": "house", "value": "-1"}], {}, "assets.0.value"),
    ([], [], {"contact_phone": "call me"}, "contact_phone"),
])
def test_bad_rows_refused(make_household, incomes, assets, extra, key):
    with pytest.raises(InvalidInput) as exc:
        make_household(incomes=incomes, assets=assets, **extra)
    assert key in exc.value.fields
    assert Household.objects.count() == 0 and Person.objects.count() == 0


def test_update_stale_version(household, village_staff):
    services.household_update(actor=village_staff, household=household, version=1, data={"address": "新地址"})
    with pytest.raises(StaleVersion):
        services.household_update(actor=village_staff, household=household, version=1, data={"address": "x"})
    household.refresh_from_db()
    assert household.address == "新地址" and household.version == 2


def test_update_removes_member_keeps_history(household, village_staff):
    head = household.members.get(relationship="head")
    spouse = household.members.get(relationship="spouse")
    services.household_update(actor=village_staff, household=household, version=1,
                              data={"members": [{"id": head.pk, "name": head.name, "relationship": "head"}]})
    spouse.refresh_from_db()
    household.refresh_from_db()
    assert spouse.is_active is False and household.size == 1
    ev = AuditEvent.objects.get(action="member.removed")
    assert ev.before["is_active"] is True and ev.after["is_active"] is False


def test_member_remove_service(household, village_staff):
    spouse = household.members.get(relationship="spouse")
    services.member_remove(actor=village_staff, member=spouse, version=1)
    household.refresh_from_db()
    assert household.size == 1 and household.version == 2
    assert Member.objects.filter(pk=spouse.pk, is_active=False).exists()


def test_member_add_service(household, village_staff):
    services.member_add(actor=village_staff, household=household, version=1,
                        data=member_row("child", "王小明", birth=date(2015, 1, 1)))
    household.refresh_from_db()
    assert household.size == 3 and household.minor_count == 1


def test_scope_other_village_refused(household, other_village_staff, auditor):
    # Another village's household is not found (as if missing); a role that may not write is refused.
    with pytest.raises(NotFound):
        services.household_update(actor=other_village_staff, household=household, version=1, data={"address": "x"})
    with pytest.raises(NotPermitted):
        services.household_update(actor=auditor, household=household, version=1, data={"address": "x"})
    household.refresh_from_db()
    assert household.address != "x"


def test_member_remove_in_another_village_is_not_found(household, other_village_staff):
    spouse = household.members.get(relationship="spouse")
    with pytest.raises(NotFound):
        services.member_remove(actor=other_village_staff, member=spouse, version=1)
    spouse.refresh_from_db()
    household.refresh_from_db()
    assert spouse.is_active and household.version == 1 and household.size == 2


def test_create_in_a_village_outside_the_area_is_refused_like_no_village(village_staff, other_village, standard):
    with pytest.raises(InvalidInput) as exc:
        services.household_create(actor=village_staff, village=other_village, data=household_data())
    with pytest.raises(InvalidInput) as missing:
        services.household_create(actor=village_staff, village=None, data=household_data())
    assert set(exc.value.fields) == {"village"}
    assert [str(m) for m in exc.value.fields["village"]] == [str(m) for m in missing.value.fields["village"]]
    assert not Household.objects.exists() and not Person.objects.exists()


def test_standard_create_scope(county, other_county, county_officer, village_staff):
    s = services.standard_create(actor=county_officer, county=county, monthly_amount=Decimal("800"),
                                 effective_from=date(2026, 1, 1))
    assert s.pk
    with pytest.raises(NotPermitted):
        services.standard_create(actor=county_officer, county=other_county, monthly_amount=Decimal("800"),
                                 effective_from=date(2026, 1, 1))
    with pytest.raises(NotPermitted):
        services.standard_create(actor=village_staff, county=county, monthly_amount=Decimal("800"),
                                 effective_from=date(2026, 2, 1))


def test_id_number_reused_after_leaving(household, village_staff, other_village, other_village_staff):
    spouse = household.members.get(relationship="spouse")
    number = spouse.person.id_number
    services.member_remove(actor=village_staff, member=spouse, version=1)
    h2 = services.household_create(actor=other_village_staff, village=other_village,
                                   data=household_data([{"id_number": number, "name": "李小花", "relationship": "head"}]))
    assert h2.members.get().person_id == spouse.person_id
    assert id_number()
