"""`make bench`: build the synthetic databases once, run the request benchmarks on each, print one table.

    .venv/bin/python benchmarks/run.py [--sizes 10000,300000] [--quick] [--runs 20] [--rebuild]

For each size N a PostgreSQL database dibao_bench<N as 2k/10k/300k> is created (if missing) on the server
of BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432), migrated, and filled once with
`manage.py generate_synthetic --households N --seed 1` (the time is printed and kept in var/bench/).
benchmarks/bench_web.py then measures every scenario in its own process per size, and this script prints
median / p95 latency, queries per request, peak Python memory, the raw-SQL floor and the ratio, the
largest size against the smallest, and EXPLAIN (ANALYZE, BUFFERS) of the main queries.
Figures only: nothing here asserts on time.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
STATE_DIR = ROOT / "var" / "bench"


def label(size: int) -> str:
    return f"{size // 1000}k" if size % 1000 == 0 else str(size)


def server_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")


def _psql_scalar(dbname: str, sql: str):
    import psycopg2

    conn = psycopg2.connect(f"{server_url()}/{dbname}")
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
            row = cursor.fetchone() if cursor.description else None
            return row[0] if row else None
    finally:
        conn.close()


def ensure_database(size: int, rebuild: bool) -> tuple[str, float | None]:
    """The database URL for this size, built if needed; returns the generate time when built now."""
    dbname = f"dibao_bench{label(size)}"
    url = f"{server_url()}/{dbname}"
    env = {**os.environ, "DATABASE_URL": url}
    exists = _psql_scalar("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{dbname}'")
    if exists and rebuild:
        _psql_scalar("postgres", f'DROP DATABASE "{dbname}"')
        exists = False
    if not exists:
        _psql_scalar("postgres", f'CREATE DATABASE "{dbname}"')
    print(f"[{label(size)}] migrate {dbname}", flush=True)
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    households = _psql_scalar(dbname, "SELECT count(*) FROM households_household")
    if households:
        return url, None
    print(f"[{label(size)}] generate_synthetic --households {size} --seed 1 (once)", flush=True)
    started = time.monotonic()
    subprocess.run([PY, "manage.py", "generate_synthetic", "--households", str(size), "--seed", "1"],
                   cwd=ROOT, env=env, check=True)
    elapsed = time.monotonic() - started
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    (STATE_DIR / f"generate_{label(size)}.txt").write_text(f"{elapsed:.1f}\n")
    return url, elapsed


def measure(size: int, url: str, runs: int) -> dict:
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    out = STATE_DIR / f"web_{label(size)}.json"
    print(f"[{label(size)}] measuring ({runs} runs per scenario)", flush=True)
    subprocess.run([PY, "benchmarks/bench_web.py", "--runs", str(runs), "--out", str(out)], cwd=ROOT,
                   env={**os.environ, "DATABASE_URL": url}, check=True)
    return json.loads(out.read_text())


SCAN_NODES = re.compile(r"(Index Only Scan|Bitmap Index Scan|Index Scan|Seq Scan|Bitmap Heap Scan)"
                        r"(?: Backward)?(?: using (\S+))? on (\S+)")


def scan_summary(plan: str) -> str:
    seen = []
    for node, index, table in SCAN_NODES.findall(plan):
        item = f"{node} {table}" + (f" ({index})" if index else "")
        if item not in seen:
            seen.append(item)
    return "; ".join(seen)


def print_table(sizes: list[int], data: dict[int, dict]):
    names = []
    for size in sizes:
        for row in data[size]["results"]:
            if row["name"] not in names:
                names.append(row["name"])
    by = {size: {row["name"]: row for row in data[size]["results"]} for size in sizes}
    head = f"{'scenario':<38}" + "".join(
        f" | {label(s):>5} med   p95   q  peakKiB floor  ratio" for s in sizes)
    if len(sizes) > 1:
        head += f" | {label(sizes[-1])}/{label(sizes[0])}"
    print(head)
    print("-" * len(head))
    for name in names:
        line = f"{name[:38]:<38}"
        for size in sizes:
            row = by[size].get(name)
            if row is None or "skipped" in row:
                line += f" | {'skipped':>41}"
                continue
            floor = f"{row['floor_ms']:6.1f}" if row.get("floor_ms") is not None else "     -"
            ratio = f"{row['ratio']:5.1f}x" if row.get("ratio") else "     -"
            line += (f" | {row['median_ms']:9.1f} {row['p95_ms']:5.1f} {row['queries']:3d} {row['peak_kib']:8.0f}"
                     f" {floor} {ratio}")
        if len(sizes) > 1:
            first, last = by[sizes[0]].get(name), by[sizes[-1]].get(name)
            if first and last and "skipped" not in first and "skipped" not in last:
                line += f" | {last['median_ms'] / first['median_ms']:5.2f}x"
        print(line)
    print("(med/p95/floor in ms; q = queries per request; peakKiB = tracemalloc peak of one request; "
          "floor = the main query's bare SQL on a raw cursor; ratio = median / floor)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,300000", help="comma-separated household counts")
    parser.add_argument("--quick", action="store_true", help="2,000 households only, 5 runs")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rebuild", action="store_true", help="drop and regenerate the databases")
    args = parser.parse_args()
    sizes = [2000] if args.quick else sorted(int(s) for s in args.sizes.split(",") if s.strip())
    runs = 5 if args.quick else args.runs
    data, generated = {}, {}
    for size in sizes:
        url, elapsed = ensure_database(size, args.rebuild)
        if elapsed is None and (STATE_DIR / f"generate_{label(size)}.txt").exists():
            generated[size] = f"{float((STATE_DIR / f'generate_{label(size)}.txt').read_text()):.1f}s (earlier run)"
        elif elapsed is not None:
            generated[size] = f"{elapsed:.1f}s"
        data[size] = measure(size, url, runs)
    print()
    print("=" * 100)
    for size in sizes:
        c = data[size]["counts"]
        print(f"{label(size)}: " + ", ".join(f"{k}={v:,}" for k, v in c.items() if not k.startswith("cases_"))
              + (f"; generate_synthetic {generated[size]}" if size in generated else ""))
        states = {k[6:]: v for k, v in c.items() if k.startswith("cases_") and k != "county_cases"}
        if states:
            print("    cases by state: " + ", ".join(f"{k} {v:,}" for k, v in sorted(states.items())))
    print()
    print_table(sizes, data)
    notes = sorted({note for size in sizes for note in data[size]["notes"]})
    skipped = sorted({f"{row['name']}: {row['skipped']}" for size in sizes for row in data[size]["results"]
                      if "skipped" in row})
    for note in notes + skipped:
        print(f"note: {note}")
    print()
    print("Index use of the main queries (scan nodes in EXPLAIN ANALYZE):")
    for size in sizes:
        for name, plan in data[size]["explain"].items():
            print(f"  [{label(size)}] {name}: {scan_summary(plan)}")
    largest = sizes[-1]
    print()
    print(f"EXPLAIN (ANALYZE, BUFFERS) at {label(largest)}:")
    for name, plan in data[largest]["explain"].items():
        print(f"--- {name}")
        print(plan)


if __name__ == "__main__":
    main()
