import io

import pytest

from accounts import demo as accounts_demo
from cases.models import CaseStatus
from recipients import demo
from recipients.models import PaymentRoll, Review


@pytest.mark.django_db
def test_demo_seed_is_idempotent():
    accounts_demo.seed_divisions()
    accounts_demo.seed_users()
    demo.seed(io.StringIO())
    counts = (Review.objects.count(), PaymentRoll.objects.count())
    demo.seed(io.StringIO())
    assert (Review.objects.count(), PaymentRoll.objects.count()) == counts
    assert Review.objects.filter(status="due").count() >= 3
    assert list(PaymentRoll.objects.values_list("status", flat=True)) == ["finalised", "finalised"]
    from cases.models import Case

    assert Case.objects.filter(status=CaseStatus.GRADUAL_EXIT).count() == 1
