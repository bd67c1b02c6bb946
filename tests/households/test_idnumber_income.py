from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from households.idnumber import mask, parse_id_number
from households.income import asset_check_reasons, compute_income
from households.models import Asset, IncomeItem, IncomePolicy, Member


def test_valid_numbers_with_x():
    assert parse_id_number("11010519491231002X").number == "11010519491231002X"
    info = parse_id_number("11010519491231002x")
    assert info.number == "11010519491231002X" and info.sex == "F" and info.birth_date == date(1949, 12, 31)


@pytest.mark.parametrize("value,code", [
    ("110105194912310021", "id_check"),
    ("110105199902300014", "id_date"),
    ("11010519491231002", "id_length"),
    ("1101051949123100AX", "id_characters"),
    ("110105" + "20991231" + "0018", "id_future"),
])
def test_bad_numbers(value, code):
    with pytest.raises(ValidationError) as exc:
        parse_id_number(value, today=date(2026, 1, 1))
    assert exc.value.code == code


def test_mask():
    assert mask("11010519491231002X") == "110105********002X"


def _m(pk, counted=True, active=True):
    m = Member(pk=pk, counted=counted, is_active=active, not_counted_reason="" if counted else "prison")
    return m


def _i(kind, amount, member=None, deductible="0", counted=True):
    return IncomeItem(kind=kind, monthly_amount=Decimal(amount), member_id=member,
                      deductible_costs=Decimal(deductible), counted=counted, period_months=12)


def test_work_cost_percent_of_earnings():
    policy = IncomePolicy(work_cost_mode="earnings", work_cost_percent=Decimal("10"), excluded_income_kinds=[])
    fig = compute_income(members=[_m(1), _m(2), _m(3)], incomes=[_i("wages", "1500", 1), _i("property", "300")],
                         policy=policy, standard_amount=Decimal("784"))
    # 1800 - 150 allowance = 1650 / 3 = 550
    assert fig.work_cost_allowance == Decimal("150.00")
    assert fig.per_capita_monthly_income == Decimal("550.00")


def test_work_cost_percent_of_standard_per_worker():
    policy = IncomePolicy(work_cost_mode="standard", work_cost_percent=Decimal("30"), excluded_income_kinds=[])
    fig = compute_income(members=[_m(1), _m(2)], incomes=[_i("wages", "1000", 1), _i("business", "500", 2)],
                         policy=policy, standard_amount=Decimal("784"))
    # 2 workers x 30% x 784 = 470.40; 1500 - 470.40 = 1029.60 / 2 = 514.80
    assert fig.work_cost_allowance == Decimal("470.40")
    assert fig.per_capita_monthly_income == Decimal("514.80")


def test_excluded_kinds_deductions_and_not_counted_member():
    policy = IncomePolicy(work_cost_mode="earnings", work_cost_percent=Decimal("0"),
                          excluded_income_kinds=["basic_pension", "scholarship"])
    fig = compute_income(
        members=[_m(1), _m(2), _m(3, counted=False)],
        incomes=[_i("wages", "1200", 1, deductible="200"), _i("basic_pension", "150", 2),
                 _i("wages", "3000", 3), _i("transfer", "100", counted=False)],
        policy=policy, standard_amount=Decimal("784"))
    # counted: 1200 (member 3 is not counted, pension excluded, transfer marked not counted) - 200 = 1000 / 2
    assert fig.counted_members == 2
    assert fig.per_capita_monthly_income == Decimal("500.00")


def test_default_policy_excludes_defaults():
    fig = compute_income(members=[_m(1)], incomes=[_i("social_assistance", "500"), _i("property", "100")],
                         policy=None, standard_amount=None)
    assert fig.per_capita_monthly_income == Decimal("100.00")


def test_asset_reasons():
    policy = IncomePolicy(max_houses=1, allowed_vehicle_types=["motorcycle"], financial_asset_months=24,
                          business_registration_allowed=False)
    assets = [Asset(kind="deposits", value=Decimal("30000")), Asset(kind="securities", value=Decimal("10000")),
              Asset(kind="house", value=Decimal(1)), Asset(kind="house", value=Decimal(1)),
              Asset(kind="vehicle", vehicle_type="car", value=Decimal(1)),
              Asset(kind="vehicle", vehicle_type="motorcycle", value=Decimal(1)),
              Asset(kind="business_registration")]
    reasons = asset_check_reasons(assets=assets, counted_members=2, policy=policy, standard_amount=Decimal("784"))
    # 40000 > 24 x 784 x 2 = 37632
    assert len(reasons) == 4
    assert "37632" in reasons[0]
    assert asset_check_reasons(assets=assets[2:3], counted_members=2, policy=policy,
                               standard_amount=Decimal("784")) == []
