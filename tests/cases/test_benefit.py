"""Worked examples of the benefit calculator."""

from datetime import date
from decimal import Decimal

import pytest

from cases.benefit import Figures, Rules, _standard_in_force, household_benefit, individual_benefit, policy_in_force
from cases.models import CasePolicy

D = Decimal
RULES = Rules()  # 10% elderly/minor, 20% disabled/ill, minimum 50, round up to the yuan, individual 60%


def test_plain_household():
    # (784 - 300) x 3 = 1452
    result = household_benefit(Figures(standard=D("784"), per_capita_income=D("300"), counted_members=3), RULES)
    assert result.amount == D("1452.00") and result.base == D("1452.00") and not result.surcharges


def test_surcharges():
    # (784 - 500.40) x 2 = 567.20; + 10% x 784 (one elderly) = 78.40; + 20% x 784 (one disabled) = 156.80
    # = 802.40 -> round up to 803
    result = household_benefit(Figures(standard=D("784"), per_capita_income=D("500.40"), counted_members=2,
                                       elderly=1, disabled=1), RULES)
    assert result.surcharges == {"elderly": "78.40", "disabled": "156.80"}
    assert result.amount == D("803.00")


def test_half_up_rounding():
    rules = Rules(rounding="yuan_half_up")
    # (700 - 650.25) x 3 = 149.25 -> 149
    assert household_benefit(Figures(D("700"), D("650.25"), 3), rules).amount == D("149.00")
    # (700 - 650.20) x 3 = 149.40 -> 149 ; (700 - 650.10) x 5 = 249.50 -> 250
    assert household_benefit(Figures(D("700"), D("650.10"), 5), rules).amount == D("250.00")
    assert household_benefit(Figures(D("700"), D("650.10"), 5), RULES).amount == D("250.00")
    assert household_benefit(Figures(D("700"), D("650.25"), 3), Rules(rounding="fen")).amount == D("149.25")


def test_minimum_payment():
    # (784 - 770) x 2 = 28 < 50 -> 50
    result = household_benefit(Figures(D("784"), D("770"), 2), RULES)
    assert result.amount == D("50.00") and result.minimum_applied


def test_not_eligible_at_or_above_the_standard():
    result = household_benefit(Figures(D("784"), D("784"), 2, elderly=2), RULES)
    assert result.amount == D("0.00") and not result.eligible


def test_individual_inclusion():
    # 60% x 784 = 470.40 + severely disabled 20% x 784 = 156.80 -> 627.20 -> 628
    result = individual_benefit(Figures(D("784"), D("1000"), 1, disabled=1), RULES)
    assert result.amount == D("628.00") and result.inputs["kind"] == "individual"
    # near-poor limit: per-capita income under 1.5 x standard (1176)
    assert not individual_benefit(Figures(D("784"), D("1176"), 1), RULES).eligible


def test_inputs_reproduce_the_amount():
    figures = Figures(D("784"), D("321.5"), 4, minors=2, seriously_ill=1)
    result = household_benefit(figures, RULES)
    inputs = result.inputs
    again = household_benefit(
        Figures(D(inputs["standard"]), D(inputs["per_capita_income"]), inputs["counted_members"],
                inputs["elderly"], inputs["minors"], inputs["disabled"], inputs["seriously_ill"]),
        Rules(**{k: (D(v) if k != "rounding" else v) for k, v in inputs["rules"].items()}))
    assert again.amount == result.amount == D("2164.00")  # 1850 + 156.80 + 156.80 = 2163.60 -> 2164


@pytest.mark.django_db
def test_policy_and_standard_by_date(county):
    from tests.cases.factories import make_standard

    make_standard(county, D("700"), date(2023, 1, 1))
    make_standard(county, D("784"), date(2024, 7, 1))
    assert _standard_in_force(county, date(2024, 6, 30)).monthly_amount == D("700")
    assert _standard_in_force(county, date(2024, 7, 1)).monthly_amount == D("784")
    assert _standard_in_force(county, date(2022, 1, 1)) is None
    assert policy_in_force(county, date(2024, 1, 1)).pk is None  # defaults
    CasePolicy.objects.create(county=county, effective_from=date(2024, 1, 1), notice_days=5)
    assert policy_in_force(county, date(2024, 1, 2)).notice_days == 5
