import pytest

from recipients.models import RecipientPolicy


@pytest.fixture
def policy(county):
    return RecipientPolicy.objects.create(county=county, effective_from="2020-01-01", review_months_a=12,
                                          review_months_b=12, review_months_c=6,
                                          gradual_exit_schedule=[100, 100, 80, 80, 60, 60],
                                          gradual_exit_schedule_poverty_roster=[100] * 6 + [80] * 3 + [60] * 3)


@pytest.fixture
def standard(county):
    """The county standard the benefit calculator (cases.benefit) uses: 800 yuan/person/month."""
    from decimal import Decimal

    from households.models import Standard

    return Standard.objects.create(county=county, monthly_amount=Decimal("800.00"), effective_from="2020-01-01")


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """The shared user fixtures hash a password each; the production hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
