"""Request benchmarks against one synthetic database (run by benchmarks/run.py, one process per size).

    DATABASE_URL=postgres://.../dibao_bench10k .venv/bin/python benchmarks/bench_web.py --out result.json

Every scenario goes through Django's test Client against the real views (middleware, templates,
serializers included): median and p95 latency over --runs requests, queries per request
(CaptureQueriesContext), peak Python memory of one request (tracemalloc), and its floor: the bare
SQL of the scenario's main query run on a raw cursor in the same process, and the ratio.
Writes (the workflow transition) run inside a transaction that is rolled back, so every run sees
the same row. Scenarios whose URL is not on this branch yet are reported as skipped with a note.
The script prints figures; it asserts nothing about time.
"""

import argparse
import json
import os
import re
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dibao.settings")


def _setup():
    import django

    django.setup()
    from django.conf import settings

    # Query logging (DEBUG) would add its own cost to every query; CaptureQueriesContext forces it when needed.
    settings.DEBUG = False


def _percentile(values, pct):
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def _resolves(path: str) -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(path.split("?")[0])
        return True
    except Resolver404:
        return False


class Scenario:
    def __init__(self, name, user, method, path, *, data=None, floor=None, write=False, json_body=True):
        self.name, self.user, self.method, self.path = name, user, method, path
        self.data, self.floor, self.write, self.json_body = data, floor, write, json_body


def _client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def _request(client, scenario):
    from django.db import transaction

    if scenario.method == "get":
        return client.get(scenario.path)
    data = scenario.data() if callable(scenario.data) else scenario.data
    with transaction.atomic():
        if scenario.json_body:
            response = client.post(scenario.path, data=json.dumps(data or {}), content_type="application/json")
        else:  # a page's form
            response = client.post(scenario.path, data=data or {})
        transaction.set_rollback(True)
    return response


def _raw_floor(sql_and_params, runs):
    """Median time of the scenario's main SQL on a raw cursor (rows fetched, no ORM, no view)."""
    from django.db import connection, transaction

    sql, params = sql_and_params
    times = []
    for _ in range(runs + 2):
        started = time.perf_counter()
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                if cursor.description:
                    cursor.fetchall()
            transaction.set_rollback(True)
        times.append(time.perf_counter() - started)
    return statistics.median(times[2:]) * 1000


def run_scenario(scenario, runs):
    from django.db import connection

    client = _client_for(scenario.user)
    status = None
    for _ in range(2):  # warm-up: caches, session, the first compile of templates
        status = _request(client, scenario).status_code
    if status >= 400:
        body = _request(client, scenario).content[:300].decode(errors="replace")
        return {"name": scenario.name, "skipped": f"HTTP {status}: {body}"}
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        _request(client, scenario)
        times.append(time.perf_counter() - started)
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    # (CaptureQueriesContext would lose the count: each request's request_started empties the query log.)
    with connection.execute_wrapper(count):
        _request(client, scenario)
    tracemalloc.start()
    _request(client, scenario)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    result = {
        "name": scenario.name, "status": status,
        "median_ms": statistics.median(times) * 1000, "p95_ms": _percentile(times, 95) * 1000,
        "queries": len(queries), "peak_kib": peak / 1024,
    }
    if scenario.floor is not None:
        result["floor_ms"] = _raw_floor(scenario.floor(), runs)
        result["ratio"] = result["median_ms"] / result["floor_ms"] if result["floor_ms"] else None
    return result


def _generic(path: str) -> str:
    return re.sub(r"/\d+/", "/{id}/", path.split("?")[0])


def _sql(qs):
    return qs.query.sql_with_params()


def _explain(qs) -> str:
    return qs.explain(analyze=True, buffers=True)


def build(runs):
    from django.db.models import Count

    from accounts.models import User
    from households import selectors
    from households.models import Household, Member

    # The last county: its rows sit at the end of every (division_code, ...) index, so a plan that walks
    # an index from the start of the table and filters shows up here.
    officer = User.objects.filter(username__startswith="syn_county_").order_by("-username").first()
    if officer is None:
        raise SystemExit("no synthetic users: run manage.py generate_synthetic first")
    staff = User.objects.filter(username__startswith="syn_village_").order_by("-username").first()
    county = officer.division
    # A household in the middle of the county's last village, so the division filter and the
    # detail page do not get the first rows of the table by luck.
    last_village = (Household.objects.filter(division_code__startswith=county.prefix)
                    .order_by("-division_code").values_list("division_code", flat=True).first())
    village_households = Household.objects.filter(division_code=last_village).order_by("id")
    household = village_households[village_households.count() // 2]
    member = Member.objects.filter(household=household).select_related("person").order_by("id").last()
    id_number = member.person.id_number
    name_prefix = household.head_name[:2]
    counts = {
        "households": Household.objects.count(),
        "persons": Member.objects.count(),
        "county_households": Household.objects.filter(division_code__startswith=county.prefix).count(),
        "name_prefix_matches_in_county": Member.objects.filter(household__division_code__startswith=county.prefix,
                                                               name__startswith=name_prefix).count(),
        "surname_matches_in_county": Member.objects.filter(household__division_code__startswith=county.prefix,
                                                           name__startswith=name_prefix[0]).count(),
    }

    def hh_list(user, page_size, **kwargs):
        return lambda: _sql(selectors.household_list(user, **kwargs)[:page_size])

    scenarios = [
        Scenario("households page (county officer)", officer, "get", "/households/",
                 floor=hh_list(officer, 25)),
        Scenario("households API (county officer)", officer, "get", "/api/v1/households/",
                 floor=hh_list(officer, 50)),
        Scenario("households page (village staff)", staff, "get", "/households/", floor=hh_list(staff, 25)),
        Scenario("households API ?division=village", officer, "get", f"/api/v1/households/?division={last_village}",
                 floor=hh_list(officer, 50, division=last_village)),
        # A full ID number is searched by POST only (never in a URL, a log line or the browser's history); the
        # search writes its access-log row, rolled back with the rest of the request here.
        Scenario("search full ID (API)", officer, "post", "/api/v1/households/search/",
                 data={"id_number": id_number}, floor=hh_list(officer, 50, q=id_number)),
        Scenario("search full ID (page)", officer, "post", "/households/", data={"q": id_number}, json_body=False,
                 floor=hh_list(officer, 25, q=id_number)),
        Scenario("search name prefix (API)", officer, "get", f"/api/v1/households/?q={name_prefix}",
                 floor=hh_list(officer, 50, q=name_prefix)),
        Scenario("search name prefix (page)", officer, "get", f"/households/?q={name_prefix}",
                 floor=hh_list(officer, 25, q=name_prefix)),
        # The worst case for a prefix: a common surname alone (about 1 in 30 people province-wide).
        Scenario("search surname only (API)", officer, "get", f"/api/v1/households/?q={name_prefix[0]}",
                 floor=hh_list(officer, 50, q=name_prefix[0])),
        Scenario("household page", officer, "get", f"/households/{household.pk}/",
                 floor=lambda: _sql(selectors.household_detail_queryset(officer).filter(pk=household.pk))),
        Scenario("household API detail", officer, "get", f"/api/v1/households/{household.pk}/",
                 floor=lambda: _sql(selectors.household_detail_queryset(officer).filter(pk=household.pk))),
    ]
    explains = {
        "household list, division prefix (village)": lambda: _explain(
            selectors.household_list(officer, division=last_village)[:25]),
        "household search by id_hash": lambda: _explain(selectors.household_list(officer, q=id_number)[:25]),
        "household search by name prefix": lambda: _explain(selectors.household_list(officer, q=name_prefix)[:25]),
    }
    notes = []
    try:
        from cases.models import Case, CaseStatus
    except ImportError:
        Case = None
        notes.append("cases.models not importable: case scenarios skipped")
    if Case is not None:
        county_cases = Case.objects.filter(division_code__startswith=county.prefix)
        counts["county_cases"] = county_cases.count()
        counts.update({f"cases_{row['status']}": row["n"]
                       for row in Case.objects.values("status").annotate(n=Count("id")).order_by()})
        case = county_cases.filter(division_code=last_village).order_by("id").last() or county_cases.last()
        submitted = county_cases.filter(status=CaseStatus.SUBMITTED).order_by("id").last()

        from accounts.scoping import scope_queryset
        from cases import selectors as case_selectors

        def case_list_qs(division=None):
            # The list's main query as the selector builds it (scope + filters + select_related), first page.
            filters = {"status": CaseStatus.UNDER_INVESTIGATION, "division": division or county.code}
            return case_selectors.case_list(officer, filters=filters).order_by("-created_at", "-id")[:50]

        def case_page_qs():
            # case_detail()'s main row: the case with household, village, applicant, member and users joined.
            return scope_queryset(officer, Case.objects.select_related(
                "household", "household__village", "applicant", "individual_member", "entered_by",
                "decided_by")).filter(pk=case.pk)

        explains["case list, county prefix + status"] = lambda: _explain(case_list_qs())
        explains["case list, village prefix + status"] = lambda: _explain(case_list_qs(last_village))
        explains["case page (case_detail main row)"] = lambda: _explain(case_page_qs())
        optional = [
            Scenario("case list API ?status&division", officer, "get",
                     f"/api/v1/cases/?status=under_investigation&division={county.code}",
                     floor=lambda: _sql(case_list_qs())),
            Scenario("case list API ?status&division=village", officer, "get",
                     f"/api/v1/cases/?status=under_investigation&division={last_village}",
                     floor=lambda: _sql(case_list_qs(last_village))),
            Scenario("case list page ?status", officer, "get", "/cases/?status=under_investigation",
                     floor=lambda: _sql(case_list_qs())),
            Scenario("case list page ?status&village", officer, "get",
                     f"/cases/?status=under_investigation&village={last_village}",
                     floor=lambda: _sql(case_list_qs(last_village))),
            Scenario("case page", officer, "get", f"/cases/{case.pk}/" if case else "/cases/0/",
                     floor=lambda: _sql(case_page_qs())),
            Scenario("case API detail", officer, "get", f"/api/v1/cases/{case.pk}/" if case else "/api/v1/cases/0/",
                     floor=lambda: _sql(case_page_qs())),
        ]
        if submitted is not None:
            optional.append(Scenario(
                "transition accept (API, rolled back)", officer, "post", f"/api/v1/cases/{submitted.pk}/accept/",
                data=lambda: {"version": Case.objects.get(pk=submitted.pk).version}, write=True,
                floor=lambda: ("UPDATE cases_case SET status = %s, version = version + 1 WHERE id = %s",
                               ["under_investigation", submitted.pk])))
        for scenario in optional:
            if _resolves(scenario.path):
                scenarios.append(scenario)
            else:
                notes.append(f"{scenario.name}: {_generic(scenario.path)} does not resolve on this branch: skipped")
    try:
        from poverty_registry import selectors as registry_selectors
        from poverty_registry.models import RegistryHousehold
    except ImportError:
        RegistryHousehold = None
        notes.append("poverty_registry not importable: registry scenarios skipped")
    if RegistryHousehold is not None:
        registration = (RegistryHousehold.objects.filter(division_code__startswith=county.prefix)
                        .order_by("id").last())

        def registry_list_qs():
            return registry_selectors.registrations_visible(officer)[:50]

        explains["registry list (poverty-registry app), county"] = lambda: _explain(registry_list_qs())
        for scenario in [
            Scenario("registry list page (poverty_registry)", officer, "get", "/poverty-registry/",
                     floor=lambda: _sql(registry_list_qs())),
            Scenario("registry list API (poverty_registry)", officer, "get", "/api/v1/poverty-registrations/",
                     floor=lambda: _sql(registry_list_qs())),
            Scenario("registry page (poverty_registry)", officer, "get", f"/poverty-registry/{registration.pk}/",
                     floor=lambda: _sql(RegistryHousehold.objects.filter(pk=registration.pk))),
        ]:
            if registration is not None and _resolves(scenario.path):
                scenarios.append(scenario)
            else:
                notes.append(f"{scenario.name}: {_generic(scenario.path)} does not resolve on this branch: skipped")
    from django.urls import NoReverseMatch, reverse

    try:  # recipients: the review queue and a payment roll (generate_synthetic makes them since it has that step)
        from recipients.models import PaymentRoll, Review
    except ImportError:
        Review = None
    if Review is not None:
        roll = PaymentRoll.objects.filter(county=county).order_by("-month").first()
        if Review.objects.filter(division_code__startswith=county.prefix).exists():
            scenarios.append(Scenario("review queue page", officer, "get", reverse("recipients:reviews"),
                                      floor=lambda: _sql(Review.objects.filter(
                                          division_code__startswith=county.prefix, status="due")
                                          .select_related("case", "case__household").order_by("due_date", "id")[:50])))
        else:
            notes.append("review queue page: no reviews in this database (built before generate_synthetic made them)")
        if roll is not None:
            scenarios.append(Scenario("payment roll page", officer, "get", reverse("recipients:payment_roll", args=[roll.pk]),
                                      floor=lambda: _sql(roll.lines.order_by("village_code", "case_id")[:50])))
        else:
            notes.append("payment roll page: no payment rolls in this database")

    try:
        dashboard = reverse("reports:dashboard")
        scenarios.append(Scenario("dashboard", officer, "get", dashboard))
    except NoReverseMatch:
        notes.append("dashboard: url reports:dashboard not on this branch: skipped")
    return scenarios, explains, counts, notes


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--out", required=True)
    parser.add_argument("--only", default="", help="comma list: run only scenarios whose name contains one")
    args = parser.parse_args()
    _setup()
    scenarios, explains, counts, notes = build(args.runs)
    wanted = [w.strip() for w in args.only.split(",") if w.strip()]
    if wanted:
        scenarios = [s for s in scenarios if any(w in s.name for w in wanted)]
    results = []
    for scenario in scenarios:
        result = run_scenario(scenario, args.runs)
        results.append(result)
        shown = result.get("skipped") or f"{result['median_ms']:.1f} ms, {result['queries']} queries"
        print(f"  {scenario.name}: {shown}", flush=True)
    plans = {name: fn() for name, fn in explains.items()}
    Path(args.out).write_text(json.dumps({"results": results, "explain": plans, "counts": counts, "notes": notes},
                                         ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
