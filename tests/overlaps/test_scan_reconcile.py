"""The full scan's reconciliation in SQL (overlaps.scan_reconcile) gives reconcile's outcome, in a fixed number
of statements whatever the number of findings."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from overlaps.models import FlagStatus, OverlapFlag, RuleCode
from overlaps.rules import RULES
from overlaps.rules.base import Finding
from overlaps.scan_reconcile import reconcile_scan
from overlaps.services import _division_ids, reconcile
from tests.overlaps import builders as b

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL path")]
RULE = RuleCode.DOUBLE_DIBAO


def finding(key, village, persons, value=1, code=None):
    return Finding(subject_key=key, details={"value": value, "text": "a\tb\\c\n"},
                   division_code=code or village.code, person_ids=[p.pk for p in persons],
                   household_ids=[], case_ids=[])


def flag(f, status=FlagStatus.OPEN, persons=()):
    row = OverlapFlag.objects.create(rule=RULE, severity="high", subject_key=f.subject_key, details=f.details,
                                     data_fingerprint=f.fingerprint, division_code=f.division_code,
                                     status=status, last_seen_at=timezone.now())
    row.persons.set(persons)
    return row


def scenario(village, other_village):
    """Existing rows and this scan's findings covering every case of the reconciliation."""
    p1, p2, p3 = b.person(), b.person(name="李四"), b.person(name="王五")
    unchanged = flag(finding("same", village, [p1]), persons=[p1])
    changed = flag(finding("changed", village, [p1]), persons=[p1, p2])
    moved = flag(finding("moved", village, [p1]), persons=[p1])
    flag(finding("remembered", village, [p1]), status=FlagStatus.FALSE_MATCH)
    flag(finding("resolved-changed", village, [p1]), status=FlagStatus.CONFIRMED)
    vanished = flag(finding("vanished", village, [p1]), persons=[p1])
    elsewhere = flag(finding("elsewhere", other_village, [p1], code="999999000000"))
    closed_before = flag(finding("new", village, [p1]), status=FlagStatus.CLOSED)
    findings = [finding("same", village, [p1]), finding("changed", village, [p2, p3], value=2),
                finding("moved", village, [], code=other_village.code), finding("remembered", village, [p1]),
                finding("resolved-changed", village, [p3], value=3), finding("new", village, [p2, p3])]
    return findings, {"unchanged": unchanged, "changed": changed, "moved": moved, "vanished": vanished,
                      "elsewhere": elsewhere, "closed_before": closed_before}, (p1, p2, p3)


def state():
    return sorted((f.subject_key, f.status, f.data_fingerprint, f.division_code, f.division_id,
                   tuple(sorted(f.persons.values_list("pk", flat=True))), f.version, f.closed_at is not None)
                  for f in OverlapFlag.objects.all())


def test_same_outcome_as_reconcile(village, other_village):
    findings, rows, (p1, p2, p3) = scenario(village, other_village)
    seen_before = rows["unchanged"].last_seen_at
    sid = transaction.savepoint()
    expected = reconcile(rule_code=RULE, findings=findings,
                         stale_qs=OverlapFlag.objects.filter(division_code__startswith=village.code[:6]))
    expected_state = state()
    transaction.savepoint_rollback(sid)
    got = reconcile_scan(rule=RULES[RULE], findings=findings, prefix=village.code[:6],
                         divisions=_division_ids(f.division_code for f in findings))
    assert got == expected == {"found": 6, "raised": 2, "refreshed": 2, "suppressed": 1, "closed": 1}
    assert state() == expected_state
    rows["unchanged"].refresh_from_db()
    assert rows["unchanged"].last_seen_at == seen_before  # unchanged rows are not written
    assert set(rows["changed"].persons.values_list("pk", flat=True)) == {p2.pk, p3.pk}
    assert set(rows["moved"].persons.values_list("pk", flat=True)) == {p1.pk}  # no persons found: links kept
    assert OverlapFlag.objects.get(pk=rows["vanished"].pk).status == FlagStatus.CLOSED
    assert OverlapFlag.objects.get(pk=rows["elsewhere"].pk).status == FlagStatus.OPEN  # outside the prefix
    new = OverlapFlag.objects.get(subject_key="new", status=FlagStatus.OPEN)
    assert new.details == {"value": 1, "text": "a\tb\\c\n"} and new.division_id == village.pk
    assert set(new.persons.values_list("pk", flat=True)) == {p2.pk, p3.pk}
    # again: nothing changes, nothing written
    before = state()
    again = reconcile_scan(rule=RULES[RULE], findings=findings, prefix=village.code[:6],
                           divisions=_division_ids(f.division_code for f in findings))
    assert again == {"found": 6, "raised": 0, "refreshed": 0, "suppressed": 1, "closed": 0}
    assert state() == before


@pytest.mark.parametrize("n", [6, 60])
def test_statements_independent_of_the_number_of_findings(village, n):
    persons = [b.person(name=f"人{i}") for i in range(3)]
    findings = [finding(f"k{i}", village, persons[:1 + i % 3]) for i in range(n)]
    divisions = _division_ids(f.division_code for f in findings)
    with CaptureQueriesContext(connection) as first:
        reconcile_scan(rule=RULES[RULE], findings=findings, prefix="", divisions=divisions)
    for f in findings[: n // 3]:
        f.details = {"value": 9}
    with CaptureQueriesContext(connection) as refresh:
        counts = reconcile_scan(rule=RULES[RULE], findings=findings[1:], prefix="", divisions=divisions)
    assert counts["refreshed"] == n // 3 - 1 and counts["closed"] == 1
    with CaptureQueriesContext(connection) as again:
        reconcile_scan(rule=RULES[RULE], findings=findings[1:], prefix="", divisions=divisions)
    # savepoint, create + copy, latest rows, refresh, suppressed count, raise, 2 per link table, close, drop,
    # release (COPY is not captured by Django's cursor wrapper); nothing to link when nothing was raised or
    # refreshed
    assert (len(first), len(refresh), len(again)) == (17, 17, 9)
