import io

import pytest
from django.utils import timezone

from cases.models import CaseStatus
from demo.seed import accounts as accounts_demo
from demo.seed import recipients as demo
from recipients.models import PaymentRoll, Review


@pytest.mark.django_db
def test_demo_seed_is_idempotent():
    accounts_demo.seed_divisions()
    accounts_demo.seed_users()
    demo.seed(io.StringIO())
    counts = (Review.objects.count(), PaymentRoll.objects.count())
    demo.seed(io.StringIO())
    assert (Review.objects.count(), PaymentRoll.objects.count()) == counts
    from cases.models import Case

    assert Case.objects.filter(status=CaseStatus.GRADUAL_EXIT).count() == 1
    today = timezone.localdate()
    # Reviews: created when due, most completed a few weeks later; two changes reported today.
    reported = Review.objects.filter(kind="change_reported", status="due")
    assert reported.count() == 2 and set(reported.values_list("due_date", flat=True)) == {today}
    completed = Review.objects.filter(status="completed")
    assert completed.exists()
    for review in completed:
        assert review.due_date <= timezone.localtime(review.created_at).date() <= timezone.localtime(
            review.completed_at).date() < today
    # A year of payment rolls, each generated, reviewed and finalised early in its own month.
    rolls = list(PaymentRoll.objects.order_by("month"))
    finalised = [r for r in rolls if r.status == "finalised"]
    assert len(finalised) == 12 and [r.status for r in rolls[12:]] in ([], ["draft"])
    for roll in finalised:
        generated = timezone.localtime(roll.generated_at).date()
        assert (generated.year, generated.month) == (roll.month.year, roll.month.month)
        assert roll.generated_at < roll.reviewed_at < roll.finalised_at
    assert finalised[-1].line_count >= 5
