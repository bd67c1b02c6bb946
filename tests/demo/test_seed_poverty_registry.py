import io

import pytest

from demo.seed import poverty_registry as demo
from poverty_registry.models import RegistryHousehold, RegistryMember
from tests.poverty_registry.factories import make_registration  # noqa: F401 (fixtures share the module)
from tests.poverty_registry.test_pages import dibao_household

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent_and_overlaps_dibao_households(county_officer, village, other_village, admin_user):
    from households.persons import person_get_or_create
    from tests.poverty_registry.conftest import ident

    households = []
    for i in range(8):
        person = person_get_or_create(id_number=ident(200 + i), name=f"低保{i}")
        households.append(dibao_household(village if i % 2 else other_village, person, admin_user,
                                          status="active" if i < 6 else "rejected"))
    out = io.StringIO()
    demo.seed(out)
    assert "succeeded" in out.getvalue() and "0 failed" in out.getvalue()
    first = RegistryHousehold.objects.count()
    assert first > 10
    # recipients appear in the registry, one of them marked lifted
    dibao_persons = [h.members.get().person_id for h, _case in households]
    linked = RegistryMember.objects.filter(person_id__in=dibao_persons)
    assert linked.filter(registry_household__status="lifted").exists()
    assert linked.filter(registry_household__monitoring_type="edge").exists()
    assert RegistryHousehold.objects.filter(status="registered", registry_code__contains="R").exists()
    from jobs.models import Job

    jobs = Job.objects.count()
    demo.seed(out)
    assert RegistryHousehold.objects.count() == first
    assert Job.objects.count() == jobs  # a second seed does not import again
    assert "already imported" in out.getvalue().splitlines()[-1]


def test_seed_without_dibao_households(county_officer, village):
    out = io.StringIO()
    demo.seed(out)
    assert RegistryHousehold.objects.count() == 18
