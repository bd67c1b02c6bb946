"""A household saved through the API, with and without the overlap check it queues.

    DATABASE_URL=postgres://.../dibao_bench300k .venv/bin/python benchmarks/household_save.py [--runs 30] [--json f]

On a synthetic province (`generate_synthetic`), the village staff of the last county's last village PATCHes one
of its households (`/api/v1/households/{id}/`, the address and the version, as the edit form sends it) through
Django's test Client and the real view, service, audit event and change feed. Two figures per run, on
different households of the village:
- "save": the request alone; the change feed's message goes to the broker (REDIS_URL) as in production,
  where a worker checks it later.
- "save + check": Celery eager, so the queued overlap check of the household's persons runs right after the
  commit inside the request: what one household change costs the installation in all.
Median and p95 over --runs. The writes are real (an address gains a character); the data stays usable.
Figures only; it asserts nothing.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(os.environ.get("BENCH_CODE_ROOT") or Path(__file__).resolve().parent.parent)
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dibao.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from dibao.celery import app  # noqa: E402
from households.models import Household  # noqa: E402


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def save(client, household_id) -> float:
    version = Household.objects.values_list("version", flat=True).get(pk=household_id)
    address = Household.objects.values_list("address", flat=True).get(pk=household_id)
    address = (address[:-1] if address.endswith("·") else address + "·")[:200]
    started = time.perf_counter()
    response = client.patch(f"/api/v1/households/{household_id}/",
                            data=json.dumps({"address": address, "version": version}),
                            content_type="application/json", HTTP_HOST="localhost")
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"PATCH {household_id}: {response.status_code} {response.content[:300]!r}")
    return elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--json", default="")
    args = parser.parse_args()
    settings.DEBUG = False
    staff = User.objects.filter(username__startswith="syn_village_").order_by("-username").first()
    if staff is None:
        raise SystemExit("No synthetic village staff: run generate_synthetic first.")
    households = list(Household.objects.filter(village=staff.division, is_active=True)
                      .order_by("id").values_list("id", flat=True)[:2 * args.runs + 2])
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM households_person")
        persons = cursor.fetchone()[0]
    client = Client()
    client.force_login(staff)
    save(client, households[-1])  # warm up (imports, caches)
    app.conf.task_always_eager = True
    save(client, households[-2])
    figures = {}
    for label, eager, ids in (("save", False, households[0:args.runs]),
                              ("save + check", True, households[args.runs:2 * args.runs])):
        app.conf.task_always_eager = eager
        times = [save(client, hid) for hid in ids]
        figures[label] = {"median_ms": statistics.median(times), "p95_ms": percentile(times, 0.95)}
    print(f"household save through the API: {persons:,} persons, village {staff.division.code}, "
          f"{args.runs} runs each (ms)")
    for label, row in figures.items():
        print(f"  {label:14} median {row['median_ms']:7.1f}   p95 {row['p95_ms']:7.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"persons": persons, **figures}, indent=1))


if __name__ == "__main__":
    main()
