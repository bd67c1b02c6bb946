"""A review that raises an amount needs the approvals' control (cases/amounts.py): a reason of substance and a
second county officer before the new amount takes effect or reaches a payment roll; above the absolute
ceiling it is refused.

Household of 2 paid 500 a month, standard 800: a verified income of 450 recalculates to (800 - 450) x 2 = 700.
"""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from audit.models import AuditEvent
from cases.models import CasePolicy
from dibao.errors import Conflict, DomainError, NotPermitted, StaleVersion
from recipients.models import BenefitChange, PaymentLine, Review, ReviewStatus
from recipients.services import payment_roll_generate, review_complete, review_confirm_amount, reviews_create_due
from tests.recipients.factories import make_case

pytestmark = pytest.mark.django_db

REASON = {"override_reason_kind": "medical", "override_reason": "户主住院，自付医疗费每月约八百元"}
ON = datetime(2026, 7, 3, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def review(village, county_officer, policy, standard):
    make_case(village, county_officer, amount="500.00", category="C", first_payment_month=date(2026, 1, 1))
    reviews_create_due(today=date(2026, 7, 1))
    return Review.objects.get()


def adjust(actor, review, income="450", today=date(2026, 7, 3), **extra):
    return review_complete(actor=actor, review=review, outcome="adjust", findings="妻子失去工作，收入下降",
                           verified_per_capita_income=income, today=today, version=review.version, **extra)


def unchanged(review, amount="500.00"):
    review.refresh_from_db()
    review.case.refresh_from_db()
    assert review.status == ReviewStatus.DUE and review.case.monthly_amount == Decimal(amount)
    assert not BenefitChange.objects.exists()


@pytest.mark.parametrize(("extra", "field"), [
    ({}, "override_reason_kind"),
    ({"override_reason_kind": "nonsense", "override_reason": REASON["override_reason"]}, "override_reason_kind"),
    ({"override_reason_kind": "medical", "override_reason": "住院费用"}, "override_reason"),  # under 10 characters
])
def test_a_raise_needs_a_reason_of_substance(review, county_officer, extra, field):
    with pytest.raises(DomainError) as err:
        adjust(county_officer, review, **extra)
    assert field in err.value.fields
    unchanged(review)
    assert review.confirmation == ""


def test_above_the_absolute_ceiling_is_refused_with_400(api, review, county_officer):
    with time_machine.travel(ON, tick=False):
        r = api(county_officer).post(f"/api/v1/reviews/{review.pk}/complete/", {
            "outcome": "adjust", "findings": "收入下降", "verified_per_capita_income": "450",
            "override_amount": "9999999.00", "version": review.version, **REASON}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "above_absolute_ceiling", r.json()
    unchanged(review)
    # 10 x 800 x 2 = 16,000: a cent more is refused even with a reason.
    with pytest.raises(DomainError) as err:
        adjust(county_officer, review, override_amount="16000.01", **REASON)
    assert err.value.code == "above_absolute_ceiling"
    unchanged(review)


def test_a_raise_waits_for_a_second_officer_then_is_paid(api, web, review, county, county_officer, county_officer2,
                                                         other_county_officer):
    proposed = adjust(county_officer, review, **REASON)
    # Proposed, not applied: the review stays due, the case is paid as before, no amount history yet.
    assert proposed.status == ReviewStatus.DUE and proposed.confirmation == "pending"
    assert (proposed.new_amount, proposed.proposed_by, proposed.amount_reason_kind) == (
        Decimal("700.00"), county_officer, "medical")
    unchanged(review)
    event = AuditEvent.objects.get(action="review.amount_proposed")
    assert event.actor == county_officer and event.after["awaiting_second_approval"] == ["raises_amount"]
    assert not AuditEvent.objects.filter(action="case.amount_adjusted").exists()

    # Not on the payment roll while it waits.
    roll = payment_roll_generate(actor=county_officer, county=county, month=date(2026, 8, 1), today=date(2026, 8, 1))
    assert PaymentLine.objects.get(roll=roll).amount == Decimal("500.00")

    # The API and the page say so.
    body = api(county_officer2).get(f"/api/v1/reviews/{review.pk}/").json()
    assert body["awaiting_second_approval"] is True and body["confirmation"] == "pending"
    assert body["new_amount"] == "700.00" and body["status"] == "due"
    page = web(county_officer2).get(f"/recipients/reviews/{review.pk}/").content.decode()
    assert "待第二名审核人确认" in page and f"/recipients/reviews/{review.pk}/confirm-amount/" in page
    # The review links its case and household and shows the household's current per-capita income.
    case = review.case
    assert f'href="/cases/{case.pk}/"' in page and f'href="/households/{case.household_id}/"' in page
    assert "家庭当前人均月收入" in page and str(case.household.per_capita_monthly_income) in page
    own = web(county_officer).get(f"/recipients/reviews/{review.pk}/").content.decode()
    assert "待第二名审核人确认" in own and "confirm-amount" not in own  # the proposer is not offered it

    version = Review.objects.get().version
    # The proposer cannot confirm (403), another county's officer does not see it (404), a stale version is 409.
    r = api(county_officer).post(f"/api/v1/reviews/{review.pk}/confirm-amount/", {"version": version}, format="json")
    assert r.status_code == 403 and r.json()["code"] == "second_officer"
    assert web(county_officer).post(f"/recipients/reviews/{review.pk}/confirm-amount/",
                                    {"version": version}).status_code == 403
    r = api(other_county_officer).post(f"/api/v1/reviews/{review.pk}/confirm-amount/", {"version": version},
                                       format="json")
    assert r.status_code == 404
    r = api(county_officer2).post(f"/api/v1/reviews/{review.pk}/confirm-amount/", {"version": version - 1},
                                  format="json")
    assert r.status_code == 409 and r.json()["code"] == "stale_version"
    r = api(county_officer2).post(f"/api/v1/reviews/{review.pk}/confirm-amount/", {}, format="json")
    assert r.status_code == 400 and "version" in r.json()
    # Nor can the review be completed again meanwhile.
    with pytest.raises(Conflict) as err:
        adjust(county_officer2, Review.objects.get(), **REASON)
    assert err.value.code == "awaiting_second_approval"
    unchanged(review)

    with time_machine.travel(ON, tick=False):
        r = api(county_officer2).post(f"/api/v1/reviews/{review.pk}/confirm-amount/", {"version": version},
                                      format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "completed" and r.json()["awaiting_second_approval"] is False
    review.refresh_from_db()
    review.case.refresh_from_db()
    assert review.confirmation == "confirmed" and review.confirmed_by == county_officer2
    assert review.completed_by == county_officer and review.case.monthly_amount == Decimal("700.00")
    change = BenefitChange.objects.get()
    assert (change.effective_month, change.previous_amount, change.amount) == (
        date(2026, 8, 1), Decimal("500.00"), Decimal("700.00"))
    adjusted = AuditEvent.objects.get(action="case.amount_adjusted")
    assert adjusted.actor == county_officer2 and adjusted.after["review"] == review.pk
    completed = AuditEvent.objects.get(action="review.completed")
    assert completed.after["proposed_by"] == county_officer.username
    assert completed.after["confirmed_by"] == county_officer2.username
    roll = payment_roll_generate(actor=county_officer, county=county, month=date(2026, 8, 1), today=date(2026, 8, 1))
    assert PaymentLine.objects.get(roll=roll).amount == Decimal("700.00")
    # Nothing is left to confirm.
    with pytest.raises(Conflict) as err:
        review_confirm_amount(actor=county_officer2, review=review)
    assert err.value.code == "nothing_to_confirm"


def test_the_page_proposes_and_another_officer_confirms(web, review, county_officer, county_officer2):
    with time_machine.travel(ON, tick=False):
        r = web(county_officer).post(f"/recipients/reviews/{review.pk}/", {
            "outcome": "adjust", "findings": "收入下降", "verified_per_capita_income": "450",
            "version": review.version, **REASON})
        assert r.status_code == 302
        review.refresh_from_db()
        assert review.awaiting_second_approval
        # The confirmation form needs the version it was read at.
        assert web(county_officer2).post(f"/recipients/reviews/{review.pk}/confirm-amount/", {}).status_code == 400
        r = web(county_officer2).post(f"/recipients/reviews/{review.pk}/confirm-amount/",
                                      {"version": review.version})
    assert r.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.COMPLETED and review.case.monthly_amount == Decimal("700.00")


def test_a_lower_amount_below_the_threshold_needs_nothing(review, county_officer):
    done = adjust(county_officer, review, income="600")  # (800 - 600) x 2 = 400 < 500
    assert done.status == ReviewStatus.COMPLETED and done.confirmation == "" and done.new_amount == Decimal("400.00")
    review.case.refresh_from_db()
    assert review.case.monthly_amount == Decimal("400.00") and BenefitChange.objects.get().amount == Decimal("400.00")


def test_above_the_countys_threshold_even_a_lower_amount_waits(review, county, county_officer, county_officer2):
    CasePolicy.objects.create(county=county, effective_from=date(2020, 1, 1), second_approval_above=Decimal("300"))
    with pytest.raises(DomainError):
        adjust(county_officer, review, income="600")  # 400 > 300: a reason of substance first
    proposed = adjust(county_officer, review, income="600", **REASON)
    assert proposed.awaiting_second_approval and proposed.new_amount == Decimal("400.00")
    unchanged(review)
    with pytest.raises(NotPermitted):
        review_confirm_amount(actor=county_officer, review=review, today=date(2026, 7, 3))
    with pytest.raises(StaleVersion):
        review_confirm_amount(actor=county_officer2, review=review, version=1, today=date(2026, 7, 3))
    done = review_confirm_amount(actor=county_officer2, review=review, today=date(2026, 7, 3))
    assert done.status == ReviewStatus.COMPLETED
    review.case.refresh_from_db()
    assert review.case.monthly_amount == Decimal("400.00")
