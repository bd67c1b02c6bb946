"""Dashboard and export reads go to the "replica" alias when DATABASE_REPLICA_URL configures one.

The test adds a second alias that mirrors the test database (TEST MIRROR), as settings.py does
for a real replica, and watches which connection runs the queries. The data must be committed
for the second connection to see it, hence a transactional test.
"""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from dibao.db_router import ReplicaRouter, reporting_db
from reports.dashboard import dashboard_data
from reports.definitions import get_report
from reports.filters import ReportFilterForm
from tests.reports.factories import make_case

pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")


@pytest.fixture
def replica(settings):
    """Turn the replica on: reporting_db() answers "replica" while settings list it."""
    settings.DATABASES = {**settings.DATABASES, "replica": connections["replica"].settings_dict}
    yield "replica"
    connections["replica"].close()


def test_without_replica_reports_read_default(settings):
    assert "replica" not in settings.DATABASES
    assert reporting_db() == "default"


def test_router_keeps_writes_on_primary():
    router = ReplicaRouter()
    assert router.db_for_write(None) == "default"
    assert router.db_for_read(None) is None
    assert router.allow_migrate("replica", "reports") is False


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_dashboard_and_reports_read_from_replica(replica, county, village, county_officer, county_auditor):
    make_case(village, county_officer, status="active", size=3, amount="500")
    assert reporting_db() == "replica"
    with CaptureQueriesContext(connections["replica"]) as on_replica, \
            CaptureQueriesContext(connections["default"]) as on_default:
        data = dashboard_data(county)
    assert data["totals"]["recipient_households"] == 1
    assert len(on_replica.captured_queries) == 9  # cold: with the case versions read before and after
    assert len(on_default.captured_queries) == 0

    definition = get_report("case_register")
    form = ReportFilterForm({}, user=county_auditor, status_choices=definition.status_choices())
    assert form.is_valid()
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        rows = list(definition.queryset(county_auditor, form.filters(), using=reporting_db()))
    assert len(rows) == 1 and len(on_replica.captured_queries) == 1


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_export_reads_from_replica_and_logs_on_primary(replica, village, county_officer, county_auditor, web,
                                                       settings, tmp_path):
    from audit.models import AccessLog

    settings.VAR_DIR = tmp_path
    make_case(village, county_officer, status="active", size=3, amount="500")
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        response = web(county_auditor).post("/reports/reports/case_register/export/", {"format": "csv"})
        body = b"".join(response.streaming_content)
    assert response.status_code == 200 and body.count(b"\n") == 2
    sql = " ".join(q["sql"] for q in on_replica.captured_queries)
    assert "cases_case" in sql and "INSERT" not in sql
    assert AccessLog.objects.using("default").filter(action="export").count() == 1
