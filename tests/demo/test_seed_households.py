import io

import pytest

from demo.seed import households as demo
from demo.seed.accounts import seed_divisions, seed_users
from households.models import Household, Member, Person

pytestmark = pytest.mark.django_db


def test_demo_seed_idempotent(monkeypatch):
    monkeypatch.setattr(demo, "TARGET", 120)
    seed_divisions()
    seed_users()
    demo.seed(io.StringIO())
    assert Household.objects.count() == 120
    assert Member.objects.filter(is_active=True).count() == Person.objects.count()
    h = Household.objects.exclude(size=0).order_by("-id").first()
    assert h.size == h.members.count() and h.head_name
    eligible = Household.objects.filter(per_capita_monthly_income__lt=784).count()
    assert 0 < eligible < 120
    demo.seed(io.StringIO())
    assert Household.objects.count() == 120
