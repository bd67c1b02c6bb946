"""Benchmark: dashboard response time at a given number of households.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dibao_bench .venv/bin/python benchmarks/dashboard.py [--households 300000]

Generates the bench county (5 townships x 20 villages, one case per household, three months of
finalised payment rolls; see reports_data.py), then times GET /reports/?division=<code> through
Django's test client as the bench auditor, at county, township and village level, plus
dashboard_data() alone. Prints the median and worst of --runs runs and the query count; asserts
nothing about time.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from reports_data import COUNTY, REGION, generate, setup_django

    setup_django()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Division
    from reports.dashboard import dashboard_data

    county, user = generate(args.households)
    settings_hosts = __import__("django.conf").conf.settings
    if "testserver" not in settings_hosts.ALLOWED_HOSTS:
        settings_hosts.ALLOWED_HOSTS.append("testserver")
    client = Client()
    client.force_login(user)
    township = Division.objects.filter(level="township", code__startswith=REGION).order_by("code").first()
    village = Division.objects.filter(level="village", code__startswith=township.prefix).order_by("code").first()
    print(f"dashboard at {args.households:,} households ({args.runs} runs each, first run warms caches)")
    print(f"{'level':10} {'what':16} {'median ms':>10} {'worst ms':>9} {'queries':>8}")
    for label, division in (("county", county), ("township", township), ("village", village)):
        client.get(f"/reports/?division={division.code}")  # warm-up
        timings = []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(f"/reports/?division={division.code}")
                timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        print(f"{label:10} {'page (GET)':16} {statistics.median(timings):>10.0f} {max(timings):>9.0f} "
              f"{len(ctx.captured_queries):>8}")
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            dashboard_data(division)
            timings.append((time.perf_counter() - started) * 1000)
        print(f"{label:10} {'dashboard_data()':16} {statistics.median(timings):>10.0f} {max(timings):>9.0f}")
    totals = dashboard_data(county)["totals"]
    print(f"county totals: {totals['recipient_households']:,} recipient households, "
          f"{totals['recipient_persons']:,} persons, median {totals['median_days']} working days, "
          f"{totals['overdue']:,} overdue")
    assert COUNTY == county.code


if __name__ == "__main__":
    main()
