"""Versions of the case data per division code, for caching the dashboard's case figures exactly.

PostgreSQL triggers (migration reports/0002) append a row to `reports_datachange` for every
statement that inserts, updates, deletes or truncates cases (one row per division code touched,
`changes` = rows touched) and for every change of a household's size (the dashboard counts a
household case's persons by it), under the codes of that household's cases. So every write is
seen, whatever path it takes: services, bulk `.update()`, raw SQL, COPY, the admin.

The version of one division code is (SUM(changes), MAX(xact)) over its rows, read in one
snapshot together with the global rows ('' = a TRUNCATE) and the identity of the database:

- rows are only ever added (compaction folds them without changing either figure), so within one
  database every committed change makes the sum larger: two snapshots with the same sum have seen
  the same changes, whatever order the transactions committed in;
- `xact` is the writing transaction's id (pg_current_xact_id(), never reused in the cluster), so a
  state reached after a rollback (tests) or in a re-created database cannot take the key of an
  earlier one; the cluster's system identifier and the database oid are part of the key too.

On other databases (SQLite) there are no triggers: `code_versions` answers None and the dashboard
computes without the cache.
"""

from typing import NamedTuple

from django.db import connections

TRUNCATED = ""  # division_code of the rows a TRUNCATE writes: every code's version includes them
IDENTITY = "#"

_VERSIONS_SQL = """
    SELECT division_code, SUM(changes)::bigint, MAX(xact),
           COALESCE(BOOL_OR(xact = pg_current_xact_id_if_assigned()::text::bigint), FALSE)
    FROM reports_datachange WHERE division_code LIKE %s OR division_code = ''
    GROUP BY division_code
    UNION ALL
    SELECT '#', (SELECT system_identifier FROM pg_control_system()),
           (SELECT oid FROM pg_database WHERE datname = current_database())::bigint, FALSE
"""


def supported(using: str) -> bool:
    return connections[using].vendor == "postgresql"


class Versions(NamedTuple):
    database: tuple  # (cluster system identifier, database oid, version of the '' rows)
    codes: dict[str, tuple[int, int]]  # division code -> (SUM(changes), MAX(xact))
    own: frozenset  # codes this transaction has changed and not committed yet ('' = a TRUNCATE)


def code_versions(prefix: str, *, using: str) -> Versions | None:
    """The versions of the division codes under the prefix, in one query; None where there are no
    triggers.

    A transaction sees its own uncommitted changes, which no other snapshot will ever see under the
    same version: the codes it has changed are listed in `own`, and must be neither read from nor
    stored in a cache by this transaction.
    """
    if not supported(using):
        return None
    with connections[using].cursor() as cursor:
        cursor.execute(_VERSIONS_SQL, [prefix + "%"])
        rows = cursor.fetchall()
    identity, truncated, codes, own = (), (0, 0), {}, set()
    for code, total, xact, mine in rows:
        if code == IDENTITY:
            identity = (int(total), int(xact))
            continue
        if mine:
            own.add(code)
        if code == TRUNCATED:
            truncated = (int(total), int(xact))
        else:
            codes[code] = (int(total), int(xact))
    return Versions((*identity, *truncated), codes, frozenset(own))


# Folds every code's rows into one, keeping SUM(changes) and MAX(xact): the versions, and so the
# cache keys, stay what they were. Rows of transactions not yet committed are not visible to the
# DELETE and stay as they are.
_COMPACT_SQL = """
    WITH folded AS (
        DELETE FROM reports_datachange
        WHERE division_code IN (SELECT division_code FROM reports_datachange GROUP BY division_code
                                HAVING COUNT(*) > 1)
        RETURNING division_code, changes, xact
    )
    INSERT INTO reports_datachange (division_code, changes, xact)
    SELECT division_code, SUM(changes), MAX(xact) FROM folded GROUP BY division_code
"""

# A division code of a case without a row (cases written while the triggers were disabled, e.g. a
# data-only restore with --disable-triggers): give it one, so that its cases are cached under a key.
_MISSING_SQL = """
    INSERT INTO reports_datachange (division_code, changes, xact)
    SELECT c.division_code, COUNT(*), pg_current_xact_id()::text::bigint
    FROM cases_case c
    WHERE NOT EXISTS (SELECT 1 FROM reports_datachange d WHERE d.division_code = c.division_code)
    GROUP BY c.division_code
"""


def compact(*, using: str = "default") -> tuple[int, int]:
    """(codes whose rows were folded into one, codes given a first row): the nightly upkeep."""
    if not supported(using):
        return 0, 0
    with connections[using].cursor() as cursor:
        cursor.execute(_COMPACT_SQL)
        folded = cursor.rowcount
        cursor.execute(_MISSING_SQL)
        return folded, cursor.rowcount
