"""The whole-province jobs on a synthetic province that already exists: the full scan and the export.

    DATABASE_URL=postgres://.../dibao_bench300k .venv/bin/python benchmarks/province_jobs.py [--skip scan,export]

benchmarks/overlap_scan.py and benchmarks/export_stream.py build their own populations; at the issue's province
size (`run.py --province`, 10,000,000 persons built by `generate_synthetic`) building a second one is out of the
question, so this runs the same two measurements on the province `generate_synthetic` made:
1. scan   - every rule's full scan (its SQL plus reconciling its findings), first and again, beside the floor
            of overlap_scan.py (every membership joined to the blind index and grouped). Target: <= 3x the floor.
2. export - the case register of the whole province, streamed as the CSV download streams it, beside COPY of the
            same SELECT (export_stream.py's children, each in its own process for its peak RSS), read by an
            auditor of the province (created here if missing). Target: >= 0.5x COPY in < 300 MB.
Figures only; it asserts nothing. Writes: the findings the scan raises, and the auditor.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dibao.settings")

AUDITOR = "bench_province_auditor"


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def scan() -> None:
    from django.db import connection
    from overlap_scan import FLOOR

    from overlaps.rules import RULES
    from overlaps.services import overlaps_scan

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(FLOOR)
            return cursor.fetchone()[0]

    floor()  # warm the cache
    floor_s = min(timed(floor)[0] for _ in range(3))
    print(f"floor (bare self-join on the blind index): {floor_s * 1000:.0f} ms")
    print(f"{'rule':30} {'findings':>9} {'first scan ms':>14} {'re-scan ms':>11} {'x floor':>8}", flush=True)
    total = 0.0
    for code in RULES:
        def run(code=code):
            return overlaps_scan(rules=[code])[code]["found"]  # the full scan's own path, one rule

        first, n = timed(run)
        again, _ = timed(run)
        total += again
        print(f"{code:30} {n:9d} {first * 1000:14.0f} {again * 1000:11.0f} {again / floor_s:8.2f}", flush=True)
    print(f"{'all rules (re-scan)':30} {'':9} {'':14} {total * 1000:11.0f} {total / floor_s:8.2f}")


def export() -> None:
    from accounts.models import Division, Level, User

    province = Division.objects.filter(level=Level.PROVINCE, code__startswith="52").order_by("code").first()
    if not User.objects.filter(username=AUDITOR).exists():
        User.objects.create_user(username=AUDITOR, password=None, role="auditor", division=province)
    env = {**os.environ, "BENCH_EXPORT_USER": AUDITOR}
    results = {}
    for mode in ("copy", "stream"):
        out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "export_stream.py"), "--child", mode],
                             capture_output=True, text=True, env=env, check=False)
        if out.returncode:
            sys.exit(out.stderr)
        results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"case register export of province {province.code} (ID numbers decrypted and masked in the stream)")
    print(f"{'path':8} {'rows':>10} {'seconds':>8} {'rows/s':>10} {'RSS base MB':>12} {'RSS peak MB':>12}")
    for mode, r in results.items():
        rate = r["rows"] / r["seconds"] if r["seconds"] else 0
        print(f"{mode:8} {r['rows']:>10,} {r['seconds']:>8.2f} {rate:>10,.0f} {r['rss_baseline_mb']:>12.1f} "
              f"{r['rss_peak_mb']:>12.1f}")
    ratio = ((results["stream"]["rows"] / results["stream"]["seconds"])
             / (results["copy"]["rows"] / results["copy"]["seconds"]))
    print(f"stream throughput = {ratio:.2f} x COPY (target >= 0.5); stream peak RSS "
          f"{results['stream']['rss_peak_mb']:.0f} MB (target < 300 MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip", default="", help="comma list of scan,export")
    args = parser.parse_args()
    import django

    django.setup()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT COUNT(*) FROM households_person), (SELECT COUNT(*) FROM households_household),"
                       " (SELECT COUNT(*) FROM cases_case)")
        persons, households, cases = cursor.fetchone()
    print(f"province: {persons:,} persons, {households:,} households, {cases:,} cases", flush=True)
    if "export" not in args.skip:
        export()
    if "scan" not in args.skip:
        scan()


if __name__ == "__main__":
    main()
