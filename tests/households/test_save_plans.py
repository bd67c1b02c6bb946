"""A household saved through the API costs the same whatever the size of the province (issue 22).

The save (PATCH /api/v1/households/{id}/: the scoped read, the locked re-read, the update, the recomputed
figures, the audit event, the change feed's outbox row, the answer) is run on a population large enough for
PostgreSQL's planner to weigh a sequential scan against an index (the labelled synthetic population of
tests/overlaps/synthetic.py, 8,000 persons, ANALYZEd), with its statements captured. Every statement is
EXPLAINed: none may hold a Seq Scan of the persons, households, members or cases tables, so nothing the save
reads grows with the table. The number of statements is pinned: a save that starts reading more (a count, a
second pass over the members) shows here before it shows in benchmarks/household_save.py.
"""

import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from households.models import Household
from tests.factories import DivisionFactory, UserFactory
from tests.overlaps import builders, synthetic

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# The tables the population makes large (it has no income items or assets: their few rows are read whole, rightly).
LARGE_TABLES = {"households_person", "households_household", "households_member", "cases_case"}
SAVE_QUERIES = 22


@pytest.fixture(scope="module")
def province(django_db_setup, django_db_blocker):
    """(village staff, their village's households) on a population built once and rolled back afterwards."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            top = DivisionFactory(code="530000000000", name="省", level="province", parent=None)
            city = DivisionFactory(code="530100000000", name="市", level="city", parent=top)
            county = DivisionFactory(code="530102000000", name="县", level="county", parent=city)
            town = DivisionFactory(code="530102100000", name="镇", level="township", parent=county)
            villages = [DivisionFactory(code=f"530102100{200 + i:03d}", name=f"村{i}", level="village", parent=town)
                        for i in range(4)]
            officer = UserFactory(username="save_plan_officer", role="county_officer", division=county)
            staff = UserFactory(username="save_plan_staff", role="village_staff", division=villages[-1])
            builders.standard(county)
            synthetic.build(villages=villages, user=officer, n_persons=8000, planted=10, seed=5)
            with connection.cursor() as cursor:
                for table in sorted(LARGE_TABLES):
                    cursor.execute(f"ANALYZE {table}")
            households = list(Household.objects.filter(village=villages[-1], is_active=True)
                              .order_by("id").values_list("id", flat=True)[:10])
            yield staff, households
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _seq_scans(plan) -> list[str]:
    found = [plan["Relation Name"]] if plan.get("Node Type") == "Seq Scan" and plan.get(
        "Relation Name") in LARGE_TABLES else []
    for child in plan.get("Plans", ()):
        found += _seq_scans(child)
    return found


def _large_seq_scans(queries) -> list[tuple]:
    bad = []
    with connection.cursor() as cursor:
        for query in queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith(("SELECT", "WITH", "UPDATE", "INSERT", "DELETE")):
                continue  # savepoints
            cursor.execute("SAVEPOINT explain_only")
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
            cursor.execute("ROLLBACK TO SAVEPOINT explain_only")
            plan = json.loads(plan) if isinstance(plan, str) else plan
            tables = _seq_scans(plan[0]["Plan"])
            if tables:
                bad.append((tables, sql))
    return bad


def _save(api, staff, household_id):
    household = Household.objects.get(pk=household_id)
    return api(staff).patch(f"/api/v1/households/{household_id}/",
                            {"address": household.address + "·", "version": household.version}, format="json")


def test_a_household_save_reads_index_ranges_only_and_its_statements_are_pinned(province, api):
    staff, households = province
    _save(api, staff, households[0])  # warm: the first request of the process reads its configuration
    with CaptureQueriesContext(connection) as ctx:
        response = _save(api, staff, households[1])
    assert response.status_code == 200, response.content
    assert response.json()["address"].endswith("·")
    statements = [q for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(statements) == SAVE_QUERIES, "\n".join(q["sql"][:120] for q in statements)
    assert _large_seq_scans(ctx.captured_queries) == []


def test_a_stale_save_is_refused_and_changes_nothing(province, api):
    """The negative case on the same population: a stale version is 409 and the address stays."""
    staff, households = province
    household = Household.objects.get(pk=households[2])
    response = api(staff).patch(f"/api/v1/households/{household.pk}/",
                                {"address": "过期", "version": household.version - 1}, format="json")
    assert response.status_code == 409
    assert Household.objects.get(pk=household.pk).address == household.address
