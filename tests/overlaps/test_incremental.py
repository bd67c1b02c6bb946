"""The incremental checks cost what they touch, and find what the full scan finds.

Plans: the labelled synthetic population (tests/overlaps/synthetic.py) is built once for this module at a size
where PostgreSQL's planner weighs a sequential scan against an index (about 20,000 persons, 7,000 households,
5,000 roster households, 4,000 findings), inside a transaction rolled back at the end, and ANALYZEd so the
planner sees the real row counts. Each rule's incremental check of one household's persons is run with its
queries captured, and every captured statement is EXPLAINed: no plan may hold a `Seq Scan` of a large table.
The planner's own choice is tested (enable_seqscan stays on): at this size a sequential scan of any of these
tables costs hundreds of pages against a few index pages, so a query whose shape allows an index range
takes it, and one whose shape does not (an OR across two columns, an aggregate over the whole roster)
shows a Seq Scan - which is how the old forms of PROBABLE_DUPLICATE and the latest-year lookup failed here.

Findings: on the same population, the incremental check of all persons gives exactly the full scan's findings
(keys and details), the incremental check of one finding's persons finds that finding with the same details,
and any one person's check finds nothing the full scan does not.
"""

import json
import random

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case
from households.models import Member, Person
from overlaps.models import OverlapFlag
from overlaps.rules import RULES
from overlaps.services import overlaps_check_persons, overlaps_scan
from poverty_registry.models import RegistryMember
from tests.factories import DivisionFactory, UserFactory
from tests.overlaps import builders, synthetic

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

LARGE_TABLES = {
    "households_person", "households_household", "households_member", "cases_case",
    "poverty_registry_registryhousehold", "poverty_registry_registrymember", "overlaps_overlapflag",
    "overlaps_overlapflag_persons", "overlaps_overlapflag_households", "overlaps_overlapflag_cases",
    "overlaps_overlapflag_registry_households",
}


@pytest.fixture(scope="module")
def population(django_db_setup, django_db_blocker):
    """(truth, full findings per rule) on a population built once; everything is rolled back afterwards."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            province = DivisionFactory(code="530000000000", name="省", level="province", parent=None)
            city = DivisionFactory(code="530100000000", name="市", level="city", parent=province)
            county = DivisionFactory(code="530102000000", name="县", level="county", parent=city)
            town = DivisionFactory(code="530102100000", name="镇", level="township", parent=county)
            villages = [DivisionFactory(code=f"530102100{200 + i:03d}", name=f"村{i}", level="village", parent=town)
                        for i in range(4)]
            officer = UserFactory(username="plan_officer", role="county_officer", division=county)
            builders.standard(county)
            truth = synthetic.build(villages=villages, user=officer, n_persons=20000, planted=40, seed=3)
            overlaps_scan()  # the findings and their links: the tables the check's reconciling reads
            _closed_history(20000)
            with connection.cursor() as cursor:
                for table in sorted(LARGE_TABLES):
                    cursor.execute(f"ANALYZE {table}")
            full = {code: {f.subject_key: f for f in rule.scan("")} for code, rule in RULES.items()}
            yield truth, full
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _closed_history(n):
    """Closed findings of earlier years with their links, as an installation accumulates them."""
    rng = random.Random(9)
    persons = list(Person.objects.values_list("id", flat=True))
    households = list(Member.objects.values_list("household_id", flat=True))
    registry = list(RegistryMember.objects.values_list("registry_household_id", flat=True))
    flags = OverlapFlag.objects.bulk_create([OverlapFlag(
        rule="EDGE_HOUSEHOLD", severity="low", subject_key=f"old:{i}", details={}, data_fingerprint="0",
        division_code="530102100200", status="closed", last_seen_at=timezone.now()) for i in range(n)],
        batch_size=5000)
    for field, column, pool in (("persons", "person_id", persons), ("households", "household_id", households),
                                ("registry_households", "registryhousehold_id", registry)):
        through = getattr(OverlapFlag, field).through
        through.objects.bulk_create([through(overlapflag_id=f.pk, **{column: rng.choice(pool)}) for f in flags],
                                    batch_size=5000)


def _seq_scans(plan) -> list[str]:
    found = []
    if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in LARGE_TABLES:
        found.append(plan["Relation Name"])
    for child in plan.get("Plans", ()):
        found += _seq_scans(child)
    return found


def _large_seq_scans(queries) -> list[tuple[str, str]]:
    """(tables, statement, plan) for every statement with a Seq Scan of a large table in the plans of the captured statements."""
    bad = []
    with connection.cursor() as cursor:
        for query in queries:
            sql = query["sql"]
            while sql.startswith("SET LOCAL"):  # the planner settings the statement ran with (rolled back)
                head, _sep, sql = sql.partition("; ")
                cursor.execute(head)
            if not sql.lstrip().upper().startswith(("SELECT", "WITH", "UPDATE", "INSERT", "DELETE")):
                continue  # savepoints
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            tables = _seq_scans(plan[0]["Plan"])
            if tables:
                cursor.execute("EXPLAIN " + sql)  # the readable plan, shown by the failing assertion
                bad.append((tables, sql, "\n".join(r[0] for r in cursor.fetchall())))
    return bad


def _a_household_with_findings(full, code) -> list[int]:
    """The persons of a household involved in one of the rule's findings (all its members, active or not)."""
    finding = next(iter(full[code].values()))
    household_ids = set(finding.household_ids)
    if not household_ids:
        household_ids = set(Member.objects.filter(person_id__in=finding.person_ids).values_list(
            "household_id", flat=True))
    return list(Member.objects.filter(household_id__in=household_ids).values_list("person_id", flat=True)) or \
        list(finding.person_ids)


def _persons_of(finding) -> set[int]:
    """The persons whose change must lead to this finding: its persons, its households' and roster households'."""
    ids = set(finding.person_ids)
    ids |= set(Member.objects.filter(household_id__in=finding.household_ids).values_list("person_id", flat=True))
    if finding.registry_household_ids:
        ids |= set(RegistryMember.objects.filter(registry_household_id__in=finding.registry_household_ids)
                   .values_list("person_id", flat=True))
    return ids


@pytest.mark.parametrize("code", list(RULES))
def test_incremental_plan_reads_index_ranges_only(population, code):
    _truth, full = population
    if full[code]:
        persons = _a_household_with_findings(full, code)
    else:  # DUPLICATE_PERSON_HOUSEHOLDS has no positive here (the unique membership index forbids them)
        persons = list(Member.objects.order_by("id").values_list("person_id", flat=True)[:4])
    with CaptureQueriesContext(connection) as ctx:
        found = list(RULES[code].scan("", person_ids=persons))
    assert ctx.captured_queries, code
    assert _large_seq_scans(ctx.captured_queries) == []
    if full[code]:
        assert found, code  # the household's own finding is among them


def test_the_whole_check_of_a_household_reads_index_ranges_only(population):
    """overlaps_check_persons: the open findings touching the persons, every rule, the reconciling writes."""
    _truth, full = population
    persons = _a_household_with_findings(full, "STATUS_CONFLICT") + _a_household_with_findings(
        full, "PROBABLE_DUPLICATE")
    with CaptureQueriesContext(connection) as ctx:
        overlaps_check_persons(persons)
    assert _large_seq_scans(ctx.captured_queries) == []


def test_incremental_finds_what_the_full_scan_finds(population):
    truth, full = population
    all_persons = list(Person.objects.values_list("id", flat=True))
    for code, rule in RULES.items():
        incremental = {f.subject_key: f for f in rule.scan("", person_ids=all_persons)}
        assert set(incremental) == set(full[code]), code
        assert all(incremental[k].details == full[code][k].details for k in incremental), code
    # every planted kind is found (the population is not trivially empty)
    for code in ("DOUBLE_DIBAO", "PROBABLE_DUPLICATE", "PROTECTION_GAP", "INELIGIBLE_RECIPIENT", "STATUS_CONFLICT",
                 "STAFF_RELATIVE", "EDGE_HOUSEHOLD", "APPLICATION_ROSTER_CONFLICT"):
        assert truth[code] and full[code], code


def test_a_findings_persons_find_it_and_one_person_finds_nothing_more(population):
    _truth, full = population
    rng = random.Random(5)
    for code, rule in RULES.items():
        for key in rng.sample(sorted(full[code]), min(15, len(full[code]))):
            finding = full[code][key]
            found = {f.subject_key: f for f in rule.scan("", person_ids=_persons_of(finding))}
            assert key in found, (code, key)
            assert found[key].details == finding.details, (code, key)
    sample = rng.sample(list(Person.objects.values_list("id", flat=True)), 150)
    for code, rule in RULES.items():
        for person in sample:
            for f in rule.scan("", person_ids=[person]):
                assert f.subject_key in full[code], (code, person)
                assert f.details == full[code][f.subject_key].details


def test_flags_touching_a_household_close_when_it_changes(population):
    """The whole check on a population this size still closes what no longer holds (the reconcile path)."""
    _truth, full = population
    finding = next(iter(full["STATUS_CONFLICT"].values()))
    case_id = finding.case_ids[0]
    flag = OverlapFlag.objects.get(rule="STATUS_CONFLICT", subject_key=finding.subject_key, status="open")
    sid = transaction.savepoint()
    Case.objects.filter(pk=case_id).update(status="gradual_exit")
    overlaps_check_persons(_persons_of(finding))
    flag.refresh_from_db()
    assert flag.status == "closed"
    transaction.savepoint_rollback(sid)
