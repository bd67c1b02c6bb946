import io

import pytest

from cases.models import Case, CaseStatus
from cases.selectors import near_deadline_date, overdue_q
from demo.seed import accounts as accounts_demo
from demo.seed import cases as demo

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent_and_covers_the_states():
    accounts_demo.seed_divisions()
    accounts_demo.seed_users()
    demo.seed(io.StringIO())
    count = Case.objects.count()
    demo.seed(io.StringIO())
    assert Case.objects.count() == count
    states = set(Case.objects.values_list("status", flat=True))
    assert states >= {CaseStatus.DRAFT, CaseStatus.SUBMITTED, CaseStatus.UNDER_INVESTIGATION,
                      CaseStatus.INVESTIGATED, CaseStatus.IN_NOTICE, CaseStatus.AWAITING_DECISION,
                      CaseStatus.ACTIVE, CaseStatus.REJECTED, CaseStatus.WITHDRAWN, CaseStatus.CLOSED}
    assert Case.objects.filter(staff_relative=True).exists()
    assert Case.objects.filter(notices__objections__isnull=False).exists()
    assert Case.objects.filter(overdue_q(near_deadline_date())).count() >= 2
