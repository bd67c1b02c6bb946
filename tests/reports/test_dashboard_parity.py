"""The embedded default (SQLite) shows every dashboard figure PostgreSQL shows, with the same numbers.

The same data is computed here on the test database and, in a subprocess started with a SQLite
DATABASE_URL (exactly what `make run` uses), from a dump of it: every row, total, monthly series,
payment and finding figure must agree, the working-day median and 90th percentile included; and so must
the processing-time report's column (working days per decided case).
"""

import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from reports.dashboard import dashboard_data
from tests.reports.factories import make_case
from tests.reports.parity import figures, processing_days
from tests.reports.test_payments import rolls  # noqa: F401 - the payment rolls fixture

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 3, 20)


@pytest.fixture
def pinned_clock():
    with time_machine.travel(datetime(2026, 3, 20, 12, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


@pytest.fixture
def holiday_spans(pinned_clock, village, other_village, county_officer):
    """Cases whose processing time crosses the 2026 Spring Festival (15-23 February) and its swapped
    working Saturdays, so calendar days and working days differ widely."""
    made = []
    for n, (accepted, decided) in enumerate([(date(2026, 2, 10), date(2026, 3, 2)),
                                              (date(2026, 2, 12), date(2026, 2, 28)),
                                              (date(2026, 1, 5), date(2026, 2, 26)),
                                              (date(2026, 2, 13), date(2026, 3, 16))]):
        made.append(make_case(village if n % 2 else other_village, county_officer, status="active", size=2 + n,
                              submitted=accepted - timedelta(days=2), accepted=accepted, decided=decided,
                              amount=f"{300 + n * 50}.00", head=f"春{n}"))
    return made


def test_sqlite_dashboard_equals_postgresql(pinned_clock, worked_example, rolls, holiday_spans,  # noqa: F811
                                            county, township, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("compares the test database (PostgreSQL) with the embedded SQLite default")
    expected = {code: figures(dashboard_data(division, today=TODAY))
                for code, division in ((county.code, county), (township.code, township))}
    assert expected[county.code]["totals"]["median_days"] is not None  # there is something to compare
    report_days = processing_days()
    spring = {str(c.pk): report_days[str(c.pk)] for c in holiday_spans}
    # Counted by hand on the 2026 calendar (Spring Festival 15-23 February, working Saturdays 14 and 28
    # February; 10 Feb -> 2 Mar: 11-14 Feb, 24-28 Feb, 2 Mar): far from the calendar days (20, 16, 52, 31).
    assert list(spring.values()) == [10, 7, 33, 17]
    dump = tmp_path / "data.json"
    call_command("dumpdata", "accounts.division", "accounts.user", "households", "cases", "recipients",
                 "overlaps", output=str(dump), verbosity=0)
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_REPLICA_URL")}
    env.update({"DJANGO_DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
                "DIBAO_VAR_DIR": str(tmp_path / "var"), "JOBS_RUN_IN_THREAD": "0"})
    for code in (county.code, township.code):
        done = subprocess.run([sys.executable, str(ROOT / "tests/reports/dashboard_on_sqlite.py"), str(dump), code,
                               TODAY.isoformat()], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        on_sqlite = json.loads(done.stdout.strip().splitlines()[-1])
        assert on_sqlite.pop("processing_days") == report_days
        assert on_sqlite == json.loads(json.dumps(expected[code], sort_keys=True, default=str))
        assert on_sqlite["working_days"] is True and on_sqlite["totals"]["p90_days"] is not None
