"""Two officers approve the same case at the same moment: one wins, the other gets a clean 409."""

import threading

import pytest
from django.db import connection

from cases import workflow
from cases.models import CaseStatus, Decision
from dibao.errors import InvalidTransition


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_approvals(walker, draft, county_officer2, admin_user):
    case = walker.to(draft, CaseStatus.AWAITING_DECISION)
    barrier = threading.Barrier(2)
    outcomes = []

    def approve(actor):
        try:
            barrier.wait()
            workflow.run("approve", actor=actor, case=case.pk, category="A")
            outcomes.append("approved")
        except InvalidTransition:
            outcomes.append("invalid_transition")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in (county_officer2, admin_user)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["approved", "invalid_transition"]
    assert Decision.objects.filter(case=case).count() == 1
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
