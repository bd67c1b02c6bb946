"""Load benchmark (not a test): village staff and officers working at once against gunicorn + PostgreSQL.

    .venv/bin/python benchmarks/load.py [--users 24] [--seconds 30] [--workers 4] [--db dibao_load]

1. Creates (once) a PostgreSQL database with the demo data (`migrate`, `seed_demo`; ~2,000 households).
2. Starts gunicorn on 127.0.0.1 (a free port) with that database, production-like settings (DEBUG off), and,
   as in production, one Celery worker on Redis (database 7 of 127.0.0.1:6379) for the work that follows a
   write (overlap checks of the household's persons). ``--eager`` runs that work inside the request instead.
3. Runs a bounded thread pool of simulated users on loopback only: village staff (home page, household
   list and search, household detail, case list, API household list/detail, API me) and officers
   (case list, findings, payment rolls, dashboard, API cases and overlap flags). Each simulated user logs
   in once (session for pages, token for the API) and then loops until the time is up.
4. Prints requests/s and p50/p95/max latency per endpoint and overall, and the error count (non-2xx).

Writes are part of the mix (``--no-writes`` leaves them out): village staff enter a household with two
members through the API and submit an application for it, and edit an existing household (PATCH: each save
queues the overlap check of its persons); officers accept the oldest submitted case.

``--synthetic dibao_bench300k`` runs against a synthetic province built by ``generate_synthetic`` (1,008,428
persons at 300,000 households) instead of the demo data: the village staff and the county officer of its last
county (``syn_village_*`` / ``syn_county_*``, password ``synthetic``), the development keys the province was
built with. With the worker (not ``--eager``) the queue's depth (Redis list + outbox rows not yet sent) is
sampled every 2 s during the load and the drain, printed as a series, with the time to drain after the load.
Two officers may pick the same case: the loser's 409 is the product working and is counted apart as a
"conflict", not as an error. The figures go in the notes, never in tests.
"""

import argparse
import itertools
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
sys.path.insert(0, str(ROOT))
from households.idnumber import make_id_number  # noqa: E402 (pure function; needs no settings)

PY = str(ROOT / ".venv" / "bin" / "python")
PASSWORD = "Dibao-demo-2026"
ACCOUNTS = {"village": ("village1", "village2", "township1"), "officer": ("county1", "county2")}


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


def login(base: str, username: str, password: str = PASSWORD) -> tuple[requests.Session, dict]:
    s = requests.Session()
    # Production mode: behind nginx the request is https. Say so (SECURE_PROXY_SSL_HEADER), and let the
    # Secure cookies travel over this loopback http connection.
    s.headers["X-Forwarded-Proto"] = "https"
    page = s.get(base + "/accounts/login/", timeout=60)
    for cookie in s.cookies:
        cookie.secure = False
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    r = s.post(base + "/accounts/login/", data={"username": username, "password": password,
                                                "csrfmiddlewaretoken": token},
               headers={"Referer": base.replace("http://", "https://") + "/accounts/login/"}, timeout=60,
               allow_redirects=False)
    assert r.status_code == 302, (username, r.status_code)
    for cookie in s.cookies:
        cookie.secure = False
    # A separate, cookie-less request: the token endpoint is for API clients, not the logged-in browser.
    api = requests.post(base + "/api/v1/auth/token/", json={"username": username, "password": password},
                        headers={"X-Forwarded-Proto": "https"}, timeout=60)
    return s, {"Authorization": f"Token {api.json()['token']}"}


# Runs started at different times use different ranges, so a rerun never re-enters a person already on file.
_sequence = itertools.count(int(time.time() * 50) % 16_000_000)
_sequence_lock = threading.Lock()


def fresh_id_number(birth_year: int) -> str:
    """A valid, never-used ID number (region 370283 = Pingdu; day-of-year and sequence from a counter)."""
    from datetime import date, timedelta

    with _sequence_lock:
        n = next(_sequence)
    n %= 16_000_000
    birth = date(birth_year + n // 324_000, 1, 1) + timedelta(days=n // 900 % 360)
    return make_id_number("370283", birth, 100 + n % 900)  # the project's own check-character rule


# A scanned authorisation (the demo county requires it before submission): the smallest valid PDF.
SIGNED_AUTHORISATION = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
SURNAMES, GIVEN = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗", "建国秀英小明春花志强桂兰海燕德胜玉梅文华"


def random_name() -> str:
    return random.choice(SURNAMES) + "".join(random.sample(GIVEN, 2))


def enter_and_submit(base, session, headers, run_year, village):
    """Village staff: a new household (two members), an application, its signed authorisation, submitted.

    Four requests, timed together."""
    data = {"village": village, "address": f"压测村{random.randint(1, 999)}号", "contact_phone": "0532-8888888",
            "bank_name": "农村商业银行", "bank_account": f"6228{random.randrange(10**14):014d}",
            "members": [{"id_number": fresh_id_number(run_year), "name": random_name(), "relationship": "head"},
                        {"id_number": fresh_id_number(run_year), "name": random_name(),
                         "relationship": "spouse"}],
            "incomes": [{"kind": "wages", "monthly_amount": "300", "period_months": 12}], "assets": []}
    r = session.post(base + "/api/v1/households/", json=data, headers=headers, timeout=10)
    if r.status_code != 201:
        return r
    household = r.json()
    head = next(m for m in household["members"] if m["relationship"] == "head")
    r = session.post(base + "/api/v1/cases/", json={"household": household["id"], "applicant": head["id"],
                                                    "reason": "压测申请", "authorisation_signed": True,
                                                    "authorisation_date": time.strftime("%Y-%m-%d")},
                     headers=headers, timeout=10)
    if r.status_code != 201:
        return r
    case = r.json()
    r = session.post(base + "/api/v1/documents/", data={"target_type": "case", "case": case["id"],
                                                         "document_type": "authorisation"},
                     files={"file": ("authorisation.pdf", SIGNED_AUTHORISATION, "application/pdf")},
                     headers=headers, timeout=10)
    if r.status_code != 201:
        return r
    return session.post(f"{base}/api/v1/cases/{case['id']}/submit/", json={"version": case["version"]},
                        headers=headers, timeout=10)


def edit_household(base, session, headers, ids):
    """Village staff: one household's address corrected (with its version); the save queues its overlap check."""
    hid = random.choice(ids)
    r = session.get(f"{base}/api/v1/households/{hid}/", headers=headers, timeout=10)
    if r.status_code != 200:
        return r
    household = r.json()
    address = household["address"]
    address = (address[:-1] if address.endswith("·") else address + "·")[:200]
    return session.patch(f"{base}/api/v1/households/{hid}/", json={"address": address,
                                                                   "version": household["version"]},
                         headers=headers, timeout=10)


def accept_oldest(base, session, headers):
    """Officer: the oldest submitted case in the queue, accepted (with its version)."""
    r = session.get(base + "/api/v1/cases/", params={"status": "submitted", "page_size": 5}, headers=headers, timeout=10)
    rows = r.json().get("results", []) if r.status_code == 200 else []
    if not rows:
        return r
    case = random.choice(rows)
    return session.post(f"{base}/api/v1/cases/{case['id']}/accept/", json={"version": case["version"]},
                        headers=headers, timeout=10)


def journeys(base: str, session: requests.Session, headers: dict, role: str, writes: bool = True):
    """Yield (label, callable) pairs forever for this role."""
    hh = session.get(base + "/api/v1/households/?page_size=50", headers=headers, timeout=10).json()["results"]
    ids = [h["id"] for h in hh] or [0]
    villages = sorted({h["village"] for h in hh}) or [""]
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
    if writes:
        # About one step in nine is a write, for both roles.
        village.append(("write: household+case+doc+submit", lambda: enter_and_submit(base, session, headers, 1940,
                                                                                        villages[0])))
        village.append(("write: household edit (PATCH)", lambda: edit_household(base, session, headers, ids)))
        officer.append(("write: accept oldest submitted", lambda: accept_oldest(base, session, headers)))
    steps = village if role == "village" else officer
    while True:
        yield random.choice(steps)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--db", default="dibao_load")
    parser.add_argument("--no-writes", action="store_true", help="read-only mix")
    parser.add_argument("--eager", action="store_true", help="no broker: background work runs in the request")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/7")
    parser.add_argument("--synthetic", default="", help="an existing generate_synthetic database to load instead")
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
    # The demo users have no authenticator app, and every simulated user logs in from 127.0.0.1 at once:
    # the second factor and the per-address login limits would measure themselves, not the application.
    env.update({"OTP_REQUIRED": "0", "TOKEN_RATE": "100000/min", "LOGIN_FAILURES_PER_ADDRESS": "100000"})
    env.pop("REDIS_URL", None)
    if args.synthetic:
        args.db = args.synthetic
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.db}"
        # The development keys the province's ciphertext was made with (settings' DEBUG defaults).
        env["DIBAO_FIELD_KEY"] = "ZGliYW8tZGV2ZWxvcG1lbnQtZmllbGQta2V5LTMyYiE="
        env["DIBAO_BLIND_INDEX_KEY"] = "ZGliYW8tZGV2ZWxvcG1lbnQtYmxpbmQtaW5kZXgtMzIh"
        subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        subprocess.run([PY, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        accounts = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", args.db, "-tAc",
             "SELECT username FROM accounts_user WHERE username LIKE 'syn_%' ORDER BY username DESC"],
            capture_output=True, text=True, check=True).stdout.split()
        village = next(u for u in accounts if u.startswith("syn_village_"))
        county = next(u for u in accounts if u.startswith("syn_county_") and village[12:18] == u[11:17])
        ACCOUNTS.update(village=(village,), officer=(county,))
        args.password = "synthetic"
    else:
        prepare_database(args.db, env)
        args.password = PASSWORD
    worker = None
    if not args.eager:
        env["REDIS_URL"] = args.redis
        worker = subprocess.Popen([str(ROOT / ".venv" / "bin" / "celery"), "-A", "dibao", "worker", "-c", "1",
                                   "--loglevel", "warning", "--without-gossip", "--without-mingle"],
                                  cwd=ROOT, env=env)
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
        depth = QueueDepth(args.redis, args.db) if worker is not None else None
        if depth is not None:
            depth.start()
        run(base, args)
        if depth is not None:
            queued, unsent = depth.sample()
            print(f"background work at the end: {queued} task(s) queued in Redis, {unsent} unsent in the outbox")
            # Let the worker drain the queue (bounded) and say how long it took: nothing is dropped.
            started = time.monotonic()
            while time.monotonic() - started < 300:
                queued, unsent = depth.sample()
                if queued == 0 and unsent == 0:
                    print(f"queue drained by the one worker in {time.monotonic() - started:.0f} s after the load")
                    break
                time.sleep(1)
            else:
                print(f"queue not drained after 300 s ({queued} queued, {unsent} unsent)")
            depth.stop()
            print("queue depth over time (s: Redis + outbox): " + ", ".join(
                f"{t:.0f}: {q}+{u}" for t, q, u in depth.series))
    finally:
        server.terminate()
        server.wait(timeout=20)
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=20)


class QueueDepth(threading.Thread):
    """Samples the background queue every 2 s: tasks in the Redis list and outbox rows not yet sent."""

    def __init__(self, redis_url: str, db: str):
        super().__init__(daemon=True)
        self.redis_url, self.db = redis_url, db
        self.series: list[tuple[float, int, int]] = []
        self.started = time.monotonic()
        self.done = threading.Event()

    def sample(self) -> tuple[int, int]:
        queued = subprocess.run(["redis-cli", "-u", self.redis_url, "llen", "celery"], capture_output=True,
                                text=True).stdout.strip()
        unsent = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", self.db, "-tAc",
                                 "SELECT count(*) FROM jobs_outboxmessage WHERE sent_at IS NULL "
                                 "AND set_aside_at IS NULL"], capture_output=True, text=True).stdout.strip()
        return int(queued or 0), int(unsent or 0)

    def run(self):
        while not self.done.wait(2.0):
            self.series.append((time.monotonic() - self.started, *self.sample()))

    def stop(self):
        self.done.set()
        self.join(timeout=5)


def run(base, args):
    samples = defaultdict(list)
    errors = defaultdict(int)
    conflicts = defaultdict(int)
    first_error = {}
    lock = threading.Lock()
    # Secure cookies are on in production mode; over plain loopback http the session cookie is still sent
    # by requests only if not marked secure, so log in each user and keep the session.
    users = []
    for i in range(args.users):
        role = "village" if i % 3 else "officer"
        names = ACCOUNTS[role]
        users.append((role, names[i % len(names)]))
    # Logged in one by one before the clock starts: a password hash costs ~0.3 s of CPU, and two dozen at once on
    # a small machine would time out and measure the hasher rather than the work.
    logins = [login(base, name, args.password) for _role, name in users]
    deadline = time.monotonic() + args.seconds

    def worker(role, name, session, headers):
        steps = journeys(base, session, headers, role, writes=not args.no_writes)
        while time.monotonic() < deadline:
            label, call = next(steps)
            t0 = time.perf_counter()
            try:
                r = call()
                ok = 200 <= r.status_code < 300
                conflict = r.status_code == 409
                detail = f"{r.status_code} {r.text[:300]}"
            except requests.RequestException as exc:
                ok = conflict = False
                detail = repr(exc)
            dt = time.perf_counter() - t0
            with lock:
                samples[label].append(dt)
                if conflict:
                    conflicts[label] += 1
                elif not ok:
                    errors[label] += 1
                    first_error.setdefault(label, detail)

    threads = [threading.Thread(target=worker, args=(*u, *session)) for u, session in zip(users, logins, strict=True)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    total = sum(len(v) for v in samples.values())
    print(f"\n{args.users} simulated users ({sum(1 for r, _ in users if r == 'village')} village/township, "
          f"{sum(1 for r, _ in users if r == 'officer')} officers), {elapsed:.0f} s, gunicorn {args.workers}x4, "
          f"{'writes' if not args.no_writes else 'read-only'}, "
          f"{'background work in the request' if args.eager else 'one Celery worker on Redis'}")
    print(f"{'endpoint':38} {'req':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'errors':>6} "
          f"{'409s':>5}")
    for label in sorted(samples):
        v = sorted(samples[label])
        p95 = v[max(0, int(len(v) * 0.95) - 1)]
        print(f"{label:38} {len(v):6} {len(v) / elapsed:7.1f} {statistics.median(v) * 1000:7.0f} "
              f"{p95 * 1000:7.0f} {v[-1] * 1000:7.0f} {errors[label]:6} {conflicts[label]:5}")
    allv = sorted(x for v in samples.values() for x in v)
    if not allv:
        sys.exit("no requests were made (did the logins fail?)")
    print(f"{'ALL':38} {total:6} {total / elapsed:7.1f} {statistics.median(allv) * 1000:7.0f} "
          f"{allv[int(len(allv) * 0.95) - 1] * 1000:7.0f} {allv[-1] * 1000:7.0f} {sum(errors.values()):6} "
          f"{sum(conflicts.values()):5}")
    for label, detail in sorted(first_error.items()):
        print(f"first error, {label}: {detail}")
    if sum(errors.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
