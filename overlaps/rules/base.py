"""What every rule shares: the row it yields and SQL fragments for standards and thresholds.

A rule's `scan(prefix, person_ids=None)` is set-based: one or two SQL statements (joins and
GROUP BY on person ids, i.e. on the blind index) that return only the offending rows, so
Python only sees findings, never all rows. `prefix` is a division-code prefix ("" = the whole
installation); `person_ids` restricts an incremental check to rows that involve those persons.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.utils import timezone

from accounts.models import LEVEL_PREFIX_LENGTH
from cases.models import OPEN_STATES
from overlaps.models import Severity


def open_states_sql() -> str:
    return "(" + ", ".join(f"'{s}'" for s in OPEN_STATES) + ")"


@dataclass
class Finding:
    subject_key: str
    details: dict
    division_code: str
    person_ids: list = field(default_factory=list)
    household_ids: list = field(default_factory=list)
    case_ids: list = field(default_factory=list)
    registry_household_ids: list = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        payload = json.dumps(self.details, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()


def common_division(codes) -> str:
    """The code of the smallest division containing every code (a village, township, ... or "")."""
    codes = [c for c in codes if c]
    if not codes:
        return ""
    first = codes[0]
    n = 0
    while n < 12 and all(len(c) > n and c[n] == first[n] for c in codes):
        n += 1
    keep = max((length for length in LEVEL_PREFIX_LENGTH.values() if length <= n), default=0)
    return first[:keep].ljust(12, "0") if keep else ""


def like(prefix: str) -> str:
    return prefix + "%"


def in_list(ids) -> str:
    """A literal IN list of integer ids (ints only, so no injection)."""
    ids = sorted({int(i) for i in ids})
    return "(" + ",".join(str(i) for i in ids) + ")" if ids else "(NULL)"


def _in_force_sql(columns: str, table: str) -> str:
    """Derived table: `columns` of each county's row of `table` in force on %(today)s (the latest
    effective_from on or before it), with the county's code prefix as `cp`.

    PostgreSQL takes DISTINCT ON, which it estimates at one row per county. The portable form (the row whose
    date is the county's latest, by a correlated MAX) is estimated at one row in all; the planner then put it
    on the outside of a nested loop and ran the whole province's case-roster join once per county (100 times,
    three quarters of a 10M-person full scan)."""
    if connection.vendor == "postgresql":
        return f"""(SELECT DISTINCT ON (t.county_id) substr(d.code, 1, 6) AS cp, {columns}
                   FROM {table} t JOIN accounts_division d ON d.id = t.county_id
                   WHERE t.effective_from <= %(today)s ORDER BY t.county_id, t.effective_from DESC)"""
    return f"""(SELECT substr(d.code, 1, 6) AS cp, {columns}
               FROM {table} t JOIN accounts_division d ON d.id = t.county_id
               WHERE t.effective_from = (SELECT MAX(t2.effective_from) FROM {table} t2
                                         WHERE t2.county_id = t.county_id AND t2.effective_from <= %(today)s))"""


def standards_sql() -> str:
    """Derived table (cp, amount): the standard in force per county-code prefix on %(today)s.

    Private stand-in for households.selectors.standard_in_force (same rule, set-based).
    """
    return _in_force_sql("t.monthly_amount AS amount", "households_standard")


def policy_sql() -> str:
    """Derived table of each county's thresholds in force on %(today)s (defaults applied by COALESCE)."""
    return _in_force_sql("t.income_disagreement_ratio AS ratio, t.ineligible_multiple AS inelig, "
                         "t.edge_upper_multiple AS edge", "overlaps_overlappolicy")


def latest_year_sql() -> str:
    """Derived table (cp, y): the latest registry year loaded per county-code prefix.

    One probe per county of the index `registry_county_year` (substr(division_code, 1, 6), year), a backward
    index step each, rather than a GROUP BY over every registry household: an incremental check reads a
    few index pages however large the roster is, and a full scan saves the aggregate as well.
    """
    return """(SELECT cp.cp, (SELECT MAX(r.year) FROM poverty_registry_registryhousehold r
                             WHERE substr(r.division_code, 1, 6) = cp.cp) AS y
               FROM (SELECT substr(code, 1, 6) AS cp FROM accounts_division WHERE level = 'county') cp)"""


def latest_year(rh_alias: str, incremental: bool) -> tuple[str, str]:
    """(JOIN clause, WHERE condition) keeping `rh_alias` to the latest registry year of its county.

    A full scan joins the derived table (one index probe per county). An incremental check tests each
    registry household it reached through its persons with a correlated MAX over `registry_county_year`:
    as a condition it cannot become the join's driver, so the planner never starts from the whole
    county's latest-year rows.
    """
    if not incremental:
        return (f"JOIN {latest_year_sql()} ly ON ly.cp = substr({rh_alias}.division_code, 1, 6) "
                f"AND ly.y = {rh_alias}.year", "")
    return "", (f"AND {rh_alias}.year = (SELECT MAX(r.year) FROM poverty_registry_registryhousehold r "
                f"WHERE substr(r.division_code, 1, 6) = substr({rh_alias}.division_code, 1, 6))")


def changed_households_cte(person_ids) -> str:
    """`WITH changed(household_id)`: the households with a membership row (active or not) of these persons.

    MATERIALIZED (PostgreSQL 12+, SQLite 3.35+): the few changed rows are computed first from the
    person_id index and drive the query through the tables' own indexes, whatever the planner's guess of
    a semi-join's size (an `IN (subquery)` was planned after joining everything else).
    """
    return (f"WITH changed AS MATERIALIZED (SELECT DISTINCT household_id FROM households_member "
            f"WHERE person_id IN {in_list(person_ids)})")


def changed_registry_cte(person_ids) -> str:
    """`WITH changed(registry_household_id)`: the roster households listing these persons."""
    return (f"WITH changed AS MATERIALIZED (SELECT DISTINCT registry_household_id "
            f"FROM poverty_registry_registrymember WHERE person_id IN {in_list(person_ids)})")


def fetch(sql: str, params: dict, *, written_order: bool = False) -> list[tuple]:
    """The rows of one statement. `written_order`: join in the order written (PostgreSQL).

    An incremental check's join of a dozen relations (case, household, members, roster members and
    households, the standard's and the policy's derived tables) executes in under a millisecond but
    took the planner 20-30 ms to order at province size; written from the changed rows outwards, the
    order is already the right one, so the planner is told to keep it (SET LOCAL, this statement's
    transaction only).
    """
    if written_order and connection.vendor == "postgresql":
        settings_sql = "SET LOCAL join_collapse_limit = 1; SET LOCAL from_collapse_limit = 1"
        # One query string: in autocommit (the worker) it is one implicit transaction, so SET LOCAL holds for the
        # statement that follows it in the string and ends with it - one round trip. Inside a caller's
        # transaction the settings are put back at once (a released savepoint would keep them).
        with connection.cursor() as cursor:
            cursor.execute(f"{settings_sql}; {sql}", params)
            rows = cursor.fetchall()
            if connection.in_atomic_block:
                cursor.execute("SET LOCAL join_collapse_limit TO DEFAULT; SET LOCAL from_collapse_limit TO DEFAULT")
            return rows
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def base_params(prefix: str, today: date | None = None) -> dict:
    return {"prefix": like(prefix), "today": today or timezone.localdate()}


def money(value) -> str:
    return None if value is None else f"{value:.2f}"


class Rule:
    code: str = ""
    severity: str = Severity.MEDIUM
    title = ""
    explanation = ""

    def scan(self, prefix: str = "", person_ids=None, today: date | None = None):  # pragma: no cover
        raise NotImplementedError

    def persons_of_households(self, household_ids) -> dict:
        """{household_id: [active member person ids]} for the flagged households only."""
        if not household_ids:
            return {}
        rows = fetch(f"SELECT household_id, person_id FROM households_member WHERE is_active "
                     f"AND household_id IN {in_list(household_ids)}", {})
        out: dict = {}
        for hid, pid in rows:
            out.setdefault(hid, []).append(pid)
        return out
