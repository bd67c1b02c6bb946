"""The planner settings a rule writes its statement with hold for that statement only, in autocommit (the
worker) and inside a transaction. A transactional test, kept apart from tests/overlaps/test_incremental.py: that
module holds its population in one transaction for all its tests."""

from decimal import Decimal

import pytest
from django.db import connection, transaction

from cases.models import Case
from overlaps.rules import RULES
from tests.overlaps import builders

pytestmark = pytest.mark.postgres  # SHOW and SET LOCAL of the planner's settings


@pytest.mark.django_db(transaction=True)
def test_written_order_settings_hold_for_the_statement_only(village, county_officer, std):
    """In autocommit (the worker) and inside a transaction: the rule finds its row, the settings end with it."""
    p = builders.person()
    h = builders.household(village, [p], income=Decimal("300"))
    builders.case(h, county_officer, status="active")
    builders.registry(village, [p], status="lifted", annual=Decimal("12000"), year=2025)
    rule = RULES["STATUS_CONFLICT"]
    assert not connection.in_atomic_block
    assert [f.case_ids for f in rule.scan("", person_ids=[p.pk])] == [[Case.objects.get(household=h).pk]]
    with connection.cursor() as cursor:
        cursor.execute("SHOW join_collapse_limit")
        assert cursor.fetchone()[0] == "8"
        with transaction.atomic():
            assert len(list(rule.scan("", person_ids=[p.pk]))) == 1
            cursor.execute("SHOW join_collapse_limit")
            assert cursor.fetchone()[0] == "8"
            cursor.execute("SHOW from_collapse_limit")
            assert cursor.fetchone()[0] == "8"
