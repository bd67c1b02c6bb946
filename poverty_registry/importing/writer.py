"""The set-based import of a registry file: chunks of rows, bulk person resolution, bulk upserts.

On PostgreSQL every step below takes its set-based form in staging.py: the chunk is COPYed into a staging
table and checked and merged there in SQL, with no per-household state in Python. What follows describes
the embedded path (SQLite, the default without a DATABASE_URL), which keeps the same steps with the ORM;
the job's counts, progress, resume and error report are the same on both.

Per chunk (CHUNK_SIZE rows): validate every row, resolve persons with one SELECT on the blind
index plus one bulk INSERT ... ON CONFLICT DO NOTHING for the new ones, then upsert households
and members with INSERT ... ON CONFLICT DO UPDATE. Each chunk commits on its own so progress is
visible; what the file said twice or wrongly is reported per row and never written.
Memory stays bounded: besides the current chunk, a run keeps only one small entry per
household and one integer per member row (for duplicate detection), never the rows.

A run is safe to repeat: a worker killed mid-import has its task redelivered, and the job runs
again from the first row (the upserts write the same values again). The job's counts are saved in
each chunk's transaction, so they always describe exactly the chunks committed; the repeat takes the
created/updated/unchanged figures of those chunks from there (in the database they now look
unchanged, since the interrupted run wrote them) and reports what the file did, not what the
second attempt found.
"""

import hashlib
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Division, Level
from accounts.scoping import code_in_scope, scope_queryset
from audit import feed
from dibao import filecrypt
from dibao.spreadsheets import CsvRows, spreadsheet_writer
from households import crypto
from households.idnumber import mask, normalize
from households.models import Person
from households.persons import name_to_pinyin
from poverty_registry.importing import staging
from poverty_registry.importing.reader import COLUMNS, FORMULA, FileInfo, iter_rows
from poverty_registry.importing.rows import CleanRow, HouseholdFields, RowError, clean_row
from poverty_registry.models import RegistryHousehold, RegistryMember, persons_roster_flags_refresh

logger = logging.getLogger(__name__)

CHUNK_SIZE = 2000
ERRORS_KEPT_ON_JOB = 200
HOUSEHOLD_UPDATE_FIELDS = ["village", "division_code", "status", "monitoring_type", "lifted_year",
                           "annual_income_per_capita", "import_job", "updated_at"]
COMPARED_FIELDS = ("division_code", "status", "monitoring_type", "lifted_year", "annual_income_per_capita")
COUNT_KEYS = ("rows_read", "rows_imported", "rows_failed", "households_created", "households_updated",
              "households_unchanged", "members_created", "members_updated", "members_unchanged", "members_removed",
              "members_to_remove")
# What a row did to the database: the counts a repeated run cannot see again once the rows are written.
OUTCOME_KEYS = ("households_created", "households_updated", "households_unchanged", "members_created",
                "members_updated", "members_unchanged")


@dataclass(slots=True)
class _HouseholdSeen:
    first_row: int
    fields: HouseholdFields
    head_row: int = 0
    pk: int | None = None
    failed: bool = False


@dataclass
class ImportRun:
    job: object
    path: Path
    info: FileInfo
    actor: object
    expected_year: int | None = None
    total_rows: int = 0
    on_progress: object = None
    resume_counts: dict | None = None  # the counts an interrupted run of this job saved
    counts: dict = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    errors: list = field(default_factory=list)
    error_file: str = ""
    pending_removals: list = field(default_factory=list)

    def __post_init__(self):
        self.today = timezone.localdate()
        self._households: dict[tuple[int, str], _HouseholdSeen] = {}
        self._member_rows: dict[int, int] = {}  # 8-byte digest of (year, code, id) -> first row
        self._villages: dict[str, int | None] = {}
        self._error_fh = None
        self._error_writer = None
        # PostgreSQL: COPY into a staging table, checks and merge in SQL (staging.py). Elsewhere (the embedded
        # SQLite default) the same steps with the ORM, the file's state in the maps above.
        self.staged = connection.vendor == "postgresql"

    def clean(self, row_number: int, values: dict) -> CleanRow:
        return clean_row(row_number, values, expected_year=self.expected_year, today=self.today)

    @staticmethod
    def pinyin(name: str) -> str:
        return _pinyin(name)

    # -- errors ---------------------------------------------------------------------------
    def _error(self, row: int, column: str, reason: str, values: dict) -> None:
        self.counts["rows_failed"] += 1
        if len(self.errors) < ERRORS_KEPT_ON_JOB:
            self.errors.append({"row": row, "column": column, "reason": str(reason)})
        if self._error_writer is None:
            relative = Path("imports") / f"registry-import-{self.job.pk}-errors.csv"
            target = Path(settings.VAR_DIR) / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            self._error_fh, self._error_writer = error_file_open(target)
            self.error_file = str(relative)
        cells = [_error_cell(values.get(c, "")) for c in COLUMNS]
        if column != "id_number":
            # The officer has the original file; the report need not carry valid ID numbers in clear.
            cells[COLUMNS.index("id_number")] = mask(normalize(str(values.get("id_number", ""))))
        self._error_writer.writerow([row, column, reason, *cells])

    def close(self) -> None:
        if self._error_fh is not None:
            self._error_fh.close()
            self._error_fh = None

    # -- the run --------------------------------------------------------------------------
    def run(self) -> dict:
        chunk: list[tuple[int, dict]] = []
        if self.staged:
            staging.create_table()
        try:
            for row_number, values in iter_rows(self.path, self.info):
                chunk.append((row_number, values))
                if len(chunk) >= CHUNK_SIZE:
                    self._process_chunk(chunk)
                    chunk = []
            if chunk:
                self._process_chunk(chunk)
            self._remove_members_not_listed()
        finally:
            self.close()
            if self.staged:
                staging.drop_table()
        return self.counts

    def _report_progress(self) -> None:
        """Called inside the transaction that writes the rows counted, so saved counts match the data."""
        if self.on_progress is not None:
            total = max(self.total_rows, self.counts["rows_read"], 1)
            self.on_progress(min(99, int(self.counts["rows_read"] * 100 / total)), dict(self.counts))

    def _process_chunk(self, chunk: list[tuple[int, dict]]) -> None:
        self.counts["rows_read"] += len(chunk)
        good = self._validate(chunk)
        good = self._check_existing_households(good)
        if self.staged:
            staging.report_errors(self, good)
        with transaction.atomic():
            if self.staged:
                # The chunk's commit does not wait for its WAL to reach the disk: the job's closing commits (its
                # audit event, succeeded: after every chunk) do, and WAL is written in order, so a finished
                # import is as durable as before. A server crash in between loses the last chunks together with
                # the counts and change-feed rows committed with them, and the import runs again from row 1.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
            if good:
                persons = self._resolve_persons(good)
                households, written = self._upsert_households(good)
                written |= self._upsert_members(good, persons, households)
                # No audit event per row here: the households this chunk changed go to the change
                # feed (the shared registry's check) with the chunk's commit.
                feed.changed(RegistryHousehold._meta.label_lower, sorted(written))
            self.counts["rows_imported"] += len(good)
            resumed = self.resume_counts or {}
            if resumed.get("rows_read", 0) >= self.counts["rows_read"]:
                # An interrupted run of this job committed this chunk: its outcome was counted then.
                for key in OUTCOME_KEYS:
                    self.counts[key] = resumed.get(key, 0)
            self._report_progress()

    def _validate(self, chunk) -> list[tuple[CleanRow, dict]] | staging.StagedChunk:
        if self.staged:
            return staging.stage(self, chunk)
        cleaned = []
        for row_number, values in chunk:
            try:
                cleaned.append((self.clean(row_number, values), values))
            except RowError as exc:
                self._error(row_number, exc.column, exc.reason, values)
                self._mark_failed(values)
        self._load_villages({c.household.division_code for c, _v in cleaned})
        good = []
        for row, values in cleaned:
            try:
                self._check_row_in_file(row)
            except RowError as exc:
                self._error(row.row, exc.column, exc.reason, values)
                self._mark_failed(values, row.household)
                continue
            good.append((row, values))
        return good

    def _mark_failed(self, values: dict, household: HouseholdFields | None = None) -> None:
        key = (household.year, household.registry_code) if household else None
        if key is None:
            try:
                key = (int(str(values.get("year", "")).strip()), str(values.get("registry_household_code", "")))
            except ValueError:
                return
        seen = self._households.get(key)
        if seen is not None:
            seen.failed = True
        else:
            # Remember the household as having a failed row, so members are not removed from it.
            self._households[key] = _HouseholdSeen(first_row=0, fields=None, failed=True)

    def _load_villages(self, codes: set[str]) -> None:
        wanted = [c for c in codes if c not in self._villages and code_in_scope(self.actor, c)]
        if wanted:
            found = dict(Division.objects.filter(code__in=wanted, level=Level.VILLAGE).values_list("code", "id"))
            for code in wanted:
                self._villages[code] = found.get(code)

    def _check_row_in_file(self, row: CleanRow) -> None:
        h = row.household
        if not code_in_scope(self.actor, h.division_code):
            raise RowError("division_code", _("The village %(code)s is outside your area; you may import only "
                                              "villages of your own county.") % {"code": h.division_code})
        if self._villages.get(h.division_code) is None:
            raise RowError("division_code", _("There is no village with the code %(code)s.") % {"code": h.division_code})
        key = (h.year, h.registry_code)
        digest = int.from_bytes(hashlib.blake2b(f"{h.year}|{h.registry_code}|{row.id_info.number}".encode(),
                                                digest_size=8).digest(), "big")
        first = self._member_rows.get(digest)
        if first is not None:
            raise RowError("id_number", _("Duplicate row: this person is already listed in this household in row "
                                          "%(row)d.") % {"row": first})
        seen = self._households.get(key)
        if seen is None or seen.fields is None:
            failed = seen.failed if seen else False
            seen = _HouseholdSeen(first_row=row.row, fields=h, failed=failed)
            self._households[key] = seen
        elif seen.fields != h:
            column = next(c for c in COMPARED_FIELDS if getattr(seen.fields, c) != getattr(h, c))
            raise RowError(_file_column(column), _("Row %(row)d gives this household a different %(column)s "
                                                   "(%(first)s); every row of a household must agree.")
                           % {"row": seen.first_row, "column": _file_column(column),
                              "first": getattr(seen.fields, column)})
        if row.is_head:
            if seen.head_row:
                raise RowError("is_head", _("The household already has a head in row %(row)d.") % {"row": seen.head_row})
            seen.head_row = row.row
        self._member_rows[digest] = row.row

    def _check_existing_households(self, good):
        """A registry code that already belongs to a household outside the importer's area is refused."""
        if self.staged:
            return staging.refuse_foreign_households(self, good)
        keys_by_year: dict[int, set[str]] = {}
        for row, _values in good:
            if self._households[(row.household.year, row.household.registry_code)].pk is None:
                keys_by_year.setdefault(row.household.year, set()).add(row.household.registry_code)
        if not keys_by_year:
            return good
        query = Q()
        for year, codes in keys_by_year.items():
            query |= Q(year=year, registry_code__in=codes)
        taken = RegistryHousehold.objects.filter(query)
        outside = set(taken.exclude(pk__in=scope_queryset(self.actor, taken).values("pk"))
                      .values_list("year", "registry_code"))
        if not outside:
            return good
        kept = []
        for row, values in good:
            key = (row.household.year, row.household.registry_code)
            if key in outside:
                self._error(row.row, "registry_household_code",
                            _("This registry household code belongs to a household outside your area."), values)
                self._households[key].failed = True
            else:
                kept.append((row, values))
        return kept

    def _resolve_persons(self, good) -> dict[str, int]:
        """{current blind index: person id}; rows stored under an older key (a rotation under way) are
        found through every blind index of the number, so no person is created twice."""
        if self.staged:
            staging.merge_persons(good)
            return {}
        ring = crypto.keyring()
        infos, aliases = {}, {}
        for row, _values in good:
            digest = ring.blind_index(row.id_info.number)
            if digest not in infos:
                infos[digest] = (row.id_info, row.name)
                for alias in ring.blind_indexes(row.id_info.number):
                    aliases[alias] = digest
        found = {aliases[h]: pk for h, pk in Person.objects.filter(id_hash__in=list(aliases))
                 .values_list("id_hash", "id")}
        missing = [h for h in infos if h not in found]
        if missing:
            new = []
            for digest in missing:
                info, name = infos[digest]
                new.append(Person(**crypto.person_key_fields(info.number, name, ring), name=name,
                                  name_pinyin=_pinyin(name), birth_date=info.birth_date, sex=info.sex,
                                  region_code=info.region))
            Person.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
            found.update(Person.objects.filter(id_hash__in=missing).values_list("id_hash", "id"))
        return found

    def _upsert_households(self, good) -> tuple[dict[tuple[int, str], int], set[int]]:
        """{(year, code): id} of the chunk's households, and the ids of those created or changed."""
        if self.staged:
            return {}, staging.merge_households(self, good)
        written_keys = []
        pending: dict[tuple[int, str], HouseholdFields] = {}
        for row, _values in good:
            key = (row.household.year, row.household.registry_code)
            if self._households[key].pk is None:
                pending[key] = row.household
        if pending:
            query = Q()
            for year in {k[0] for k in pending}:
                query |= Q(year=year, registry_code__in=[k[1] for k in pending if k[0] == year])
            existing = {(h["year"], h["registry_code"]): h for h in RegistryHousehold.objects.filter(query).values(
                "id", "year", "registry_code", *COMPARED_FIELDS)}
            now = timezone.now()
            to_write, unchanged_ids = [], []
            for key, h in pending.items():
                old = existing.get(key)
                if old is not None and all(old[f] == getattr(h, f) for f in COMPARED_FIELDS):
                    unchanged_ids.append(old["id"])
                    self.counts["households_unchanged"] += 1
                    continue
                self.counts["households_updated" if old else "households_created"] += 1
                written_keys.append(key)
                to_write.append(RegistryHousehold(
                    year=h.year, registry_code=h.registry_code, village_id=self._villages[h.division_code],
                    division_code=h.division_code, status=h.status, monitoring_type=h.monitoring_type,
                    lifted_year=h.lifted_year, annual_income_per_capita=h.annual_income_per_capita,
                    import_job_id=self.job.pk, updated_at=now))
            if to_write:
                RegistryHousehold.objects.bulk_create(
                    to_write, update_conflicts=True, unique_fields=["year", "registry_code"],
                    update_fields=HOUSEHOLD_UPDATE_FIELDS, batch_size=1000)
            if unchanged_ids:
                RegistryHousehold.objects.filter(pk__in=unchanged_ids).update(import_job_id=self.job.pk)
            ids = RegistryHousehold.objects.filter(query).values_list("year", "registry_code", "id")
            for year, code, pk in ids:
                if (year, code) in pending:
                    self._households[(year, code)].pk = pk
        households = {key: self._households[key].pk for key in
                      {(r.household.year, r.household.registry_code) for r, _v in good}}
        return households, {self._households[key].pk for key in written_keys}

    def _upsert_members(self, good, persons: dict[str, int], households: dict) -> set[int]:
        """Upsert the chunk's members; returns the ids of the households whose members changed."""
        if self.staged:
            return staging.merge_members(self, good)
        rows = []
        for row, _values in good:
            rows.append((households[(row.household.year, row.household.registry_code)],
                         persons[crypto.blind_index(row.id_info.number)], row))
        existing = {(m["registry_household_id"], m["person_id"]): m for m in RegistryMember.objects.filter(
            registry_household_id__in={r[0] for r in rows}, person_id__in={r[1] for r in rows}).values(
            "registry_household_id", "person_id", "name", "relationship", "is_head")}
        objs, changed = [], set()
        for household_id, person_id, row in rows:
            old = existing.get((household_id, person_id))
            if old is None:
                self.counts["members_created"] += 1
                changed.add(household_id)
            elif (old["name"], old["relationship"], old["is_head"]) == (row.name, row.relationship, row.is_head):
                self.counts["members_unchanged"] += 1
            else:
                self.counts["members_updated"] += 1
                changed.add(household_id)
            objs.append(RegistryMember(registry_household_id=household_id, person_id=person_id, name=row.name,
                                       relationship=row.relationship, is_head=row.is_head,
                                       import_job_id=self.job.pk))
        RegistryMember.objects.bulk_create(
            objs, update_conflicts=True, unique_fields=["registry_household", "person"],
            update_fields=["name", "relationship", "is_head", "import_job"], batch_size=1000)
        persons_roster_flags_refresh({person_id for _h, person_id, _row in rows})
        return changed

    def _remove_members_not_listed(self) -> None:
        """A re-import is the household's whole member list: members it no longer lists would leave.

        Households with a failed row keep their other members (the file is incomplete for them).
        Nobody is removed here: the members who would leave are listed in `pending_removals`, and
        leave only when a county officer confirms the list (poverty_registry.removals).
        """
        if self.staged:
            failed_ids = staging.failed_household_ids(self)
        else:
            failed_ids = [s.pk for s in self._households.values() if s.failed and s.pk]
        stale = RegistryMember.objects.filter(registry_household__import_job_id=self.job.pk).exclude(
            import_job_id=self.job.pk)
        if failed_ids:
            stale = stale.exclude(registry_household_id__in=failed_ids)
        self.pending_removals = removals_describe(stale)
        self.counts["members_to_remove"] = len(self.pending_removals)


def mask_name(name: str) -> str:
    """The family name and a star per other character: enough to recognise, not to disclose."""
    name = (name or "").strip()
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def removals_describe(members) -> list[dict]:
    """The members a re-import would remove, as the officer confirms them: masked name, household, village."""
    rows = members.select_related("registry_household__village").order_by(
        "registry_household__division_code", "registry_household__registry_code", "id")
    return [{"household_id": m.registry_household_id, "person_id": m.person_id, "name": mask_name(m.name),
             "household": m.registry_household.registry_code, "year": m.registry_household.year,
             "village": m.registry_household.village.name if m.registry_household.village_id else "",
             "village_code": m.registry_household.division_code} for m in rows]


@lru_cache(maxsize=50_000)
def _pinyin(name: str) -> str:
    """Names repeat a lot in a county's roster; pinyin conversion is the costliest step per new person."""
    return name_to_pinyin(name)


def _file_column(model_field: str) -> str:
    return model_field


def _error_cell(value):
    """A formula read from the XLSX is named, not written back (dibao.spreadsheets makes the rest inert)."""
    return "(formula)" if value is FORMULA else value


@spreadsheet_writer("poverty_registry.import_errors")
def error_file_open(target: Path):
    """The error CSV of an import: (the open file, its writer), the header written.

    Encrypted at rest and 0600 (dibao.filecrypt): the file appears, complete, when the handle is closed.
    """
    # utf-8-sig so Excel opens the Chinese text correctly.
    handle = ErrorFile(target)
    writer = CsvRows(handle)
    writer.writerow(["row", "column", "reason", *COLUMNS])
    return handle, writer


class ErrorFile:
    """The error list's text stream, encrypted as it is written; `close()` completes the file."""

    def __init__(self, target: Path):
        self._context = filecrypt.writer(target, text_encoding="utf-8-sig", newline="")
        self._stream = self._context.__enter__()

    def write(self, text: str) -> int:
        return self._stream.write(text)

    def close(self) -> None:
        if self._context is not None:
            context, self._context = self._context, None
            context.__exit__(None, None, None)
