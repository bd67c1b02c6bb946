"""Benchmark: stream the case-register CSV export vs PostgreSQL's own COPY of the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dibao_bench .venv/bin/python benchmarks/export_stream.py [--rows 200000]
    (--rows 1000000 for the issue's figure; --xlsx to time the XLSX writer too)

Each measurement runs in a fresh subprocess so its peak RSS (ru_maxrss) is its own; the RSS after
Django start-up is printed beside it. Three runs:
1. stream  - this project's code path: ReportDefinition.queryset(...).iterator(chunk_size=2000) with a
             server-side cursor, ID numbers decrypted and masked, rows through csv_chunks (UTF-8 + BOM),
             the same generator StreamingHttpResponse consumes; bytes are counted and dropped.
2. copy    - COPY (the same SELECT) TO STDOUT WITH CSV via psycopg2 copy_expert into a null sink.
3. xlsx    - optional: the export job's XLSX writer (openpyxl write-only) to /dev/null.
Prints figures; asserts nothing about time.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class NullSink:
    def __init__(self):
        self.bytes = 0

    def write(self, data):
        self.bytes += len(data)


def _queryset():
    from reports_data import AUDITOR

    from accounts.models import User
    from reports.definitions import get_report
    from reports.filters import ReportFilterForm

    # BENCH_EXPORT_USER: another auditor, e.g. the province-wide one of benchmarks/province_jobs.py.
    user = User.objects.select_related("division").get(username=os.environ.get("BENCH_EXPORT_USER") or AUDITOR)
    definition = get_report("case_register")
    form = ReportFilterForm({}, user=user)
    assert form.is_valid()
    return user, definition, form.filters()


def child(mode: str) -> dict:
    from reports_data import setup_django

    setup_django()
    from django.db import connection, transaction

    user, definition, filters = _queryset()
    baseline = rss_mb()
    started = time.perf_counter()
    sink = NullSink()
    if mode == "stream":
        from dibao.db_router import reporting_db
        from dibao.spreadsheets import csv_chunks
        from reports.services import export_rows

        with transaction.atomic(using=reporting_db()):  # server-side cursors live inside a transaction
            rows = export_rows(definition, user=user, filters=filters, unmasked=False)
            count = [0]

            def on_rows(n):
                count[0] = n

            for chunk in csv_chunks(definition.headers(), rows, on_rows=on_rows):
                sink.write(chunk)
        rows_out = count[0]
    elif mode == "xlsx":
        from dibao.spreadsheets import write_xlsx
        from reports.services import export_rows

        count = [0]
        with transaction.atomic(), open(os.devnull, "wb") as target:
            rows = export_rows(definition, user=user, filters=filters, unmasked=False)
            write_xlsx(target, definition.headers(), rows, on_rows=lambda n: count.__setitem__(0, n))
        rows_out = count[0]
    else:
        qs = definition.queryset(user, filters)
        sql, params = qs.query.sql_with_params()
        with connection.cursor() as cursor:
            select = cursor.cursor.mogrify(sql, params).decode()
            cursor.cursor.copy_expert(f"COPY ({select}) TO STDOUT WITH (FORMAT csv)", sink)
        rows_out = qs.count()
    elapsed = time.perf_counter() - started
    return {"mode": mode, "rows": rows_out, "seconds": elapsed, "bytes": sink.bytes,
            "rss_baseline_mb": baseline, "rss_peak_mb": rss_mb()}


def run_child(mode: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode], capture_output=True, text=True, check=False,
                         env=os.environ.copy())
    if out.returncode:
        sys.exit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--xlsx", action="store_true")
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    from reports_data import generate, setup_django

    setup_django()
    generate(args.rows)
    modes = ["copy", "stream"] + (["xlsx"] if args.xlsx else [])
    results = {mode: run_child(mode) for mode in modes}
    print(f"case register export, {args.rows:,} rows (ID numbers decrypted and masked in the stream)")
    print(f"{'path':8} {'rows':>10} {'seconds':>8} {'rows/s':>10} {'MB/s':>7} {'RSS base MB':>12} {'RSS peak MB':>12}")
    for mode, r in results.items():
        rate = r["rows"] / r["seconds"] if r["seconds"] else 0
        print(f"{mode:8} {r['rows']:>10,} {r['seconds']:>8.2f} {rate:>10,.0f} {r['bytes'] / 1e6 / r['seconds']:>7.1f} "
              f"{r['rss_baseline_mb']:>12.1f} {r['rss_peak_mb']:>12.1f}")
    ratio = (results["stream"]["rows"] / results["stream"]["seconds"]) / (results["copy"]["rows"] / results["copy"]["seconds"])
    print(f"stream throughput = {ratio:.2f} x COPY (target >= 0.5); stream peak RSS {results['stream']['rss_peak_mb']:.0f} MB "
          f"(target < 300 MB)")


if __name__ == "__main__":
    main()
