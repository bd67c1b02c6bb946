import pytest

from recipients.models import RecipientPolicy


@pytest.fixture
def policy(county):
    return RecipientPolicy.objects.create(county=county, effective_from="2020-01-01", review_months_a=12,
                                          review_months_b=12, review_months_c=6,
                                          gradual_exit_schedule=[100, 100, 80, 80, 60, 60],
                                          gradual_exit_schedule_poverty_roster=[100] * 6 + [80] * 3 + [60] * 3)


@pytest.fixture
def fake_calculator(monkeypatch):
    """Stand-in for cases.benefit until it lands: (standard 800 - income) x counted members."""
    from decimal import Decimal

    from recipients.services import reviews

    calls = []

    def calculate(*, case, verified_per_capita_income, on):
        calls.append((case.pk, verified_per_capita_income, on))
        members = case.household.counted_members or 1
        amount = max(Decimal("0"), (Decimal("800") - verified_per_capita_income) * members)
        return amount, {"standard": "800.00", "per_capita_income": str(verified_per_capita_income),
                        "members": members, "on": on.isoformat()}

    monkeypatch.setattr(reviews, "recalculate_amount", calculate)
    return calls
