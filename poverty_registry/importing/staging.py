"""The PostgreSQL form of a registry import: COPY into a staging table, validate and merge in SQL.

The reader's rows (row number, {column: value}) are cleaned one by one on the way in - the per-cell checks of
`rows.clean_row`, the blind index, the ciphertext and the pinyin, all per row and with no state across rows -
and each chunk goes into a session-local staging table with one COPY. Everything that compares rows (the same
member twice, a household's rows disagreeing, two heads), everything that asks the database (villages, scope,
a household code owned outside the importer's area) and the merge itself (persons, households, members, with
their created / updated / unchanged counts) are set-based statements over the chunk's staging rows, so Python
holds one chunk at a time and nothing per household: memory stays flat with the file's size. Row errors are
read back from the staging rows in row order. The checks see every earlier row of the file through the
staging table, exactly as the embedded path (writer.py, SQLite) sees them through its in-memory maps.

The key-dependent columns of a new person are `households.crypto`'s own (person_key_fields: blind index,
ciphertext bound to it, the suffix index, the key state), computed once per new person here; nothing below
knows their format. A person stored under an older key (a rotation under way) is found through every blind
index of the number, and the staging row carries that person's stored index, so no person is created twice.
"""

import json
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scoping import code_in_scope, scope_queryset
from households import crypto
from poverty_registry.importing.reader import COLUMNS, FORMULA
from poverty_registry.importing.rows import RowError
from poverty_registry.models import RegistryHousehold

TABLE = "registry_import_stage"
STAGE_COLUMNS = ("row", "year", "code", "division_code", "status", "monitoring_type", "lifted_year", "income",
                 "name", "relationship", "is_head", "id_hash", "id_enc", "suffix_hash", "key_state", "pinyin",
                 "birth_date", "sex", "region", "key_year", "key_code", "err_column", "err_reason", "raw")
# Placeholders in a translated message, replaced in SQL by the row's own figures.
ROW_MARK, COLUMN_MARK, VALUE_MARK = 987654321, "\x01column\x01", "\x01value\x01"
COMPARED = ("division_code", "status", "monitoring_type", "lifted_year", "income")
FILE_COLUMN = {"income": "annual_income_per_capita"}


@dataclass
class StagedChunk:
    """A chunk's rows in the staging table: rows first..last of the file, `good` of them valid so far."""

    first: int
    last: int
    good: int

    def __len__(self):
        return self.good


def create_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cursor.execute(f"""CREATE TEMP TABLE {TABLE} (
            row integer PRIMARY KEY, year smallint, code text, division_code text, status text,
            monitoring_type text, lifted_year smallint, income numeric(12, 2), name text, relationship text,
            is_head boolean, id_hash text, id_enc bytea, suffix_hash text, key_state text, pinyin text, birth_date date, sex text, region text,
            key_year smallint, key_code text, err_column text, err_reason text, raw text)""")
        cursor.execute(f"CREATE INDEX ON {TABLE} (year, code, row) WHERE err_column IS NULL")
        cursor.execute(f"CREATE INDEX ON {TABLE} (year, code, id_hash) WHERE err_column IS NULL")


def drop_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


# -- COPY -----------------------------------------------------------------------------------------

def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, bytes):
        return "\\\\x" + value.hex()
    return _text(str(value))


def _text(value: str) -> str:
    """A text field for COPY's text format: only the four characters it reserves are escaped."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _key(values: dict) -> tuple[int | None, str]:
    year = str(values.get("year", "")).strip()
    return (int(year) if year.isdigit() and len(year) <= 4 else None), str(values.get("registry_household_code", ""))


def _raw(values: dict) -> str:
    """The row's cells as the file gave them (for the error report), in COLUMNS order."""
    return json.dumps([("(formula)" if values.get(c) is FORMULA else values.get(c, "")) for c in COLUMNS],
                      ensure_ascii=False)


def _raw_values(raw: str) -> dict:
    return dict(zip(COLUMNS, json.loads(raw), strict=True))


def stage(run, chunk) -> StagedChunk:
    """Clean, blind-index and COPY one chunk; then the checks across rows, in SQL.

    One pass over plain tuples: the per-cell checks, then the blind indexes once per distinct ID number (every key
    version, for the lookup), one SELECT for the persons already indexed, and the ciphertext and pinyin once per
    new person. The COPY lines are written as they are made; nothing else of the chunk is kept."""
    ring = crypto.keyring()
    clean = run.clean
    cleaned = []
    digests: dict[str, list[str]] = {}  # ID number -> its blind indexes (current first)
    for row_number, values in chunk:
        try:
            row = clean(row_number, values)
        except RowError as exc:
            cleaned.append((row_number, values, None, exc))
            continue
        number = row.id_info.number
        if number not in digests:
            digests[number] = ring.blind_indexes(number)
        cleaned.append((row_number, values, row, None))
    aliases = {}  # every blind index of a number (all key versions) -> its current one
    for found in digests.values():
        for alias in found:
            aliases.setdefault(alias, found[0])
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_hash FROM households_person WHERE id_hash = ANY(%s)", [list(aliases)])
        stored = {aliases[found]: found for (found,) in cursor.fetchall()}
    new_persons: dict[str, tuple] = {}  # current blind index -> (ciphertext, suffix index, key state, pinyin)
    lines = []
    for row_number, values, row, error in cleaned:
        if row is None:
            key_year, key_code = _key(values)
            lines.append(f"{row_number}{NULLS_18}\t{_copy_text(key_year)}\t{_text(key_code)}\t"
                         f"{_text(error.column)}\t{_text(str(error.reason))}\t{_text(_raw(values))}\n")
            continue
        h, info = row.household, row.id_info
        digest = digests[info.number][0]
        person_hash = stored.get(digest)
        if person_hash is not None:
            person = NO_PERSON
        else:
            person_hash = digest
            person = new_persons.get(digest)
            if person is None:
                fields = crypto.person_key_fields(info.number, row.name, ring)
                person_hash = fields["id_hash"]
                person = new_persons[digest] = (
                    "\\\\x" + fields["id_encrypted"].hex(), fields["id_suffix_hash"], fields["key_state"],
                    _text(run.pinyin(row.name)))
        code = _text(h.registry_code)
        lifted = "\\N" if h.lifted_year is None else str(h.lifted_year)
        lines.append(
            f"{row_number}\t{h.year}\t{code}\t{h.division_code}\t{_text(h.status)}\t{_text(h.monitoring_type)}\t"
            f"{lifted}\t{h.annual_income_per_capita}\t{_text(row.name)}\t{_text(row.relationship)}\t"
            f"{'t' if row.is_head else 'f'}\t{person_hash}\t{person[0]}\t{person[1]}\t{person[2]}\t{person[3]}\t"
            f"{info.birth_date.isoformat()}\t{info.sex}\t{info.region}\t{h.year}\t{code}\t\\N\t\\N\t"
            f"{_text(_raw(values))}\n")
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {TABLE} ({', '.join(STAGE_COLUMNS)}) FROM STDIN", _LineReader(lines))
    part = StagedChunk(first=chunk[0][0], last=chunk[-1][0], good=0)
    _check_villages(run, part)
    _check_duplicates(part)
    _check_agreement(part)
    _check_heads(part)
    part.good = _count_good(part)
    return part


NULLS_18 = "\t\\N" * 18
NO_PERSON = ("\\N", "\\N", "\\N", "\\N")  # a person already indexed: no ciphertext, suffix, state or pinyin


class _LineReader:
    """COPY's input from a list of lines, read in blocks (no second copy of the whole chunk as one string)."""

    def __init__(self, lines: list[str], per_read: int = 500):
        self._lines, self._at, self._per_read = lines, 0, per_read

    def read(self, size: int = -1) -> str:
        block = self._lines[self._at:self._at + self._per_read]
        self._at += self._per_read
        return "".join(block)

    readline = read


def _in_chunk(alias="s") -> str:
    return f"{alias}.row BETWEEN %(first)s AND %(last)s"


def _params(part: StagedChunk, **extra) -> dict:
    return {"first": part.first, "last": part.last, **extra}


def _execute(sql: str, params: dict) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def _fail(part: StagedChunk, where: str, column: str, reason: str, **params) -> None:
    _execute(f"UPDATE {TABLE} s SET err_column = %(column)s, err_reason = %(reason)s "
             f"WHERE {_in_chunk()} AND s.err_column IS NULL AND {where}",
             _params(part, column=column, reason=reason, **params))


def _check_villages(run, part: StagedChunk) -> None:
    codes = {c for (c,) in _execute(f"SELECT DISTINCT division_code FROM {TABLE} s "
                                    f"WHERE {_in_chunk()} AND s.err_column IS NULL", _params(part))}
    run._load_villages(codes)
    for code in sorted(codes):
        if not code_in_scope(run.actor, code):
            _fail(part, "s.division_code = %(code)s", "division_code",
                  _("The village %(code)s is outside your area; you may import only villages of your own county.")
                  % {"code": code}, code=code)
        elif run._villages.get(code) is None:
            _fail(part, "s.division_code = %(code)s", "division_code",
                  _("There is no village with the code %(code)s.") % {"code": code}, code=code)


def _check_duplicates(part: StagedChunk) -> None:
    """A member listed again in the same household: the later rows fail, naming the first."""
    reason = _("Duplicate row: this person is already listed in this household in row %(row)d.") % {"row": ROW_MARK}
    _execute(f"""UPDATE {TABLE} s SET err_column = 'id_number',
                        err_reason = replace(%(reason)s, %(mark)s, d.first_row::text)
                 FROM (SELECT s2.row, MIN(f.row) AS first_row FROM {TABLE} s2
                       JOIN {TABLE} f ON f.year = s2.year AND f.code = s2.code AND f.id_hash = s2.id_hash
                            AND f.row < s2.row AND f.err_column IS NULL
                       WHERE {_in_chunk("s2")} AND s2.err_column IS NULL GROUP BY s2.row) d
                 WHERE s.row = d.row""", _params(part, reason=reason, mark=str(ROW_MARK)))


def _check_agreement(part: StagedChunk) -> None:
    """Every row of a household gives its first valid row's household fields; else the first differing column."""
    reason = (_("Row %(row)d gives this household a different %(column)s (%(first)s); every row of a household "
                "must agree.") % {"row": ROW_MARK, "column": COLUMN_MARK, "first": VALUE_MARK})
    differs = " ".join(
        f"WHEN f.{c} IS DISTINCT FROM s2.{c} THEN '{FILE_COLUMN.get(c, c)}'" for c in COMPARED)
    first_value = " ".join(
        f"WHEN f.{c} IS DISTINCT FROM s2.{c} THEN COALESCE(f.{c}::text, 'None')" for c in COMPARED)
    _execute(f"""UPDATE {TABLE} s SET err_column = d.col,
                        err_reason = replace(replace(replace(%(reason)s, %(row_mark)s, d.first_row::text),
                                                     %(column_mark)s, d.col), %(value_mark)s, d.first_value)
                 FROM (SELECT s2.row, f.row AS first_row, CASE {differs} END AS col,
                              CASE {first_value} END AS first_value
                       FROM {TABLE} s2
                       JOIN LATERAL (SELECT * FROM {TABLE} f WHERE f.year = s2.year AND f.code = s2.code
                                     AND f.err_column IS NULL ORDER BY f.row LIMIT 1) f ON f.row < s2.row
                       WHERE {_in_chunk("s2")} AND s2.err_column IS NULL) d
                 WHERE s.row = d.row AND d.col IS NOT NULL""",
             _params(part, reason=reason, row_mark=str(ROW_MARK), column_mark=COLUMN_MARK, value_mark=VALUE_MARK))


def _check_heads(part: StagedChunk) -> None:
    reason = _("The household already has a head in row %(row)d.") % {"row": ROW_MARK}
    _execute(f"""UPDATE {TABLE} s SET err_column = 'is_head',
                        err_reason = replace(%(reason)s, %(mark)s, d.first_row::text)
                 FROM (SELECT s2.row, MIN(f.row) AS first_row FROM {TABLE} s2
                       JOIN {TABLE} f ON f.year = s2.year AND f.code = s2.code AND f.is_head
                            AND f.row < s2.row AND f.err_column IS NULL
                       WHERE {_in_chunk("s2")} AND s2.err_column IS NULL AND s2.is_head GROUP BY s2.row) d
                 WHERE s.row = d.row""", _params(part, reason=reason, mark=str(ROW_MARK)))


def _count_good(part: StagedChunk) -> int:
    return _execute(f"SELECT COUNT(*) FROM {TABLE} s WHERE {_in_chunk()} AND s.err_column IS NULL",
                    _params(part))[0][0]


NEW_HOUSEHOLDS = f"""SELECT DISTINCT ON (s.year, s.code) s.year, s.code FROM {TABLE} s
    WHERE {_in_chunk()} AND s.err_column IS NULL
      AND NOT EXISTS (SELECT 1 FROM {TABLE} e WHERE e.year = s.year AND e.code = s.code
                      AND e.row < %(first)s AND e.err_column IS NULL)
    ORDER BY s.year, s.code, s.row"""


def refuse_foreign_households(run, part: StagedChunk) -> StagedChunk:
    """A registry code that already belongs to a household outside the importer's area is refused."""
    keys = _execute(NEW_HOUSEHOLDS, _params(part))
    if not keys:
        return part
    taken = RegistryHousehold.objects.filter(
        pk__in=_household_ids(keys)).exclude(pk__in=scope_queryset(run.actor, RegistryHousehold.objects.all())
                                           .values("pk"))
    outside = list(taken.values_list("year", "registry_code"))
    for year, code in outside:
        _fail(part, "s.year = %(year)s AND s.code = %(code)s", "registry_household_code",
              _("This registry household code belongs to a household outside your area."), year=year, code=code)
    if outside:
        part.good = _count_good(part)
    return part


def _household_ids(keys) -> list[int]:
    years = [int(y) for y, _c in keys]
    codes = [c for _y, c in keys]
    return [pk for (pk,) in _execute(
        "SELECT rh.id FROM poverty_registry_registryhousehold rh "
        "JOIN unnest(%(years)s::smallint[], %(codes)s::text[]) k(year, code) "
        "ON rh.year = k.year AND rh.registry_code = k.code", {"years": years, "codes": codes})]


# -- merge ----------------------------------------------------------------------------------------

def merge_persons(part: StagedChunk) -> None:
    """New persons of the chunk, once each (the blind index is unique); known ones are left as they are.
    They are listed in the roster from this chunk on, so they come in with the roster flag set."""
    _execute(f"""INSERT INTO households_person (id_hash, id_encrypted, id_suffix_hash, key_state, name, name_pinyin,
                                                birth_date, sex, region_code, on_poverty_roster, created_at)
                 SELECT DISTINCT ON (s.id_hash) s.id_hash, s.id_enc, s.suffix_hash, s.key_state, s.name, s.pinyin,
                        s.birth_date, s.sex, s.region, TRUE, %(now)s
                 FROM {TABLE} s WHERE {_in_chunk()} AND s.err_column IS NULL AND s.id_enc IS NOT NULL
                 ORDER BY s.id_hash, s.row
                 ON CONFLICT (id_hash) DO NOTHING""", _params(part, now=timezone.now()))


def merge_households(run, part: StagedChunk) -> set[int]:
    """Upsert the households first seen in this chunk (from their first row); returns those created or changed."""
    incoming = f"""SELECT DISTINCT ON (s.year, s.code) s.* FROM {TABLE} s
        WHERE {_in_chunk()} AND s.err_column IS NULL
          AND NOT EXISTS (SELECT 1 FROM {TABLE} e WHERE e.year = s.year AND e.code = s.code
                          AND e.row < %(first)s AND e.err_column IS NULL)
        ORDER BY s.year, s.code, s.row"""
    changed = ("(rh.division_code, rh.status, rh.monitoring_type, rh.lifted_year, rh.annual_income_per_capita) "
               "IS DISTINCT FROM (i.division_code, i.status, i.monitoring_type, i.lifted_year, i.income)")
    # One statement: `old` reads the households as they were before the upsert (one snapshot for the whole
    # statement), the upsert returns the rows it inserted.
    rows = _execute(f"""WITH i AS MATERIALIZED ({incoming}),
        old AS (SELECT rh.id, {changed} AS changed FROM i JOIN poverty_registry_registryhousehold rh
                ON rh.year = i.year AND rh.registry_code = i.code),
        up AS (
        INSERT INTO poverty_registry_registryhousehold AS rh (year, registry_code, village_id, division_code, status,
            monitoring_type, lifted_year, annual_income_per_capita, import_job_id, created_at, updated_at)
        SELECT i.year, i.code, d.id, i.division_code, i.status, i.monitoring_type, i.lifted_year, i.income,
               %(job)s, %(now)s, %(now)s
        FROM i JOIN accounts_division d ON d.code = i.division_code
        ON CONFLICT (year, registry_code) DO UPDATE SET
            village_id = EXCLUDED.village_id, division_code = EXCLUDED.division_code, status = EXCLUDED.status,
            monitoring_type = EXCLUDED.monitoring_type, lifted_year = EXCLUDED.lifted_year,
            annual_income_per_capita = EXCLUDED.annual_income_per_capita, import_job_id = EXCLUDED.import_job_id,
            updated_at = CASE WHEN (rh.division_code, rh.status, rh.monitoring_type, rh.lifted_year,
                                    rh.annual_income_per_capita)
                                   IS DISTINCT FROM (EXCLUDED.division_code, EXCLUDED.status, EXCLUDED.monitoring_type,
                                                     EXCLUDED.lifted_year, EXCLUDED.annual_income_per_capita)
                              THEN EXCLUDED.updated_at ELSE rh.updated_at END
        RETURNING rh.id, (xmax = 0) AS inserted)
        SELECT id, TRUE, FALSE FROM up WHERE inserted
        UNION ALL SELECT id, FALSE, changed FROM old""", _params(part, job=run.job.pk, now=timezone.now()))
    new = {pk for pk, inserted, _changed in rows if inserted}
    written = {pk for pk, inserted, is_changed in rows if not inserted and is_changed}
    existing = sum(1 for _pk, inserted, _changed in rows if not inserted)
    run.counts["households_created"] += len(new)
    run.counts["households_updated"] += len(written)
    run.counts["households_unchanged"] += existing - len(written)
    return written | new


def merge_members(run, part: StagedChunk) -> set[int]:
    """Upsert the chunk's members; returns the households whose members were added or changed."""
    incoming = f"""SELECT rh.id AS hid, p.id AS pid, s.name, s.relationship, s.is_head
        FROM {TABLE} s
        JOIN poverty_registry_registryhousehold rh ON rh.year = s.year AND rh.registry_code = s.code
        JOIN households_person p ON p.id_hash = s.id_hash
        WHERE {_in_chunk()} AND s.err_column IS NULL"""
    # One statement: `old` compares with the members as they were before the upsert (one snapshot for the
    # whole statement); every member gets this job's id, so the ones the file no longer lists stand out.
    (total, created, updated, changed), = _execute(f"""WITH i AS MATERIALIZED ({incoming}),
        old AS (SELECT i.hid, m.id IS NULL AS is_new,
                       (m.name, m.relationship, m.is_head) IS DISTINCT FROM (i.name, i.relationship, i.is_head) AS differs
                FROM i LEFT JOIN poverty_registry_registrymember m
                ON m.registry_household_id = i.hid AND m.person_id = i.pid),
        up AS (
        INSERT INTO poverty_registry_registrymember (registry_household_id, person_id, name, relationship, is_head,
                                                     import_job_id)
        SELECT i.hid, i.pid, i.name, i.relationship, i.is_head, %(job)s FROM i
        ON CONFLICT (registry_household_id, person_id) DO UPDATE SET name = EXCLUDED.name,
            relationship = EXCLUDED.relationship, is_head = EXCLUDED.is_head, import_job_id = EXCLUDED.import_job_id
        RETURNING 1)
        SELECT COUNT(*), COUNT(*) FILTER (WHERE is_new), COUNT(*) FILTER (WHERE NOT is_new AND differs),
               COALESCE(array_agg(DISTINCT hid) FILTER (WHERE is_new OR differs), '{{}}')
        FROM old""", _params(part, job=run.job.pk))  # `up` runs to completion unread (a data-modifying WITH)
    if total != len(part):
        # A person found in the index when the chunk was staged is gone (or a household row is): never write
        # part of a chunk; the job fails and says so (its transaction, and this upsert, roll back).
        raise RuntimeError(f"rows {part.first}-{part.last}: {len(part) - total} rows lost their person "
                           f"or household while importing")
    run.counts["members_created"] += created
    run.counts["members_updated"] += updated
    run.counts["members_unchanged"] += total - created - updated
    # Listed now, so on the roster (poverty_registry.models.persons_roster_flags_refresh, set-based: a member
    # was only added here, so the flag can only turn on).
    _execute(f"""UPDATE households_person p SET on_poverty_roster = TRUE
                 FROM {TABLE} s WHERE {_in_chunk()} AND s.err_column IS NULL AND p.id_hash = s.id_hash
                 AND NOT p.on_poverty_roster""", _params(part))
    return set(changed)


def report_errors(run, part: StagedChunk) -> None:
    """The chunk's failed rows, in row order, from the staging table."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT row, err_column, err_reason, raw FROM {TABLE} s "
                       f"WHERE {_in_chunk()} AND s.err_column IS NOT NULL ORDER BY row", _params(part))
        for row, column, reason, raw in cursor.fetchall():
            run._error(row, column, reason, _raw_values(raw))


def failed_household_ids(run) -> list[int]:
    """This run's households with a failed row: they keep the members the file no longer lists."""
    return [pk for (pk,) in _execute(f"""
        SELECT DISTINCT rh.id FROM {TABLE} s JOIN poverty_registry_registryhousehold rh
        ON rh.year = s.key_year AND rh.registry_code = s.key_code
        WHERE s.err_column IS NOT NULL AND rh.import_job_id = %(job)s""", {"job": run.job.pk})]

