"""A full scan's findings reconciled with the findings table in SQL (PostgreSQL).

Same outcome as services.reconcile, which compares finding by finding in Python (model instances for every
open row, a query per refreshed row): at a province's size (tens of thousands of findings per rule) that was
most of the scan. Here the scan's findings are copied into a temporary table (`COPY`) and reconciled with a
fixed number of statements whatever their number:
1. each found subject is given its latest non-closed row (DISTINCT ON subject, highest id);
2. found subjects whose open row has another fingerprint or division are refreshed (details, fingerprint,
   division, last seen) and their links replaced by the finding's (only the kinds of link the finding has);
3. found subjects with no open row and no resolved row of the same fingerprint are raised as new open rows,
   in the scan's order (a row raised concurrently in between wins: ON CONFLICT on the one-open-row index);
4. open rows of the rule within the prefix that were neither seen open nor raised are closed.
Unchanged open rows are not written. Nothing here writes audit or change-feed rows (neither does reconcile).
"""

import io
import json

from django.db import connection, transaction
from django.utils import timezone

from overlaps.models import RESOLVED_STATUSES, FlagStatus

FOUND = "overlaps_scan_found"
LINK_TABLES = (("person_ids", "overlaps_overlapflag_persons", "person_id"),
               ("household_ids", "overlaps_overlapflag_households", "household_id"),
               ("case_ids", "overlaps_overlapflag_cases", "case_id"),
               ("registry_household_ids", "overlaps_overlapflag_registry_households", "registryhousehold_id"))
RESOLVED_SQL = "(" + ", ".join(f"'{s}'" for s in RESOLVED_STATUSES) + ")"
# The found subject whose open row changed (step 2), in terms of the temporary table only.
REFRESHED = (f"t.latest_status = '{FlagStatus.OPEN}' "
             "AND (t.latest_fp <> t.fingerprint OR t.latest_division <> t.division_code)")


def _copy_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _array(ids) -> str:
    return "{" + ",".join(str(int(i)) for i in sorted(set(ids))) + "}"


def _lines(findings, divisions):
    for n, f in enumerate(findings):
        division_id = divisions.get(f.division_code)
        yield "\t".join((
            str(n), _copy_text(f.subject_key), _copy_text(json.dumps(f.details)), f.fingerprint,
            _copy_text(f.division_code), "\\N" if division_id is None else str(division_id),
            _array(f.person_ids), _array(f.household_ids), _array(f.case_ids),
            _array(f.registry_household_ids))) + "\n"


@transaction.atomic
def reconcile_scan(*, rule, findings: list, prefix: str, divisions: dict) -> dict:
    """Apply one rule's full-scan findings over `prefix` (""= everywhere). `divisions`: {code: division id}."""
    now = timezone.now()
    by_key = {f.subject_key: f for f in findings}  # one per subject, the last one found (as reconcile)
    counts = {"found": len(findings), "raised": 0, "refreshed": 0, "suppressed": 0, "closed": 0}
    params = {"rule": rule.code, "now": now, "prefix": prefix + "%", "severity": rule.severity}
    with connection.cursor() as cursor:
        cursor.execute(f"""DROP TABLE IF EXISTS {FOUND};
            CREATE TEMP TABLE {FOUND} (
                ord integer NOT NULL, subject_key text PRIMARY KEY, details jsonb NOT NULL, fingerprint text NOT NULL,
                division_code text NOT NULL, division_id bigint, person_ids bigint[] NOT NULL,
                household_ids bigint[] NOT NULL, case_ids bigint[] NOT NULL, registry_household_ids bigint[] NOT NULL,
                latest_id bigint, latest_status text, latest_fp text, latest_division text, seen_id bigint
            ) ON COMMIT DROP""")
        buffer = io.StringIO("".join(_lines(by_key.values(), divisions)))
        cursor.cursor.copy_expert(
            f"COPY {FOUND} (ord, subject_key, details, fingerprint, division_code, division_id, person_ids, "
            f"household_ids, case_ids, registry_household_ids) FROM STDIN", buffer)
        # 1. The latest non-closed row of each found subject; an open one is seen.
        cursor.execute(f"""ANALYZE {FOUND};
            UPDATE {FOUND} t SET latest_id = l.id, latest_status = l.status, latest_fp = l.data_fingerprint,
                latest_division = l.division_code,
                seen_id = CASE WHEN l.status = '{FlagStatus.OPEN}' THEN l.id END
            FROM (SELECT DISTINCT ON (f.subject_key) f.subject_key, f.id, f.status, f.data_fingerprint,
                         f.division_code
                  FROM overlaps_overlapflag f JOIN {FOUND} s ON s.subject_key = f.subject_key
                  WHERE f.rule = %(rule)s AND f.status <> '{FlagStatus.CLOSED}'
                  ORDER BY f.subject_key, f.id DESC) l
            WHERE l.subject_key = t.subject_key""", params)
        # 2. Refresh the open rows whose data changed.
        cursor.execute(f"""UPDATE overlaps_overlapflag f SET details = t.details, data_fingerprint = t.fingerprint,
                division_code = t.division_code, division_id = t.division_id, last_seen_at = %(now)s
            FROM {FOUND} t WHERE f.id = t.latest_id AND {REFRESHED}""", params)
        counts["refreshed"] = cursor.rowcount
        cursor.execute(f"""SELECT count(*) FROM {FOUND} t
            WHERE t.latest_status IN {RESOLVED_SQL} AND t.latest_fp = t.fingerprint""")
        counts["suppressed"] = cursor.fetchone()[0]
        # 3. Raise the new ones, in the scan's order.
        cursor.execute(f"""WITH ins AS (
                INSERT INTO overlaps_overlapflag (rule, severity, subject_key, details, data_fingerprint,
                    division_code, division_id, status, first_seen_at, last_seen_at, closed_at, resolved_by_id,
                    resolved_at, resolution_note, version)
                SELECT %(rule)s, %(severity)s, t.subject_key, t.details, t.fingerprint, t.division_code,
                       t.division_id, '{FlagStatus.OPEN}', %(now)s, %(now)s, NULL, NULL, NULL, '', 1
                FROM {FOUND} t
                WHERE t.latest_status IS DISTINCT FROM '{FlagStatus.OPEN}'
                  AND NOT (t.latest_status IS NOT NULL AND t.latest_status IN {RESOLVED_SQL}
                           AND t.latest_fp = t.fingerprint)
                ORDER BY t.ord
                ON CONFLICT (rule, subject_key) WHERE status = '{FlagStatus.OPEN}' DO NOTHING
                RETURNING id, subject_key)
            UPDATE {FOUND} t SET seen_id = ins.id FROM ins WHERE t.subject_key = ins.subject_key""", params)
        counts["raised"] = cursor.rowcount
        if counts["raised"] or counts["refreshed"]:
            for ids, table, column in LINK_TABLES:
                # A refreshed row's links of a kind the finding has are replaced (reconcile's Manager.set);
                # a raised row gets the finding's links.
                cursor.execute(f"""DELETE FROM {table} x USING {FOUND} t
                    WHERE x.overlapflag_id = t.latest_id AND {REFRESHED} AND cardinality(t.{ids}) > 0
                      AND NOT x.{column} = ANY (t.{ids})""")
                cursor.execute(f"""INSERT INTO {table} (overlapflag_id, {column})
                    SELECT DISTINCT t.seen_id, unnest(t.{ids}) FROM {FOUND} t
                    WHERE t.seen_id IS NOT NULL AND (t.latest_id IS NULL OR t.seen_id <> t.latest_id OR {REFRESHED})
                    ON CONFLICT DO NOTHING""")
        # 4. Close the open rows of the rule in the prefix that this scan did not see (matched on the subject,
        # the temporary table's key: its statistics were taken before seen_id was filled).
        cursor.execute(f"""UPDATE overlaps_overlapflag f SET status = '{FlagStatus.CLOSED}', closed_at = %(now)s,
                version = f.version + 1
            WHERE f.rule = %(rule)s AND f.status = '{FlagStatus.OPEN}' AND f.division_code LIKE %(prefix)s
              AND NOT EXISTS (SELECT 1 FROM {FOUND} t WHERE t.subject_key = f.subject_key AND t.seen_id = f.id)""", params)
        counts["closed"] = cursor.rowcount
        cursor.execute(f"DROP TABLE {FOUND}")
    return counts
