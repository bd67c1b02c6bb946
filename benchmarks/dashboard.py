"""Benchmark: dashboard response time at a given number of households.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dibao_bench .venv/bin/python benchmarks/dashboard.py [--households 300000]

Generates the bench county (5 townships x 20 villages, one case per household, three months of
finalised payment rolls; see reports_data.py), then times GET /reports/?division=<code> through
Django's test client as the bench auditor, at county, township and village level, plus
dashboard_data() alone. Prints the median and worst of --runs runs and the query count; asserts
nothing about time.

The case figures are cached per village under the version of its data (reports/changes.py), so
three situations are timed for the page: a repeat view ("page (GET)"), a view with the cache
emptied of case figures ("page, cold cache": the first view of the day without the nightly
warm-up; the cost of every view before this cache), and a view after a case in one village of the division changed ("page, 1 village
changed": the bench touches one case with a no-op UPDATE, which the triggers count as a change).
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
    from django.core.cache import cache
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
    print(f"{'level':10} {'what':24} {'median ms':>10} {'worst ms':>9} {'queries':>8}")
    from cases.models import Case

    def touch_one_village(division):
        case_id = Case.objects.filter(division_code__startswith=division.prefix).order_by("id").values_list(
            "id", flat=True).first()
        with connection.cursor() as cursor:
            cursor.execute("UPDATE cases_case SET monthly_amount = monthly_amount WHERE id = %s", [case_id])

    def forget_case_figures():
        # Only the case figures: the payment figures keep their own cache, as before this cache existed.
        if hasattr(cache, "delete_pattern"):
            cache.delete_pattern("reports:cases:*")
        else:
            cache.clear()

    def time_page(division, before=None):
        timings = []
        for _ in range(args.runs):
            if before:
                before()
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(f"/reports/?division={division.code}")
                timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        return timings, len(ctx.captured_queries)

    for label, division in (("county", county), ("township", township), ("village", village)):
        client.get(f"/reports/?division={division.code}")  # warm-up
        for what, before in (("page (GET)", None), ("page, cold cache", forget_case_figures),
                             ("page, 1 village changed", lambda d=division: touch_one_village(d))):
            timings, queries = time_page(division, before)
            print(f"{label:10} {what:24} {statistics.median(timings):>10.0f} {max(timings):>9.0f} {queries:>8}")
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            dashboard_data(division)
            timings.append((time.perf_counter() - started) * 1000)
        print(f"{label:10} {'dashboard_data()':24} {statistics.median(timings):>10.0f} {max(timings):>9.0f}")
    totals = dashboard_data(county)["totals"]
    print(f"county totals: {totals['recipient_households']:,} recipient households, "
          f"{totals['recipient_persons']:,} persons, median {totals['median_days']} working days, "
          f"{totals['overdue']:,} overdue")
    assert COUNTY == county.code


if __name__ == "__main__":
    main()
