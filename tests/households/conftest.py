import pytest

from households import services
from tests.households.factories import household_data, make_policy, make_standard, member_row


@pytest.fixture
def standard(county):
    return make_standard(county)


@pytest.fixture
def policy(county):
    return make_policy(county)


@pytest.fixture
def make_household(village_staff, village, standard, policy):
    def make(members=None, incomes=None, assets=None, actor=None, at=None, **extra):
        return services.household_create(actor=actor or village_staff, village=at or village,
                                         data=household_data(members, incomes, assets, **extra))
    return make


@pytest.fixture
def household(make_household):
    return make_household(members=[member_row("head", "王大山"), member_row("spouse", "李小花")],
                          incomes=[{"kind": "wages", "monthly_amount": "1000", "period_months": 12}])
