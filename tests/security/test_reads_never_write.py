"""Reads never write: every GET of the access matrix, as every role, leaves the audit log and every case's
version as they were, also on cases whose public notice is over (the nightly sweep closes those)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case, CaseStatus, PublicNotice
from cases.tasks import close_due_notices
from tests.security.conftest import ROLES, SCOPES
from tests.security.test_access_matrix import ROWS, client_for, send

pytestmark = pytest.mark.django_db

GET_ROWS = [row for row in ROWS if row.method == "GET"]


def put_in_overdue_notice(case: Case, officer) -> None:
    """The case as it stands the morning after its notice ended, before the sweep ran."""
    today = timezone.localdate()
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.IN_NOTICE)
    PublicNotice.objects.create(case=case, starts_on=today - timedelta(days=9), ends_on=today - timedelta(days=3),
                                days=7, applicant_name="王一", household_size=1, proposed_amount="300.00",
                                opened_by=officer)


def writes():
    return (AuditEvent.objects.count(), sorted(Case.objects.values_list("pk", "status", "version")),
            sorted(PublicNotice.objects.values_list("pk", "outcome")))


def test_no_get_in_the_matrix_writes(world):
    for scope in SCOPES:
        put_in_overdue_notice(world.case[scope], world.users["county_officer"])
    before = writes()
    assert len(GET_ROWS) > 40
    for row in GET_ROWS:
        for role in ROLES:
            client = client_for(row, world.users[role])
            for scope in SCOPES if row.target else ("own",):
                path = row.path(world, scope) if callable(row.path) else row.path
                response = send(client, row, path)
                assert response.status_code < 500, (role, path)
                assert writes() == before, f"GET {path} as {role} wrote to the database"
    # The nightly sweep is what closes them.
    assert close_due_notices() == 3
    assert set(Case.objects.filter(pk__in=[c.pk for c in world.case.values()]).values_list("status", flat=True)) \
        == {CaseStatus.AWAITING_DECISION}
