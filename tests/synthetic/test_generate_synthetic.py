import pytest
from django.core.management import CommandError, call_command

from accounts.models import Division
from households.idnumber import parse_id_number
from households.models import Household, Member, Person


@pytest.mark.django_db
def test_generates_a_consistent_province():
    call_command("generate_synthetic", households=600, seed=3, stdout=open("/dev/null", "w"))
    assert Household.objects.count() == 600
    villages = Division.objects.filter(level="village", code__startswith="52")
    assert villages.count() == 3  # 250 households per village
    persons = Person.objects.count()
    assert persons == Member.objects.count()
    assert 600 * 2.5 < persons < 600 * 4.5
    # Every household has exactly one head and its denormalised size matches its members.
    for household in Household.objects.prefetch_related("members")[:50]:
        members = list(household.members.all())
        assert household.size == len(members)
        assert sum(m.relationship == "head" for m in members) == 1
    # ID numbers are valid, unique, and match the stored birth date and sex.
    sample = Person.objects.all()[:200]
    for person in sample:
        info = parse_id_number(person.id_number)
        assert info.birth_date == person.birth_date and info.sex == person.sex
    assert Person.objects.values("id_hash").distinct().count() == persons


@pytest.mark.django_db
def test_refuses_to_generate_twice_into_the_same_province():
    call_command("generate_synthetic", households=10, stdout=open("/dev/null", "w"))
    with pytest.raises(CommandError):
        call_command("generate_synthetic", households=10, stdout=open("/dev/null", "w"))
