"""Benchmark: importing a 100,000-row poverty-registry CSV three ways.

    DATABASE_URL=postgres://... .venv/bin/python benchmarks/registry_import.py [--rows 100000] [--only fast,orm,iex]

1. fast  - this project's import (poverty_registry.services.import_run: streaming, chunked, bulk person
           resolution, INSERT ... ON CONFLICT upserts), run as the real job.
2. orm   - the plain per-row ORM loop: validate, person_get_or_create, update_or_create household and
           member for every row.
3. iex   - django-import-export 4 with a Resource for the flat member rows (tablib loads the file).
4. copy  - the floor: PostgreSQL `COPY` of the same file into a bare table of eleven text columns (no
           validation, no encryption, no merge), through the same driver.
5. indexed - the second floor: the rows `fast` wrote (persons with their ciphertext, blind indexes and pinyin,
           registry households, members), already computed, `COPY`ed back into the real tables with their
           indexes, constraints and triggers in one transaction. What any import must at least spend writing
           the result; no Python per row.

`BENCH_CODE_ROOT=/path/to/another/checkout` runs that checkout's code (the "before" of benchmarks/RESULTS.md).

Each approach runs in its own subprocess from an empty registry (emptied, persons too, by another
subprocess), so peak memory (ru_maxrss) is that approach's alone; the RSS after Django start-up is
printed beside it.
"client CPU s" is the importing process's own CPU time (Python: reading, cleaning, hashing, encrypting), which a
loaded machine inflates far less than the wall time; the rest of the wall time is the database and waiting.
The script prints figures; it asserts nothing about time.
"""

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(os.environ.get("BENCH_CODE_ROOT") or Path(__file__).resolve().parent.parent)
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dibao.settings")

BENCH_REGION = "379901"  # ID-number region used only by benchmark persons (cleaned between runs)
COUNTY = "379901000000"
VILLAGES = [f"379901101{200 + i:03d}" for i in range(1, 21)]
USERNAME = "bench_registry_county"
COLUMNS = ("year", "registry_household_code", "division_code", "member_name", "id_number", "relationship",
           "is_head", "annual_income_per_capita", "status", "monitoring_type", "lifted_year")


def setup_django():
    import django

    django.setup()


def ensure_fixtures():
    from accounts.models import Division, User

    province, _ = Division.objects.get_or_create(code="379900000000", defaults={"name": "Bench province", "level": "province"})
    city, _ = Division.objects.get_or_create(code="379901000000".replace("01000000", "00000000"),
                                             defaults={"name": "Bench city", "level": "city", "parent": province})
    county, _ = Division.objects.get_or_create(code=COUNTY, defaults={"name": "Bench county", "level": "county",
                                                                      "parent": city})
    township, _ = Division.objects.get_or_create(code="379901101000", defaults={"name": "Bench township",
                                                                                "level": "township", "parent": county})
    for code in VILLAGES:
        Division.objects.get_or_create(code=code, defaults={"name": f"Bench village {code[-3:]}", "level": "village",
                                                            "parent": township})
    user = User.objects.filter(username=USERNAME).first()
    if user is None:
        user = User.objects.create_user(username=USERNAME, password=None, role="county_officer", division=county)
    return user


def generate(path: Path, rows: int) -> None:
    from dibao.spreadsheets import CsvRows
    from households.idnumber import make_id_number

    statuses = [("registered", "", ""), ("monitored", "edge", ""), ("lifted", "", "2020"),
                ("monitored", "unstable", "2019"), ("monitored", "sudden", "")]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = CsvRows(fh)
        writer.writerow(COLUMNS)
        n = 0
        household = 0
        while n < rows:
            household += 1
            size = 1 + household % 5
            status, mtype, lifted = statuses[household % len(statuses)]
            income = f"{2500 + (household * 37) % 9000}.{household % 100:02d}"
            for k in range(size):
                if n >= rows:
                    break
                birth = date(1940, 1, 1) + timedelta(days=n // 1000)
                writer.writerow([2024, f"B{household:07d}", VILLAGES[household % len(VILLAGES)], f"成员{n}",
                                 make_id_number(BENCH_REGION, birth, n % 1000), "户主" if k == 0 else "家庭成员",
                                 1 if k == 0 else 0, income, status, mtype, lifted])
                n += 1


def clean() -> None:
    from households.models import Person
    from poverty_registry.models import RegistryHousehold, RegistryMember

    RegistryMember.objects.filter(registry_household__division_code__startswith="379901").delete()
    RegistryHousehold.objects.filter(division_code__startswith="379901").delete()
    Person.objects.filter(region_code=BENCH_REGION).delete()


def maxrss_mb() -> float:
    """This process's RSS high-water mark. VmHWM (Linux) starts afresh at exec; ru_maxrss would carry
    over the parent's peak, so it is only the fallback elsewhere."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the three approaches ------------------------------------------------------------------------

def run_fast(path: Path, user) -> dict:
    from django.conf import settings

    from jobs.models import Job
    from jobs.services import job_create
    from poverty_registry.services import import_run

    relative = os.path.relpath(path, settings.VAR_DIR)
    job = job_create(actor=user, kind="poverty_registry_import", division_code=COUNTY,
                     params={"path": relative, "filename": path.name, "year": None})
    import_run(job_id=job.pk)
    job = Job.objects.get(pk=job.pk)
    return {"status": job.status, "message": job.message, "imported": job.counts.get("rows_imported"),
            "failed": job.counts.get("rows_failed")}


def run_orm(path: Path, user) -> dict:
    from decimal import Decimal

    from django.core.exceptions import ValidationError
    from django.db import transaction

    from accounts.models import Division
    from households.idnumber import parse_id_number
    from households.persons import person_get_or_create
    from poverty_registry.models import RegistryHousehold, RegistryMember

    imported = failed = 0
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for values in csv.DictReader(fh):
            try:
                parse_id_number(values["id_number"])
                village = Division.objects.get(code=values["division_code"], level="village")
                with transaction.atomic():
                    person = person_get_or_create(id_number=values["id_number"], name=values["member_name"])
                    household, _ = RegistryHousehold.objects.update_or_create(
                        year=int(values["year"]), registry_code=values["registry_household_code"],
                        defaults={"village": village, "division_code": village.code, "status": values["status"],
                                  "monitoring_type": values["monitoring_type"],
                                  "lifted_year": int(values["lifted_year"]) if values["lifted_year"] else None,
                                  "annual_income_per_capita": Decimal(values["annual_income_per_capita"])})
                    RegistryMember.objects.update_or_create(
                        registry_household=household, person=person,
                        defaults={"name": values["member_name"], "relationship": values["relationship"],
                                  "is_head": values["is_head"] == "1"})
                imported += 1
            except (ValidationError, Division.DoesNotExist, ValueError):
                failed += 1
    return {"status": "done", "imported": imported, "failed": failed}


def run_iex(path: Path, user) -> dict:
    from decimal import Decimal

    import tablib
    from import_export import resources

    from accounts.models import Division
    from households.persons import person_get_or_create
    from poverty_registry.models import RegistryHousehold, RegistryMember

    villages = {}

    class RegistryMemberResource(resources.ModelResource):
        """Flat member rows; the household and person are resolved per row before import."""

        class Meta:
            model = RegistryMember
            import_id_fields = ("registry_household", "person")
            fields = ("registry_household", "person", "name", "relationship", "is_head")
            skip_unchanged = True
            report_skipped = False

        def before_import_row(self, row, **kwargs):
            code = row["division_code"]
            if code not in villages:
                villages[code] = Division.objects.get(code=code, level="village")
            village = villages[code]
            person = person_get_or_create(id_number=row["id_number"], name=row["member_name"])
            household, _ = RegistryHousehold.objects.update_or_create(
                year=int(row["year"]), registry_code=row["registry_household_code"],
                defaults={"village": village, "division_code": village.code, "status": row["status"],
                          "monitoring_type": row["monitoring_type"] or "",
                          "lifted_year": int(row["lifted_year"]) if row["lifted_year"] else None,
                          "annual_income_per_capita": Decimal(row["annual_income_per_capita"])})
            row["registry_household"] = household.pk
            row["person"] = person.pk
            row["name"] = row["member_name"]
            row["is_head"] = row["is_head"] == "1"

    dataset = tablib.Dataset().load(path.read_text(encoding="utf-8-sig"), format="csv")
    for header in ("registry_household", "person", "name"):  # filled per row by before_import_row
        dataset.append_col([""] * dataset.height, header=header)
    result = RegistryMemberResource().import_data(dataset, dry_run=False, raise_errors=False, use_transactions=True)
    return {"status": "done", "imported": result.totals.get("new", 0) + result.totals.get("update", 0),
            "failed": len(result.row_errors()) + len(result.invalid_rows) + len(result.base_errors)}


def run_copy(path: Path, user) -> dict:
    from django.db import connection

    with connection.cursor() as cursor, path.open("r", encoding="utf-8-sig") as fh:
        cursor.execute("DROP TABLE IF EXISTS bench_registry_copy")
        cursor.execute("CREATE TEMP TABLE bench_registry_copy (" + ", ".join(f"{c} text" for c in COLUMNS) + ")")
        cursor.copy_expert("COPY bench_registry_copy FROM STDIN WITH (FORMAT csv, HEADER true)", fh)
        cursor.execute("SELECT COUNT(*) FROM bench_registry_copy")
        rows = cursor.fetchone()[0]
    return {"status": "done", "imported": rows, "failed": 0}


INDEXED_TABLES = (  # (table, the rows of the benchmark's county), in the order the foreign keys need
    ("households_person", "region_code = '{region}'"),
    ("poverty_registry_registryhousehold", "division_code LIKE '379901%'"),
    ("poverty_registry_registrymember",
     "registry_household_id IN (SELECT id FROM poverty_registry_registryhousehold WHERE division_code LIKE '379901%')"),
)


def prepare_indexed(path: Path, user) -> list:
    """Import the file the project's way, keep the rows it wrote (COPY TO, text format), then delete them."""
    import io

    from django.db import connection

    run_fast(path, user)
    dumps = []
    with connection.cursor() as cursor:
        for table, where in INDEXED_TABLES:
            buffer = io.StringIO()
            where = where.format(region=BENCH_REGION)
            cursor.copy_expert(f"COPY (SELECT * FROM {table} WHERE {where}) TO STDOUT", buffer)
            dumps.append((table, buffer))
    clean()
    return dumps


def run_indexed(path: Path, user, dumps) -> dict:
    from django.db import connection, transaction

    rows = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for table, buffer in dumps:
            buffer.seek(0)
            cursor.copy_expert(f"COPY {table} FROM STDIN", buffer)
            rows = cursor.rowcount if table.endswith("registrymember") else rows
    return {"status": "done", "imported": rows, "failed": 0}


APPROACHES = {"fast": run_fast, "orm": run_orm, "iex": run_iex, "copy": run_copy, "indexed": run_indexed}
PREPARE = {"indexed": prepare_indexed}


def worker(approach: str, path: Path) -> None:
    setup_django()
    from django.conf import settings

    # As in production: with DEBUG on, Django keeps every SQL string (and the big bulk INSERTs) in memory.
    settings.DEBUG = False
    from households.models import Person
    from poverty_registry.models import RegistryMember

    user = ensure_fixtures()
    # The registry was emptied by a separate `--clean` process, so this process's peak RSS is the import's.
    baseline = maxrss_mb()
    prepared = (PREPARE[approach](path, user),) if approach in PREPARE else ()
    started, cpu_started = time.perf_counter(), time.process_time()
    outcome = APPROACHES[approach](path, user, *prepared)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    members = RegistryMember.objects.filter(registry_household__division_code__startswith="379901").count()
    persons = Person.objects.filter(region_code=BENCH_REGION).count()
    print(json.dumps({"approach": approach, "seconds": round(elapsed, 2), "cpu_seconds": round(cpu, 2), "baseline_rss_mb": round(baseline, 1),
                      "peak_rss_mb": round(maxrss_mb(), 1), "members_in_db": members, "persons_in_db": persons,
                      **outcome}, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--only", default="fast,orm,iex,copy,indexed")
    parser.add_argument("--worker")
    parser.add_argument("--file")
    args = parser.parse_args()
    if args.worker == "clean":
        setup_django()
        clean()
        return
    if args.worker:
        worker(args.worker, Path(args.file))
        return
    setup_django()
    from django.conf import settings

    ensure_fixtures()
    path = Path(settings.VAR_DIR) / "bench" / f"registry-{args.rows}.csv"
    if not path.exists():
        generate(path, args.rows)
    size_mb = path.stat().st_size / 1048576
    from django.db import connection

    print(f"file: {path} ({args.rows} rows, {size_mb:.1f} MB); database: {connection.vendor}")
    print(f"{'approach':<8} {'rows/s':>10} {'seconds':>9} {'peak RSS MB':>12} {'RSS after start-up':>19} "
          f"{'imported':>9} {'failed':>7} {'members in DB':>14} {'client CPU s':>13}")
    for approach in args.only.split(","):
        subprocess.run([sys.executable, __file__, "--worker", "clean"], check=True, env=os.environ.copy())
        out = subprocess.run([sys.executable, __file__, "--worker", approach, "--file", str(path)],
                             capture_output=True, text=True, env=os.environ.copy())
        lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
        if out.returncode != 0 or not lines:
            print(f"{approach:<8} FAILED: {out.stderr.strip().splitlines()[-1:] if out.stderr else out.stdout}")
            continue
        r = json.loads(lines[-1])
        rate = args.rows / r["seconds"] if r["seconds"] else 0
        print(f"{approach:<8} {rate:>10,.0f} {r['seconds']:>9.1f} {r['peak_rss_mb']:>12.1f} {r['baseline_rss_mb']:>19.1f} "
              f"{r['imported']!s:>9} {r['failed']!s:>7} {r['members_in_db']:>14} {r.get('cpu_seconds', 0):>13.2f}", flush=True)
    subprocess.run([sys.executable, __file__, "--worker", "clean"], check=True, env=os.environ.copy())


if __name__ == "__main__":
    main()
