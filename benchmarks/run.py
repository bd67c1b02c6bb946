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
    # Large provinces build their counties in two processes (same rows as one; see demo/synthetic.py).
    workers = ["--workers", "2"] if size >= 300_000 else []
    subprocess.run([PY, "manage.py", "generate_synthetic", "--households", str(size), "--seed", "1", *workers],
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


# --- Whole-job benchmarks (separate scripts, each against its own database, run as subprocesses) ---------------

EXTRA_DBS = {"registry": "dibao_bench_registry", "overlap": "dibao_bench_overlaps", "reports": "dibao_bench_reports"}
NUM = r"([\d,]+(?:\.\d+)?)"


def _num(text: str) -> float:
    return float(text.replace(",", ""))


def _extra_db(key: str) -> str:
    dbname = EXTRA_DBS[key]
    if not _psql_scalar("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{dbname}'"):
        _psql_scalar("postgres", f'CREATE DATABASE "{dbname}"')
    url = f"{server_url()}/{dbname}"
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT,
                   env={**os.environ, "DATABASE_URL": url}, check=True)
    return url


def _run_script(key: str, args: list[str], env_extra: dict | None = None) -> tuple[str, float]:
    url = _extra_db(key)
    print(f"[extra] {' '.join(args)}", flush=True)
    started = time.monotonic()
    out = subprocess.run([PY, *args], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "DATABASE_URL": url, **(env_extra or {})})
    elapsed = time.monotonic() - started
    (STATE_DIR / f"extra_{key}_{Path(args[0]).stem}.log").write_text(out.stdout + "\n--- stderr\n" + out.stderr)
    if out.returncode:
        tail = (out.stderr or out.stdout).strip().splitlines()[-1:] or ["(no output)"]
        raise RuntimeError(f"{args[0]} failed: {tail[0][:200]}")
    return out.stdout, elapsed


def extra_registry_import(rows: int) -> list[dict]:
    text, _ = _run_script("registry", ["benchmarks/registry_import.py", "--rows", str(rows)])
    found = {m[0]: {"rate": _num(m[1]), "seconds": _num(m[2]), "rss": _num(m[3])}
             for m in re.findall(rf"^(fast|orm|iex|copy|indexed)\s+{NUM}\s+{NUM}\s+{NUM}", text, re.M)}
    fast, copy = found.get("fast"), found.get("copy")
    out = []
    if fast and copy:
        out.append({"name": f"registry import {rows:,} rows vs COPY of the same file",
                    "value": f"{fast['rate']:,.0f} rows/s", "floor": f"COPY {copy['rate']:,.0f} rows/s",
                    "ratio": f"{fast['rate'] / copy['rate']:.3f}x COPY (target >= 0.5)"})
    indexed = found.get("indexed")
    if fast and indexed:
        out.append({"name": f"registry import {rows:,} rows vs its result COPYed into the indexed tables",
                    "value": f"{fast['rate']:,.0f} rows/s", "floor": f"indexed {indexed['rate']:,.0f} rows/s",
                    "ratio": f"{fast['rate'] / indexed['rate']:.2f}x the indexed floor"})
    for name, what in (("fast", "project import job"), ("orm", "baseline: per-row ORM loop"),
                       ("iex", "baseline: django-import-export")):
        r = found.get(name)
        if r is None:
            out.append({"name": f"registry import {rows:,} rows: {what}", "value": "FAILED (see var/bench log)"})
            continue
        ratio = f"{fast['rate'] / r['rate']:.1f}x faster than this" if fast and name != "fast" else ""
        out.append({"name": f"registry import {rows:,} rows: {what}",
                    "value": f"{r['rate']:,.0f} rows/s, {r['seconds']:.1f} s, peak RSS {r['rss']:.0f} MB",
                    "ratio": ratio})
    return out


def extra_roster_import(rows: int) -> list[dict]:
    text, _ = _run_script("roster", ["benchmarks/roster_import.py", "--rows", str(rows)])
    copy = re.search(rf"^copy\s+{NUM}\s+{NUM}\s+{NUM}\s+{NUM}", text, re.M)
    golive = re.search(rf"^golive\s+{NUM}\s+{NUM}\s+{NUM}\s+{NUM}", text, re.M)
    if not copy or not golive:
        return [{"name": f"go-live roster import ({rows:,} rows)", "value": "FAILED (see var/bench log)"}]
    rate, copy_rate = _num(golive.group(3)), _num(copy.group(3))
    return [{"name": f"go-live roster import, dry run + confirm ({rows:,} rows)",
             "value": f"{rate:,.0f} rows/s, {_num(golive.group(2)):.1f} s, peak RSS {_num(golive.group(4)):.0f} MB",
             "floor": f"COPY {copy_rate:,.0f} rows/s", "ratio": f"{rate / copy_rate:.2f}x COPY (aim >= 0.3)"}]


def extra_overlap_scan(persons: int) -> list[dict]:
    text, _ = _run_script("overlap", ["benchmarks/overlap_scan.py", "--persons", str(persons)])
    floor = re.search(r"floor \(bare self-join on the blind index\): (\d+) ms", text)
    total = re.search(rf"all rules \(re-scan\)\s+{NUM}\s+{NUM}", text)
    built = re.search(r"built (\d+) persons, (\d+) households", text)
    size = f"{int(built.group(1)):,} persons" if built else f"{persons:,} persons"
    return [{"name": f"overlap full scan, all rules ({size})",
             "value": f"{_num(total.group(1)):,.0f} ms" if total else "FAILED",
             "floor": f"{floor.group(1)} ms" if floor else "-",
             "ratio": f"{_num(total.group(2)):.1f}x floor" if total else ""}]


def extra_export(rows: int) -> list[dict]:
    text, _ = _run_script("reports", ["benchmarks/export_stream.py", "--rows", str(rows)])
    found = {m[0]: {"rows": _num(m[1]), "seconds": _num(m[2]), "rate": _num(m[3]), "rss": _num(m[6])}
             for m in re.findall(rf"^(copy|stream)\s+{NUM}\s+{NUM}\s+{NUM}\s+{NUM}\s+{NUM}\s+{NUM}", text, re.M)}
    stream, copy = found.get("stream"), found.get("copy")
    if not stream or not copy:
        return [{"name": f"case register CSV export ({rows:,} rows)", "value": "FAILED (see var/bench log)"}]
    return [{"name": f"case register CSV export ({int(stream['rows']):,} rows)",
             "value": f"{stream['rate']:,.0f} rows/s, {stream['seconds']:.1f} s, peak RSS {stream['rss']:.0f} MB",
             "floor": f"COPY {copy['rate']:,.0f} rows/s",
             "ratio": f"{stream['rate'] / copy['rate']:.2f}x COPY (target >= 0.5)"}]


def extra_dashboard(households: int) -> list[dict]:
    text, _ = _run_script("reports", ["benchmarks/dashboard.py", "--households", str(households), "--runs", "5"])
    out = []
    pattern = r"^(county|township|village)\s+page(?: \(GET\)|, (cold cache|1 village changed))\s+(\d+)\s+(\d+)\s+(\d+)"
    for level, what, med, worst, queries in re.findall(pattern, text, re.M):
        out.append({"name": f"dashboard page, {level}{', ' + what if what else ''} ({households:,} households)",
                    "value": f"median {med} ms, worst {worst} ms, {queries} queries"})
    return out or [{"name": "dashboard", "value": "FAILED (see var/bench log)"}]


def extra_overlap_check(urls: dict) -> list[dict]:
    """The incremental check of one household per rule, on the request benchmark's own databases."""
    out = []
    for size, url in urls.items():
        target = STATE_DIR / f"overlap_check_{label(size)}.json"
        subprocess.run([PY, "benchmarks/overlap_check.py", "--households", "15", "--json", str(target)], cwd=ROOT,
                       env={**os.environ, "DATABASE_URL": url}, check=True, capture_output=True)
        data = json.loads(target.read_text())
        slowest = max(data["rules"].items(), key=lambda kv: kv[1]["median_ms"])
        out.append({"name": f"overlap check per household, all rules ({data['persons']:,} persons)",
                    "value": f"rules {data['whole']['sum_of_rule_medians_ms']:.1f} ms, with reconcile "
                             f"{data['whole']['median_ms']:.1f} ms (p95 {data['whole']['p95_ms']:.1f})",
                    "floor": f"slowest {slowest[0][:12]} {slowest[1]['median_ms']:.1f}",
                    "ratio": "target <= 50 ms at 1M"})
    return out


def extra_household_save(urls: dict) -> list[dict]:
    out = []
    for size, url in urls.items():
        target = STATE_DIR / f"household_save_{label(size)}.json"
        subprocess.run([PY, "benchmarks/household_save.py", "--runs", "20", "--json", str(target)], cwd=ROOT,
                       env={**os.environ, "DATABASE_URL": url}, check=True, capture_output=True)
        data = json.loads(target.read_text())
        out.append({"name": f"household save (API) ({data['persons']:,} persons)",
                    "value": f"median {data['save']['median_ms']:.0f} p95 {data['save']['p95_ms']:.0f} ms; "
                             f"+check {data['save + check']['median_ms']:.0f} / {data['save + check']['p95_ms']:.0f}",
                    "ratio": "p50 target <= 1.5x the smallest size"})
    return out


def run_extras(args, urls=None) -> list[dict]:
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    rows = []
    jobs = [
        ("overlap check", lambda: extra_overlap_check(urls or {})),
        ("household save", lambda: extra_household_save(urls or {})),
        ("registry import", lambda: extra_registry_import(args.import_rows)),
        ("roster import", lambda: extra_roster_import(args.roster_rows)),
        ("overlap scan", lambda: extra_overlap_scan(args.overlap_persons)),
        ("export", lambda: extra_export(args.export_rows)),
        ("dashboard", lambda: extra_dashboard(args.dashboard_households)),
    ]
    for name, job in jobs:
        if name.split()[0] in args.skip_extras:
            continue
        try:
            rows.extend(job())
        except Exception as exc:  # one failing script must not lose the rest of the table
            rows.append({"name": name, "value": f"FAILED: {exc}"})
    return rows


def print_extras(rows: list[dict]):
    print()
    print("Whole jobs (separate scripts, each on its own database; baselines measured in the same run):")
    head = f"{'job':<58} | {'figure':<52} | {'floor / baseline':<24} | ratio"
    print(head)
    print("-" * len(head))
    for row in rows:
        print(f"{row['name'][:58]:<58} | {row['value'][:52]:<52} | {row.get('floor', '-'):<24} | {row.get('ratio', '')}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,300000", help="comma-separated household counts")
    parser.add_argument("--quick", action="store_true", help="2,000 households only, 5 runs")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rebuild", action="store_true", help="drop and regenerate the databases")
    parser.add_argument("--full", action="store_true",
                        help="the issue's sizes for the whole jobs: 100k-row import, 1M-row export, 300k dashboard")
    parser.add_argument("--import-rows", type=int, default=None, help="registry import rows (default 20000)")
    parser.add_argument("--roster-rows", type=int, default=100_000, help="go-live roster import rows (issue 19)")
    parser.add_argument("--export-rows", type=int, default=None, help="export rows (default 100000)")
    parser.add_argument("--overlap-persons", type=int, default=None, help="overlap scan persons (default 100000)")
    parser.add_argument("--dashboard-households", type=int, default=None, help="dashboard households (default 100000, the export's data)")
    parser.add_argument("--skip-extras", default="",
                        help="comma list of registry,overlap,export,dashboard,household; or all")
    parser.add_argument("--province", action="store_true",
                        help="add the province size: 3,000,000 households (about 10,000,000 persons, COPY-built)")
    args = parser.parse_args()
    small = {"import_rows": 20_000, "export_rows": 100_000, "overlap_persons": 100_000, "dashboard_households": 100_000}
    full = {"import_rows": 100_000, "export_rows": 1_000_000, "overlap_persons": 1_000_000,
            "dashboard_households": 300_000}
    if args.quick:
        small = {"import_rows": 2_000, "export_rows": 10_000, "overlap_persons": 10_000, "dashboard_households": 10_000}
    for key, value in (full if args.full else small).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.skip_extras == "all":
        args.skip_extras = "registry,overlap,export,dashboard,household"
    args.skip_extras = [s.strip() for s in args.skip_extras.split(",") if s.strip()]
    sizes = [2000] if args.quick else sorted(int(s) for s in args.sizes.split(",") if s.strip())
    if args.province and not args.quick:
        sizes = sorted({*sizes, 3_000_000})
    runs = 5 if args.quick else args.runs
    data, generated, urls = {}, {}, {}
    for size in sizes:
        url, elapsed = ensure_database(size, args.rebuild)
        if elapsed is None and (STATE_DIR / f"generate_{label(size)}.txt").exists():
            generated[size] = f"{float((STATE_DIR / f'generate_{label(size)}.txt').read_text()):.1f}s (earlier run)"
        elif elapsed is not None:
            generated[size] = f"{elapsed:.1f}s"
        data[size] = measure(size, url, runs)
        urls[size] = url
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
    extras = run_extras(args, urls)
    if extras:
        print_extras(extras)
    largest = sizes[-1]
    print()
    print(f"EXPLAIN (ANALYZE, BUFFERS) at {label(largest)}:")
    for name, plan in data[largest]["explain"].items():
        print(f"--- {name}")
        print(plan)


if __name__ == "__main__":
    main()
