from decimal import Decimal

from households.persons import person_get_or_create
from poverty_registry.models import RegistryHousehold, RegistryMember
from tests.poverty_registry.conftest import ident


def make_registration(village, *, code="R1", year=2024, status="registered", monitoring_type="", lifted_year=None,
                      income="3500", members=2, start=1) -> RegistryHousehold:
    household = RegistryHousehold.objects.create(
        year=year, registry_code=code, village=village, division_code=village.code, status=status,
        monitoring_type=monitoring_type, lifted_year=lifted_year, annual_income_per_capita=Decimal(income))
    for i in range(members):
        person = person_get_or_create(id_number=ident(start + i), name=f"成员{start + i}")
        RegistryMember.objects.create(registry_household=household, person=person, name=person.name,
                                      relationship="户主" if i == 0 else "子女", is_head=i == 0)
    return household
