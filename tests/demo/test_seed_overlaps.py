import io
from decimal import Decimal

import pytest

from demo.seed import overlaps as demo
from overlaps.models import OverlapFlag, OverlapPolicy
from tests.overlaps import builders as b


@pytest.mark.django_db
def test_demo_seed_is_idempotent(county, village, std):
    b.household(village, [b.person()], income=Decimal("1000"))
    demo.seed(io.StringIO())
    demo.seed(io.StringIO())
    assert OverlapPolicy.objects.filter(county=county).count() == 1
    assert OverlapFlag.objects.filter(rule="EDGE_HOUSEHOLD", status="open").count() == 1


@pytest.mark.django_db
def test_demo_without_county():
    out = io.StringIO()
    demo.seed(out)
    assert "skipped" in out.getvalue()
