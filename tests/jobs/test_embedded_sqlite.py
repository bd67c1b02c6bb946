"""The embedded mode as shipped: SQLite, no Redis, long jobs in a thread of the process.

In a subprocess with the embedded defaults (no DATABASE_URL, no REDIS_URL; JOBS_RUN_IN_THREAD on by
default), an import of several chunks runs in the job thread while the main thread, like requests,
keeps reading and writing the same SQLite file: no "database is locked", the upload returns before
the import has finished, and the job succeeds with the right counts.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

SCRIPT = r'''
import io, json, threading, time
from datetime import date
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from households.idnumber import make_id_number
from jobs.models import Job
from jobs.services import job_create
from poverty_registry.importing.reader import COLUMNS
from poverty_registry.models import RegistryMember
from poverty_registry.services import import_start
from tests.factories import DivisionFactory, UserFactory

province = DivisionFactory(code="370000000000", level="province", parent=None)
city = DivisionFactory(code="370200000000", level="city", parent=province)
county = DivisionFactory(code="370283000000", level="county", parent=city)
township = DivisionFactory(code="370283101000", level="township", parent=county)
village = DivisionFactory(code="370283101201", level="village", parent=township)
officer = UserFactory(username="county1", role="county_officer", division=county)

out = io.StringIO()
out.write(",".join(COLUMNS) + "\n")
ROWS = 5000
for n in range(ROWS):
    values = {"year": "2024", "registry_household_code": f"H{n // 4}", "division_code": village.code,
              "member_name": f"m{n}", "id_number": make_id_number("370283", date(1950 + n % 50, 1 + n % 12, 1 + n % 28), n % 1000),
              "relationship": "户主" if n % 4 == 0 else "子女", "is_head": "1" if n % 4 == 0 else "0",
              "annual_income_per_capita": "3500", "status": "registered", "monitoring_type": "", "lifted_year": ""}
    out.write(",".join(values.get(c, "") for c in COLUMNS) + "\n")
data = out.getvalue().encode()

job = import_start(actor=officer, uploaded=SimpleUploadedFile("r.csv", data), year=None)
status_at_return = Job.objects.get(pk=job.pk).status
errors, rounds = [], 0
deadline = time.monotonic() + 240
while time.monotonic() < deadline:
    try:
        current = Job.objects.get(pk=job.pk)  # a request reading the job page
        job_create(actor=officer, kind="export")  # a request writing meanwhile
        RegistryMember.objects.count()
    except Exception as exc:
        errors.append(repr(exc))
    rounds += 1
    if current.is_finished:
        break
    time.sleep(0.01)
print("RESULT " + json.dumps({
    "threads": settings.JOBS_RUN_IN_THREAD, "vendor": connection.vendor, "status_at_return": status_at_return,
    "status": current.status, "message": current.message, "counts": current.counts, "errors": errors,
    "rounds": rounds, "members": RegistryMember.objects.count(), "rows": ROWS,
    "journal": connection.cursor().execute("PRAGMA journal_mode").fetchone()[0]}))
'''


@pytest.mark.slow
def test_import_in_the_job_thread_on_sqlite_while_requests_read_and_write(tmp_path):
    var = tmp_path / "var"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", str(tmp_path)),
           "DIBAO_VAR_DIR": str(var), "DJANGO_DEBUG": "1"}
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
    assert migrate.returncode == 0, migrate.stderr
    run = subprocess.run([sys.executable, "manage.py", "shell", "-c", SCRIPT], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    line = next(x for x in run.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    assert result["vendor"] == "sqlite" and result["threads"] is True and result["journal"] == "wal"
    # The upload returned before its import had finished: it ran in the job thread.
    assert result["status_at_return"] in ("queued", "running")
    assert result["errors"] == [], result["errors"][:3]
    assert result["rounds"] > 1
    assert result["status"] == "succeeded", result["message"]
    assert result["counts"]["rows_read"] == result["rows"] == result["counts"]["rows_imported"]
    assert result["counts"]["rows_failed"] == 0 and result["counts"]["households_created"] == result["rows"] // 4
    assert result["members"] == result["rows"]
