"""Load benchmark (not a test): village staff and officers working at once against gunicorn + PostgreSQL.

    .venv/bin/python benchmarks/load.py [--users 24] [--seconds 30] [--workers 4] [--db dibao_load]

1. Creates (once) a PostgreSQL database with the demo data (`migrate`, `seed_demo`; ~2,000 households).
2. Starts gunicorn on 127.0.0.1 (a free port) with that database, production-like settings (DEBUG off).
3. Runs a bounded thread pool of simulated users on loopback only: village staff (home page, household
   list and search, household detail, case list, API household list/detail, API me) and officers
   (case list, findings, payment rolls, dashboard, API cases and overlap flags). Each simulated user logs
   in once (session for pages, token for the API) and then loops until the time is up.
4. Prints requests/s and p50/p95/max latency per endpoint and overall, and the error count (non-2xx).

Nothing here writes data except the logins; the figures go in the notes, never in tests.
"""

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
PASSWORD = "Dibao-demo-2026"


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def prepare_database(db: str, env: dict) -> None:
    exists = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc",
                             f"SELECT 1 FROM pg_database WHERE datname='{db}'"], capture_output=True, text=True)
    if exists.stdout.strip() != "1":
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", db], check=True)
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    print("seed_demo (idempotent) ...", flush=True)
    # --force: production-mode settings, but this is the benchmark's own throwaway database.
    subprocess.run([PY, "manage.py", "seed_demo", "--force"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([PY, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)


def login(base: str, username: str) -> tuple[requests.Session, dict]:
    s = requests.Session()
    # Production mode: behind nginx the request is https. Say so (SECURE_PROXY_SSL_HEADER), and let the
    # Secure cookies travel over this loopback http connection.
    s.headers["X-Forwarded-Proto"] = "https"
    page = s.get(base + "/accounts/login/", timeout=10)
    for cookie in s.cookies:
        cookie.secure = False
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    r = s.post(base + "/accounts/login/", data={"username": username, "password": PASSWORD,
                                                "csrfmiddlewaretoken": token},
               headers={"Referer": base.replace("http://", "https://") + "/accounts/login/"}, timeout=10, allow_redirects=False)
    assert r.status_code == 302, (username, r.status_code)
    for cookie in s.cookies:
        cookie.secure = False
    # A separate, cookie-less request: the token endpoint is for API clients, not the logged-in browser.
    api = requests.post(base + "/api/v1/auth/token/", json={"username": username, "password": PASSWORD},
                        headers={"X-Forwarded-Proto": "https"}, timeout=10)
    return s, {"Authorization": f"Token {api.json()['token']}"}


def journeys(base: str, session: requests.Session, headers: dict, role: str):
    """Yield (label, callable) pairs forever for this role."""
    hh = session.get(base + "/api/v1/households/?page_size=50", headers=headers, timeout=10).json()["results"]
    ids = [h["id"] for h in hh] or [0]
    village = [
        ("page /", lambda: session.get(base + "/")),
        ("page /households/", lambda: session.get(base + "/households/")),
        ("page /households/?q=", lambda: session.get(base + "/households/", params={"q": random.choice("王李张刘陈")})),
        ("page /households/{id}/", lambda: session.get(f"{base}/households/{random.choice(ids)}/")),
        ("page /cases/", lambda: session.get(base + "/cases/")),
        ("api GET /households/", lambda: session.get(base + "/api/v1/households/", headers=headers)),
        ("api GET /households/{id}/", lambda: session.get(f"{base}/api/v1/households/{random.choice(ids)}/",
                                                          headers=headers)),
        ("api GET /me/", lambda: session.get(base + "/api/v1/me/", headers=headers)),
    ]
    officer = [
        ("page /", lambda: session.get(base + "/")),
        ("page /cases/", lambda: session.get(base + "/cases/")),
        ("page /findings/", lambda: session.get(base + "/findings/")),
        ("page /recipients/payment-rolls/", lambda: session.get(base + "/recipients/payment-rolls/")),
        ("page /reports/", lambda: session.get(base + "/reports/")),
        ("api GET /cases/", lambda: session.get(base + "/api/v1/cases/", headers=headers)),
        ("api GET /overlap-flags/", lambda: session.get(base + "/api/v1/overlap-flags/", headers=headers)),
        ("api GET /households/{id}/", lambda: session.get(f"{base}/api/v1/households/{random.choice(ids)}/",
                                                          headers=headers)),
    ]
    steps = village if role == "village" else officer
    while True:
        yield random.choice(steps)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--db", default="dibao_load")
    args = parser.parse_args()
    assert args.users <= 200 and args.seconds <= 600, "bounded: at most 200 users for 10 minutes"

    var = ROOT / "var" / "load"
    var.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{args.db}", "DJANGO_DEBUG": "0",
           "DJANGO_SECRET_KEY": "load-benchmark-" + "x" * 50, "ALLOWED_HOSTS": "127.0.0.1",
           "SECURE_SSL_REDIRECT": "0", "DJANGO_SESSION_COOKIE_SECURE": "0", "DIBAO_VAR_DIR": str(var),
           # Fixed keys for this benchmark database only (the seed and the server must agree).
           "DIBAO_FIELD_KEY": "bG9hZC1iZW5jaG1hcmstZmllbGQta2V5LTMyYnl0ZXM=",
           "DIBAO_BLIND_INDEX_KEY": "bG9hZC1iZW5jaG1hcmstaW5kZXgta2V5LTMyYnl0ZXM="}
    env.pop("REDIS_URL", None)
    prepare_database(args.db, env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "dibao.wsgi:application", "-b",
                               f"127.0.0.1:{port}", "-w", str(args.workers), "--threads", "4", "--log-level",
                               "warning"], cwd=ROOT, env=env)
    try:
        for _ in range(100):
            try:
                if requests.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        run(base, args)
    finally:
        server.terminate()
        server.wait(timeout=20)


def run(base, args):
    samples = defaultdict(list)
    errors = defaultdict(int)
    lock = threading.Lock()
    # Secure cookies are on in production mode; over plain loopback http the session cookie is still sent
    # by requests only if not marked secure, so log in each user and keep the session.
    users = []
    for i in range(args.users):
        role = "village" if i % 3 else "officer"
        name = ("village1", "village2", "township1")[i % 3] if role == "village" else ("county1", "county2")[i % 2]
        users.append((role, name))
    deadline = time.monotonic() + args.seconds

    def worker(role, name):
        session, headers = login(base, name)
        steps = journeys(base, session, headers, role)
        while time.monotonic() < deadline:
            label, call = next(steps)
            t0 = time.perf_counter()
            try:
                r = call()
                ok = 200 <= r.status_code < 300
            except requests.RequestException:
                ok = False
            dt = time.perf_counter() - t0
            with lock:
                samples[label].append(dt)
                if not ok:
                    errors[label] += 1

    threads = [threading.Thread(target=worker, args=u) for u in users]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    total = sum(len(v) for v in samples.values())
    print(f"\n{args.users} simulated users ({sum(1 for r, _ in users if r == 'village')} village/township, "
          f"{sum(1 for r, _ in users if r == 'officer')} officers), {elapsed:.0f} s, gunicorn {args.workers}x4")
    print(f"{'endpoint':38} {'req':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'errors':>6}")
    for label in sorted(samples):
        v = sorted(samples[label])
        p95 = v[max(0, int(len(v) * 0.95) - 1)]
        print(f"{label:38} {len(v):6} {len(v) / elapsed:7.1f} {statistics.median(v) * 1000:7.0f} "
              f"{p95 * 1000:7.0f} {v[-1] * 1000:7.0f} {errors[label]:6}")
    allv = sorted(x for v in samples.values() for x in v)
    if not allv:
        sys.exit("no requests were made (did the logins fail?)")
    print(f"{'ALL':38} {total:6} {total / elapsed:7.1f} {statistics.median(allv) * 1000:7.0f} "
          f"{allv[int(len(allv) * 0.95) - 1] * 1000:7.0f} {allv[-1] * 1000:7.0f} {sum(errors.values()):6}")
    if sum(errors.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
