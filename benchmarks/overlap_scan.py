"""Speed of a full shared-registry scan against the floor: the bare SQL self-join on the blind index.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dibao_overlaps .venv/bin/python benchmarks/overlap_scan.py \
        [--persons 100000]

Builds N persons in households of 1-5 (about N/3 households), about 10% of households on
dibao, registry rows for about 30% of the others, and planted findings (N/1000 of each kind),
with bulk (multi-row) INSERTs into PostgreSQL, ANALYZEs, then times each rule's scan (the SQL
plus reconciling its findings into OverlapFlag rows) and the floor query:

    SELECT p.id_hash FROM households_member m JOIN households_person p ON p.id = m.person_id
    GROUP BY p.id_hash HAVING COUNT(DISTINCT m.household_id) > 1

i.e. every membership joined to the blind index and grouped: the least any exact person rule
must do. Each rule is timed twice (cold first scan that raises the findings, then a re-scan)
and the ratio to the floor is printed. The script prints figures; it asserts nothing.
"""

import argparse
import time

import _overlap_setup as setup
from django.db import connection  # noqa: E402

from overlaps.models import OverlapFlag  # noqa: E402
from overlaps.rules import RULES  # noqa: E402
from overlaps.services import reconcile  # noqa: E402
from tests.overlaps import synthetic  # noqa: E402

FLOOR = """SELECT COUNT(*) FROM (SELECT p.id_hash FROM households_member m
           JOIN households_person p ON p.id = m.person_id
           GROUP BY p.id_hash HAVING COUNT(DISTINCT m.household_id) > 1) t"""


def timed(fn):
    t = time.perf_counter()
    result = fn()
    return time.perf_counter() - t, result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=100000)
    args = parser.parse_args()
    villages, user, county = setup.prepare()
    planted = max(10, args.persons // 1000)
    seconds, _truth = timed(lambda: synthetic.build(villages=villages, user=user, n_persons=args.persons,
                                                    planted=planted, seed=11))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SELECT (SELECT COUNT(*) FROM households_person), (SELECT COUNT(*) FROM households_household),"
                       " (SELECT COUNT(*) FROM cases_case), (SELECT COUNT(*) FROM poverty_registry_registryhousehold)")
        persons, households, cases, registry = cursor.fetchone()
    print(f"built {persons} persons, {households} households, {cases} cases, {registry} registry households "
          f"in {seconds:.1f}s")

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(FLOOR)
            return cursor.fetchone()[0]

    floor()  # warm the cache
    floor_s = min(timed(floor)[0] for _ in range(3))
    print(f"floor (bare self-join on the blind index): {floor_s * 1000:.0f} ms")
    print(f"{'rule':30} {'findings':>9} {'first scan ms':>14} {'re-scan ms':>11} {'x floor':>8}")
    total = 0.0
    for code, rule in RULES.items():
        def run(code=code, rule=rule):
            findings = list(rule.scan(""))
            reconcile(rule_code=code, findings=findings, stale_qs=OverlapFlag.objects.all())
            return len(findings)

        first, n = timed(run)
        again, _ = timed(run)
        total += again
        print(f"{code:30} {n:9d} {first * 1000:14.0f} {again * 1000:11.0f} {again / floor_s:8.2f}")
    print(f"{'all rules (re-scan)':30} {'':9} {'':14} {total * 1000:11.0f} {total / floor_s:8.2f}")


if __name__ == "__main__":
    main()
