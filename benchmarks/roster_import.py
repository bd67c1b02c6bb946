"""Benchmark: the go-live roster import of 100,000 member rows beside PostgreSQL COPY of the same file.

    DATABASE_URL=postgres://... .venv/bin/python benchmarks/roster_import.py [--rows 10000,100000]

1. copy  - COPY of the CSV into a bare table of text columns (the floor: no validation, no encryption).
2. golive - this project's import as the real jobs: the dry run (validate, encrypt, blind-index, COPY into
            the staging table, set-based checks) and then the confirmation (households, members, migrated
            cases, reviews, audit events), each run in its own subprocess so its peak RSS is its own.
Prints rows/s, peak RSS (VmHWM) and the ratio to COPY at each size (10,000 and 100,000 rows by default: the
peak RSS should barely grow); asserts nothing about time.
"""

import argparse
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dibao.settings")

REGION = "379902"
COUNTY = "379902000000"
VILLAGES = [f"379902101{200 + i:03d}" for i in range(1, 21)]
USERNAME = "bench_roster_county"


def setup_django():
    import django
    from django.conf import settings

    django.setup()
    # As in production: with DEBUG on, Django keeps every SQL string in memory (peak RSS would be its, not ours).
    settings.DEBUG = False


def maxrss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def ensure_fixtures():
    from accounts.models import Division, User

    province, _ = Division.objects.get_or_create(code="379900000000", defaults={"name": "Bench province",
                                                                                "level": "province"})
    county, _ = Division.objects.get_or_create(code=COUNTY, defaults={"name": "Bench roster county",
                                                                      "level": "county", "parent": province})
    township, _ = Division.objects.get_or_create(code="379902101000", defaults={
        "name": "Bench township", "level": "township", "parent": county})
    for code in VILLAGES:
        Division.objects.get_or_create(code=code, defaults={"name": f"Bench village {code[-3:]}", "level": "village",
                                                            "parent": township})
    user = User.objects.filter(username=USERNAME).first() or User.objects.create_user(
        username=USERNAME, password=None, role="county_officer", division=county)
    return user


def generate(path: Path, rows: int) -> None:
    from dibao.spreadsheets import CsvRows
    from golive.layout import COLUMNS
    from households.idnumber import make_id_number

    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = CsvRows(fh)
        writer.writerow(COLUMNS)
        n = household = 0
        while n < rows:
            household += 1
            size = 1 + household % 5
            category = "" if household % 10 == 0 else "ABC"[household % 3]
            for k in range(size):
                if n >= rows:
                    break
                birth = date(1940, 1, 1) + timedelta(days=n // 1000)
                writer.writerow([f"G{household:07d}", VILLAGES[household % len(VILLAGES)], f"{household}号",
                                 "13800000000", f"成员{n}", make_id_number(REGION, birth, n % 1000),
                                 "户主" if k == 0 else "子女", "是" if k == 0 else "否", "健康", "", "有劳动能力",
                                 category, f"{300 + household % 700}" if category else "",
                                 "2023-05-10" if category else "", "否", "", "", "农商银行", "6228480000000000"])
                n += 1


def run_copy(path: Path) -> None:
    from django.db import connection

    from golive.layout import COLUMNS

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_roster_copy")
        cursor.execute("CREATE UNLOGGED TABLE bench_roster_copy (" + ", ".join(f"{c} text" for c in COLUMNS) + ")")
        started = time.monotonic()
        with path.open("r", encoding="utf-8") as fh:
            cursor.cursor.copy_expert("COPY bench_roster_copy FROM STDIN WITH (FORMAT csv, HEADER true)", fh)
        elapsed = time.monotonic() - started
        cursor.execute("SELECT count(*) FROM bench_roster_copy")
        count = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_roster_copy")
    print(f"copy {count} {elapsed:.2f} {count / elapsed:.0f} {maxrss_mb():.0f}")


def run_golive(path: Path, rows: int) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from golive import services
    from golive.models import RosterBatch

    user = ensure_fixtures()
    from unittest import mock

    with mock.patch("golive.services.dispatch"):
        batch = services.roster_upload(actor=user, uploaded=SimpleUploadedFile("bench.csv", path.read_bytes()))
    started = time.monotonic()
    services.dry_run_run(job_id=batch.dry_run_job_id)
    checked = time.monotonic() - started
    batch = RosterBatch.objects.get(pk=batch.pk)
    with mock.patch("golive.services.dispatch"):
        batch = services.roster_confirm(actor=user, batch=batch, version=batch.version)
    services.apply_run(job_id=batch.apply_job_id)
    total = time.monotonic() - started
    batch = RosterBatch.objects.select_related("apply_job").get(pk=batch.pk)
    print(f"dry-run {rows} {checked:.2f} {rows / checked:.0f}")
    print(f"golive {rows} {total:.2f} {rows / total:.0f} {maxrss_mb():.0f} {batch.apply_job.status} "
          f"{batch.apply_job.counts}")


def clean() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            DELETE FROM recipients_review WHERE division_code LIKE '379902%%';
            DELETE FROM recipients_caseexit WHERE division_code LIKE '379902%%';
            DELETE FROM golive_migratedhousehold WHERE county_code = %s;
            DELETE FROM cases_case WHERE division_code LIKE '379902%%';
            DELETE FROM households_member WHERE household_id IN
                (SELECT id FROM households_household WHERE division_code LIKE '379902%%');
            DELETE FROM households_household WHERE division_code LIKE '379902%%';
            DELETE FROM households_person WHERE region_code = %s;
        """, [COUNTY, REGION])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", default="10000,100000", help="one size or several, comma-separated")
    parser.add_argument("--step", default="")
    args = parser.parse_args()
    setup_django()
    if args.step:
        rows = int(args.rows)
        path = ROOT / "var" / "bench" / f"roster-{rows}.csv"
        run_copy(path) if args.step == "copy" else run_golive(path, rows)
        return
    ensure_fixtures()
    print(f"{'step':<8} {'rows':>8} {'seconds':>8} {'rows/s':>8} {'peak RSS MB':>12}  (golive: x COPY)")
    for rows in [int(n) for n in args.rows.split(",")]:
        path = ROOT / "var" / "bench" / f"roster-{rows}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        clean()
        generate(path, rows)
        rates = {}
        for step in ("copy", "golive"):
            out = subprocess.run([sys.executable, __file__, "--rows", str(rows), "--step", step], cwd=ROOT,
                                 capture_output=True, text=True)
            text = out.stdout.strip() or out.stderr.strip()[-2000:]
            for line in text.splitlines():
                parts = line.split()
                if parts and parts[0] in ("copy", "golive") and len(parts) > 3:
                    rates[parts[0]] = float(parts[3])
            if step == "golive" and len(rates) == 2:
                text += f"\n{'ratio':<8} {rows:>8} golive/COPY = {rates['golive'] / rates['copy']:.3f}x"
            print(text, flush=True)
        clean()
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
