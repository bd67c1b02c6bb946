import pytest
from django.utils import timezone

from overlaps.models import OverlapFlag
from tests.evidence.conftest import make_case, make_household

pytestmark = pytest.mark.django_db


def test_case_and_household_pages_load_their_open_findings(web, village, village_staff, other_village_staff):
    household = make_household(village)
    case = make_case(household, entered_by=village_staff)
    flag = OverlapFlag.objects.create(rule="DOUBLE_DIBAO", severity="high", subject_key="t", data_fingerprint="x",
                                      division_code=village.code, last_seen_at=timezone.now())
    flag.cases.add(case)
    flag.households.add(household)
    client = web(village_staff)
    for kind, pk in (("case", case.pk), ("household", household.pk)):
        html = client.get(f"/findings/counts/{kind}/{pk}/").content.decode()
        assert "DOUBLE_DIBAO × 1" in html
        assert f'hx-get="/findings/counts/{kind}/{pk}/"' in client.get(
            f"/{'cases' if kind == 'case' else 'households'}/{pk}/").content.decode()
    OverlapFlag.objects.filter(pk=flag.pk).update(status="false_match")
    assert "DOUBLE_DIBAO" not in client.get(f"/findings/counts/case/{case.pk}/").content.decode()
    # another village: 404, and an unknown kind: 404
    assert web(other_village_staff).get(f"/findings/counts/case/{case.pk}/").status_code == 404
    assert client.get(f"/findings/counts/person/{case.pk}/").status_code == 404
