"""The incremental overlap check of one household, per rule: what every household save and case transition queues.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dibao_bench300k .venv/bin/python benchmarks/overlap_check.py \
        [--households 15] [--runs 3] [--json out.json]

On a synthetic province (`generate_synthetic`; nothing is written: every check runs in a transaction rolled
back), it picks households with a seeded random choice, stratified so that some have an open case, some a
member on the poverty roster and the rest neither, takes the persons the change feed would check for a change
of that household (overlaps.feed.persons_to_check), and times each rule's incremental scan
(`rule.scan("", person_ids=...)`) and the whole check (`overlaps_check_persons`: the open findings touching the
persons, every rule, reconciling) - the best of --runs per household, then the median and p95 over households.
`BENCH_CODE_ROOT` runs another checkout's code (the "before" of benchmarks/RESULTS.md) against the same data.
Figures only; it asserts nothing.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(os.environ.get("BENCH_CODE_ROOT") or Path(__file__).resolve().parent.parent)
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dibao.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from overlaps.feed import persons_to_check  # noqa: E402
from overlaps.rules import RULES  # noqa: E402
from overlaps.services import overlaps_check_persons  # noqa: E402


def pick_households(n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(id), MAX(id) FROM households_household")
        low, high = cursor.fetchone()
        chosen: list[int] = []
        kinds = [
            "EXISTS (SELECT 1 FROM cases_case c WHERE c.household_id = h.id AND c.status IN ('active', 'gradual_exit'))",
            "EXISTS (SELECT 1 FROM households_member m JOIN households_person p ON p.id = m.person_id "
            "WHERE m.household_id = h.id AND p.on_poverty_roster)",
            "TRUE",
        ]
        for i in range(n):
            start = rng.randint(low, high)
            cursor.execute(f"SELECT h.id FROM households_household h WHERE h.id >= %s AND {kinds[i % 3]} "
                           f"ORDER BY h.id LIMIT 1", [start])
            row = cursor.fetchone()
            if row:
                chosen.append(row[0])
    return chosen


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=15)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", default="")
    args = parser.parse_args()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM households_person")
        persons_total = cursor.fetchone()[0]
    households = pick_households(args.households, args.seed)
    per_rule: dict[str, list[float]] = {code: [] for code in RULES}
    whole: list[float] = []
    for hid in households:
        persons = persons_to_check([("households.household", hid)])
        for code, rule in RULES.items():
            per_rule[code].append(min(timed(lambda rule=rule, persons=persons: list(rule.scan("", person_ids=persons)))
                                      for _ in range(args.runs)))
        runs = []
        for _ in range(args.runs):
            with transaction.atomic():
                runs.append(timed(lambda persons=persons: overlaps_check_persons(persons)))
                transaction.set_rollback(True)
        whole.append(min(runs))
    print(f"overlap check per household: {len(households)} households of a province of {persons_total:,} persons "
          f"(best of {args.runs} per household; median / p95 over households, ms); code: {ROOT}")
    result = {"persons": persons_total, "households": len(households), "rules": {}}
    for code, values in per_rule.items():
        med, p95 = statistics.median(values), percentile(values, 0.95)
        result["rules"][code] = {"median_ms": med, "p95_ms": p95}
        print(f"  {code:30} {med:8.1f} {p95:8.1f}")
    rules_sum = sum(statistics.median(v) for v in per_rule.values())
    med, p95 = statistics.median(whole), percentile(whole, 0.95)
    result["whole"] = {"median_ms": med, "p95_ms": p95, "sum_of_rule_medians_ms": rules_sum}
    print(f"  {'sum of the rules (medians)':30} {rules_sum:8.1f}")
    print(f"  {'whole check (with reconcile)':30} {med:8.1f} {p95:8.1f}   target <= 50 ms at 1M persons")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
