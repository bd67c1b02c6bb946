"""Many threads doing conflicting things to the same object through the HTTP API at the same moment.

Each race has exactly one winner; every other request gets a clean 409 (never a 500, never a second
winner), and the audit log holds exactly one event for the winning change, matching the final state.
Real PostgreSQL row locks, so real threads with their own connections (transactional_db).
"""

import threading

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEvent
from cases.models import Case, CaseStatus
from households.models import Household
from overlaps.models import OverlapFlag

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 6


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def race(requests):
    """Run (user, method, path, body) requests in threads released together; return the responses."""
    barrier = threading.Barrier(len(requests))
    results = [None] * len(requests)

    def run(i, user, method, path, body):
        client = APIClient()
        client.force_authenticate(user)
        try:
            barrier.wait()
            results[i] = getattr(client, method)(path, body, format="json")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *r)) for i, r in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def events(obj):
    return AuditEvent.objects.filter(object_type__icontains=obj._meta.model_name, object_id=str(obj.pk))


def test_same_household_edited_by_many(walker, household, village_staff, township_staff):
    version = household.version
    before = events(household).count()
    requests = [(village_staff if i % 2 else township_staff, "patch", f"/api/v1/households/{household.pk}/",
                 {"version": version, "address": f"新址路{i + 10}号"}) for i in range(THREADS)]
    responses = race(requests)
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * (THREADS - 1), codes
    assert all(r.json()["code"] == "stale_version" for r in responses if r.status_code == 409)
    winner = next(r for r in responses if r.status_code == 200).json()
    household.refresh_from_db()
    assert household.version == version + 1
    assert household.address == winner["address"]
    assert events(household).count() == before + 1


def test_approve_reject_withdraw_the_same_case(walker, draft, county_officer2, admin_user, village_staff):
    case = walker.to(draft, CaseStatus.AWAITING_DECISION)
    before = events(case).count()
    path = f"/api/v1/cases/{case.pk}/"
    requests = [
        (county_officer2, "post", path + "approve/", {"version": case.version, "category": "A"}),
        (admin_user, "post", path + "approve/", {"version": case.version, "category": "B"}),
        (county_officer2, "post", path + "reject/", {"version": case.version, "reason": "收入超标"}),
        (admin_user, "post", path + "reject/", {"version": case.version, "reason": "收入超标"}),
        (village_staff, "post", path + "withdraw/", {"version": case.version, "reason": "申请人撤回"}),
        (county_officer2, "post", path + "withdraw/", {"version": case.version, "reason": "申请人撤回"}),
    ]
    responses = race(requests)
    codes = [r.status_code for r in responses]
    assert all(c < 500 for c in codes), codes
    winners = [i for i, r in enumerate(responses) if r.status_code == 200]
    assert len(winners) == 1, codes
    # Everyone else: a clean refusal (409 for the race, 403 for a role the action does not allow).
    assert all(r.status_code in (403, 409) for i, r in enumerate(responses) if i not in winners), codes
    case.refresh_from_db()
    expected = {"approve": CaseStatus.ACTIVE, "reject": CaseStatus.REJECTED, "withdraw": CaseStatus.WITHDRAWN}
    action = requests[winners[0]][2].rstrip("/").rsplit("/", 1)[1]
    assert case.status == expected[action]
    assert responses[winners[0]].json()["status"] == case.status
    new = list(events(case).filter(pk__gt=0).order_by("pk"))[before:]
    assert len(new) == 1, [e.action for e in new]
    assert action in new[0].action


def test_same_finding_resolved_by_many(village, county_officer, county_officer2, admin_user):
    flag = OverlapFlag.objects.create(rule="DOUBLE_DIBAO", severity="high", subject_key="race", data_fingerprint="x",
                                      division_code=village.code, division=village, status="open",
                                      last_seen_at=timezone.now())
    users = [county_officer, county_officer2, admin_user]
    outcomes = ["confirmed", "explained", "false_match"]
    requests = [(users[i % 3], "post", f"/api/v1/overlap-flags/{flag.pk}/resolve/",
                 {"outcome": outcomes[i % 3], "note": f"核实{i}"}) for i in range(THREADS)]
    responses = race(requests)
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * (THREADS - 1), codes
    flag.refresh_from_db()
    winner = next(i for i, r in enumerate(responses) if r.status_code == 200)
    assert flag.status == outcomes[winner % 3]
    assert flag.resolution_note == f"核实{winner}"
    assert events(flag).count() == 1


def test_case_count_unchanged_by_refused_races(walker, draft):
    # Sanity: the races above never create cases or households as a side effect.
    assert Case.objects.count() == 1 and Household.objects.count() == 1
