"""Run by test_dashboard_parity.py in a subprocess whose DATABASE_URL is a SQLite file (the embedded
default): migrate, load the dumped data, compute the dashboard and print its figures as JSON, with the
processing-time report's column (case id -> working days) under "processing_days".

usage: python tests/reports/dashboard_on_sqlite.py DUMP.json DIVISION_CODE YYYY-MM-DD
"""

import json
import os
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dibao.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import Division  # noqa: E402
from cases.models import Holiday  # noqa: E402
from reports.dashboard import dashboard_data  # noqa: E402
from tests.reports.parity import figures, processing_days  # noqa: E402


def main(dump: str, code: str, today: str) -> None:
    assert connection.vendor == "sqlite", connection.vendor
    call_command("migrate", verbosity=0)
    Holiday.objects.all().delete()  # the dump carries the holiday table as the test database has it
    call_command("loaddata", dump, verbosity=0)
    data = dashboard_data(Division.objects.get(code=code), today=date.fromisoformat(today))
    print(json.dumps({**figures(data), "processing_days": processing_days()}, sort_keys=True, default=str))



if __name__ == "__main__":
    main(*sys.argv[1:])
