"""Matching quality of the shared-registry rules on the labelled synthetic set.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dibao_overlaps .venv/bin/python benchmarks/overlap_quality.py \
        [--persons 50000] [--planted 300] [--seed 7]

Builds the set (tests/overlaps/synthetic.py: planted positives of every rule plus near misses:
same name different person, twins with sequential ID numbers, common surnames, homophone names,
closed cases, lifted/covered registry households, incomes just outside the thresholds), runs a
full scan and prints recall and precision per rule. The unique "one active household" index is
dropped for the run so DUPLICATE_PERSON_HOUSEHOLDS can be planted, then restored.
Targets: recall >= 0.99 on exact rules; PROBABLE_DUPLICATE recall >= 0.95 at precision >= 0.95.
"""

import argparse
import time

import _overlap_setup as setup

from overlaps.models import OverlapFlag  # noqa: E402
from overlaps.services import overlaps_scan  # noqa: E402
from tests.overlaps import synthetic  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=50000)
    parser.add_argument("--planted", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    villages, user, _county = setup.prepare(drop_unique_membership=True)
    try:
        t = time.perf_counter()
        truth = synthetic.build(villages=villages, user=user, n_persons=args.persons, planted=args.planted,
                                seed=args.seed, duplicate_memberships=True)
        print(f"built {args.persons} background persons + {args.planted} planted sets in "
              f"{time.perf_counter() - t:.1f}s")
        t = time.perf_counter()
        overlaps_scan()
        print(f"full scan {time.perf_counter() - t:.1f}s")
        found = {}
        for rule, key in OverlapFlag.objects.filter(status="open").values_list("rule", "subject_key"):
            found.setdefault(rule, set()).add(key)
        print(f"{'rule':30} {'planted':>8} {'TP':>6} {'FP':>6} {'FN':>6} {'recall':>8} {'precision':>10}")
        for rule, (tp, fp, fn, recall, precision) in synthetic.score(truth, found).items():
            print(f"{rule:30} {len(truth[rule]):8d} {tp:6d} {fp:6d} {fn:6d} {recall:8.4f} {precision:10.4f}")
    finally:
        setup.restore_unique_membership()


if __name__ == "__main__":
    main()
