"""Writes of the shared registry: reconcile scan results into findings, resolve findings.

Reconciling, per rule:
- a finding whose subject has an open row: the row is refreshed (details, fingerprint), never duplicated;
- a subject whose latest row was resolved (confirmed / explained / false match) with the same data
  fingerprint: nothing is raised (a false match is remembered); with a changed fingerprint a new open
  row is raised;
- an open row whose condition no longer holds is set `closed` with closed_at (never deleted).
"""

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Division, Role
from accounts.scoping import require_role
from audit.services import record
from dibao.errors import DomainError, StaleVersion
from jobs.outbox import dispatch
from jobs.services import job_create
from overlaps.models import RESOLVED_STATUSES, FlagStatus, OverlapFlag
from overlaps.rules import RULES
from overlaps.rules.base import fetch, in_list
from overlaps.scan_reconcile import reconcile_scan
from overlaps.selectors import access_flag_by_id


def _division_ids(codes) -> dict:
    return dict(Division.objects.filter(code__in=set(codes)).values_list("code", "id"))


def _link(flag, finding):
    if finding.person_ids:
        flag.persons.set(finding.person_ids)
    if finding.household_ids:
        flag.households.set(finding.household_ids)
    if finding.case_ids:
        flag.cases.set(finding.case_ids)
    if finding.registry_household_ids:
        flag.registry_households.set(finding.registry_household_ids)


LINKS = (("persons", "person_ids", "person_id"), ("households", "household_ids", "household_id"),
         ("cases", "case_ids", "case_id"), ("registry_households", "registry_household_ids", "registryhousehold_id"))


def _create_flags(pairs) -> list:
    """Insert new open findings and their links in bulk; row by row if a concurrent scan got there first."""
    if not pairs:
        return []
    try:
        with transaction.atomic():
            flags = OverlapFlag.objects.bulk_create([flag for flag, _f in pairs], batch_size=1000)
    except IntegrityError:
        created = []
        for flag, finding in pairs:
            try:
                with transaction.atomic():
                    flag.save()
            except IntegrityError:
                continue
            _link(flag, finding)
            created.append(flag.pk)
        return created
    for field, attr, column in LINKS:
        through = getattr(OverlapFlag, field).through
        rows = [through(overlapflag_id=flag.pk, **{column: obj_id})
                for flag, (_f, finding) in zip(flags, pairs, strict=True) for obj_id in set(getattr(finding, attr))]
        through.objects.bulk_create(rows, batch_size=5000)
    return [flag.pk for flag in flags]


@transaction.atomic
def reconcile(*, rule_code: str, findings: list, stale_qs) -> dict:
    """Apply one rule's findings. `stale_qs`: the open flags of this rule the scan covered."""
    now = timezone.now()
    counts = {"found": len(findings), "raised": 0, "refreshed": 0, "suppressed": 0, "closed": 0}
    by_key = {f.subject_key: f for f in findings}
    latest: dict = {}
    keys = list(by_key)
    for i in range(0, len(keys), 5000):
        for flag in OverlapFlag.objects.filter(rule=rule_code, subject_key__in=keys[i:i + 5000]).exclude(
                status=FlagStatus.CLOSED).order_by("subject_key", "-id"):
            latest.setdefault(flag.subject_key, flag)
    divisions = _division_ids(f.division_code for f in findings)
    rule = RULES[rule_code]
    seen_ids, to_create = [], []
    for key, finding in by_key.items():
        flag = latest.get(key)
        fingerprint = finding.fingerprint
        if flag and flag.status == FlagStatus.OPEN:
            seen_ids.append(flag.pk)
            if flag.data_fingerprint != fingerprint or flag.division_code != finding.division_code:
                OverlapFlag.objects.filter(pk=flag.pk).update(
                    details=finding.details, data_fingerprint=fingerprint, division_code=finding.division_code,
                    division_id=divisions.get(finding.division_code), last_seen_at=now)
                _link(flag, finding)
                counts["refreshed"] += 1
            continue
        if flag and flag.status in RESOLVED_STATUSES and flag.data_fingerprint == fingerprint:
            counts["suppressed"] += 1
            continue
        to_create.append((OverlapFlag(
            rule=rule_code, severity=rule.severity, subject_key=key, details=finding.details,
            data_fingerprint=fingerprint, division_code=finding.division_code,
            division_id=divisions.get(finding.division_code), last_seen_at=now), finding))
    created = _create_flags(to_create)
    seen_ids += created
    counts["raised"] = len(created)
    counts["closed"] = stale_qs.filter(rule=rule_code, status=FlagStatus.OPEN).exclude(pk__in=seen_ids).update(
        status=FlagStatus.CLOSED, closed_at=now, version=F("version") + 1)
    return counts


def overlaps_scan(*, prefix: str = "", rules=None, progress=None) -> dict:
    """Full scan of a division prefix ("" = the whole installation). Returns counts per rule.

    On PostgreSQL each rule's findings are reconciled in SQL (overlaps.scan_reconcile, a fixed number of
    statements); elsewhere finding by finding (reconcile), with the same outcome.
    """
    results = {}
    codes = list(rules or RULES)
    for n, code in enumerate(codes, 1):
        findings = list(RULES[code].scan(prefix))
        if connection.vendor == "postgresql":
            results[code] = reconcile_scan(rule=RULES[code], findings=findings, prefix=prefix,
                                           divisions=_division_ids(f.division_code for f in findings))
        else:
            stale = OverlapFlag.objects.filter(division_code__startswith=prefix)
            results[code] = reconcile(rule_code=code, findings=findings, stale_qs=stale)
        if progress:
            progress(int(100 * n / len(codes)), results)
    return results


def overlaps_check_persons(person_ids) -> dict:
    """Incremental check: run every rule restricted to rows involving these persons."""
    person_ids = sorted({int(p) for p in person_ids})
    if not person_ids:
        return {}
    results = {}
    # The open findings that involve these persons, found once (three index lookups) rather than by
    # a three-way OR join per rule; each rule then closes those of its own it no longer finds.
    touching = _open_flags_touching(person_ids)
    for code, rule in RULES.items():
        findings = list(rule.scan("", person_ids=person_ids))
        if not findings and not touching.get(code):
            # Nothing found and nothing open to close: no reconciling transaction (its round trips were
            # most of a household's check).
            results[code] = {"found": 0, "raised": 0, "refreshed": 0, "suppressed": 0, "closed": 0}
            continue
        stale = OverlapFlag.objects.filter(pk__in=touching.get(code, ()))
        results[code] = reconcile(rule_code=code, findings=findings, stale_qs=stale)
    return results


def _open_flags_touching(person_ids) -> dict[str, list[int]]:
    """{rule: [open flag ids]} linked to the persons directly, through a household or a registry household.

    One UNION of three index ranges (the link tables by person, by the persons' households, by their registry
    households) joined to the flags by primary key: an OR of three `pk IN (...)` tests is planned as hashed
    subplans over every open flag instead.
    """
    ids = in_list(person_ids)
    rows = fetch(f"""
        SELECT f.id, f.rule FROM overlaps_overlapflag f
        WHERE f.status = 'open' AND f.id IN (
            SELECT fp.overlapflag_id FROM overlaps_overlapflag_persons fp WHERE fp.person_id IN {ids}
            UNION
            SELECT fh.overlapflag_id FROM overlaps_overlapflag_households fh
            JOIN households_member m ON m.household_id = fh.household_id WHERE m.person_id IN {ids}
            UNION
            SELECT fr.overlapflag_id FROM overlaps_overlapflag_registry_households fr
            JOIN poverty_registry_registrymember rm ON rm.registry_household_id = fr.registryhousehold_id
            WHERE rm.person_id IN {ids})""", {})
    touching: dict[str, list[int]] = {}
    for pk, rule in rows:
        touching.setdefault(rule, []).append(pk)
    return touching


OUTCOMES = (FlagStatus.CONFIRMED, FlagStatus.EXPLAINED, FlagStatus.FALSE_MATCH)


@transaction.atomic
def flag_resolve(*, actor, flag: OverlapFlag, outcome: str, note: str, version: int | None = None) -> OverlapFlag:
    """Resolve an open finding (county officers of its county, or admin) with a required note."""
    require_role(actor, Role.COUNTY_OFFICER)
    flag = access_flag_by_id(actor, flag.pk, for_update=True)
    fields = {}
    if outcome not in OUTCOMES:
        fields["outcome"] = [_("Choose confirmed, explained or false_match.")]
    note = (note or "").strip()
    if not note:
        fields["note"] = [_("Write a note saying how the finding was resolved.")]
    if fields:
        raise DomainError(_("The resolution is incomplete."), fields=fields)
    if version is not None and version != flag.version:
        raise StaleVersion()
    if flag.status != FlagStatus.OPEN:
        raise StaleVersion(_("This finding was already resolved or closed. Reload to see its current state."))
    before = {"status": flag.status}
    flag.status, flag.resolved_by, flag.resolved_at = outcome, actor, timezone.now()
    flag.resolution_note, flag.version = note, flag.version + 1
    flag.save(update_fields=["status", "resolved_by", "resolved_at", "resolution_note", "version"])
    record(actor=actor, action="overlap_flag.resolve", obj=flag, division_code=flag.division_code,
           before=before, after={"status": outcome, "note": note})
    return flag


SCAN_KIND = "overlap_scan"


def scan_start(*, actor, prefix: str = ""):
    """Create a scan job for a division prefix and queue it after commit."""
    job = job_create(actor=actor, kind=SCAN_KIND, division_code=prefix.ljust(12, "0") if prefix else "",
                     params={"prefix": prefix})
    if actor is not None:
        record(actor=actor, action="overlap_scan.start", obj=job, division_code=job.division_code,
               after={"prefix": prefix})
    # Through the outbox: with Redis down the scan is sent when the broker is back, not lost.
    dispatch("overlaps.tasks.run_scan", job.pk, prefix, job=job)
    return job
