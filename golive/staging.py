"""The dry run: the roster file streamed into the staging table, checked as a set, summarised per village.

Per chunk of rows: each row validated (golive.rows: ID number checked, encrypted and blind-indexed in the
same pass), then the chunk written to golive_stagedrow in one COPY on PostgreSQL (one bulk INSERT on SQLite,
the embedded mode). The checks that need the whole file or the database run afterwards as set operations
over the staged rows: a person already in another active household, households with an error row (refused
whole: a household is never brought in with members missing), and whether each household is new, changed
or unchanged since a previous run (a fingerprint per household, the sum of its rows' hashes).
Memory stays flat: besides the chunk, a run keeps one small entry per household and one integer per member.
"""

import hashlib
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Sum
from django.utils.translation import gettext as _

from accounts.models import Division, Level
from dibao import filecrypt
from dibao.spreadsheets import CsvRows, spreadsheet_writer
from golive.bulk import copy_text
from golive.layout import COLUMNS
from golive.models import MigratedHousehold, RosterBatch, RowAction, StagedRow
from golive.rows import RowError, clean_row, household_fields
from households import crypto
from households.models import Member
from tabular.reading import FileInfo, iter_rows

CHUNK_SIZE = 2000
ERRORS_KEPT = 200
STAGED_FIELDS = [f for f in StagedRow._meta.concrete_fields if f.name != "id"]
HOUSEHOLD_COLUMN_NAMES = ("village_code", "address", "phone", "category", "monthly_amount", "approved_on",
                          "gradual_exit_until", "next_review_on", "bank_name", "bank_account")


@dataclass(slots=True)
class _Seen:
    first_row: int
    fields: tuple
    head_row: int = 0


@dataclass
class DryRun:
    batch: RosterBatch
    path: Path
    info: FileInfo
    today: date
    total_rows: int = 0
    on_progress: object = None
    rows_read: int = 0
    errors: list = field(default_factory=list)
    _households: dict = field(default_factory=dict)
    _persons: dict = field(default_factory=dict)
    _villages: dict = field(default_factory=dict)

    def run(self) -> dict:
        StagedRow.objects.filter(batch=self.batch).delete()  # a repeated dry run starts again
        chunk = []
        for row_number, values in iter_rows(self.path, self.info, COLUMNS):
            chunk.append((row_number, values))
            if len(chunk) >= CHUNK_SIZE:
                self._stage(chunk)
                chunk = []
        if chunk:
            self._stage(chunk)
        with transaction.atomic():
            self._check_heads()
            self._check_persons_elsewhere()
            self._refuse_households_with_errors()
            self._classify()
        return self._summary()

    # -- per chunk -------------------------------------------------------------------------------------
    def _stage(self, chunk) -> None:
        ring = crypto.keyring()
        staged = []
        self._load_villages({v.get("village_code", "") for _r, v in chunk})
        for row_number, values in chunk:
            try:
                out = clean_row(values, today=self.today, ring=ring)
                self._check_in_file(row_number, out)
            except RowError as exc:
                staged.append({"batch_id": self.batch.pk, "row": row_number,
                               "household_code": _safe(values.get("household_code"))[:40],
                               "village_code": _safe(values.get("village_code"))[:12],
                               "member_name": _safe(values.get("member_name"))[:50],
                               "error_column": exc.column, "error_reason": exc.reason[:300],
                               "action": RowAction.REFUSED})
                continue
            out["village_id"] = self._villages[out["village_code"]]
            out["batch_id"], out["row"] = self.batch.pk, row_number
            out.update(StagedRow.contact.seal_columns((out.pop("phone"), out.pop("bank_account")), self.batch.pk,
                                                      row_number, ring=ring))
            staged.append(out)
        write_staged(staged)
        self.rows_read += len(chunk)
        if self.on_progress is not None:
            self.on_progress(min(90, int(self.rows_read * 90 / max(self.total_rows, self.rows_read, 1))),
                             {"rows_read": self.rows_read})

    def _load_villages(self, codes) -> None:
        wanted = [c for c in codes if isinstance(c, str) and c not in self._villages]
        if wanted:
            found = dict(Division.objects.filter(code__in=wanted, level=Level.VILLAGE).values_list("code", "id"))
            for code in wanted:
                self._villages[code] = found.get(code)

    def _check_in_file(self, row_number: int, out: dict) -> None:
        code = out["village_code"]
        if not code.startswith(self.batch.county_code[:6]):
            raise RowError("village_code", _("The village %(code)s is outside your county; you may import only "
                                             "villages of your own county.") % {"code": code})
        if self._villages.get(code) is None:
            raise RowError("village_code", _("There is no village with the code %(code)s.") % {"code": code})
        digest = int.from_bytes(hashlib.blake2b(out["id_hash"].encode(), digest_size=8).digest(), "big")
        first = self._persons.get(digest)
        if first is not None:
            raise RowError("id_number", _("This person is already listed in row %(row)d: a person belongs to one "
                                          "household only.") % {"row": first})
        fields = household_fields(out)
        seen = self._households.get(out["household_code"])
        if seen is None:
            seen = self._households[out["household_code"]] = _Seen(first_row=row_number, fields=fields)
        elif seen.fields != fields:
            column = next(c for c, a, b in zip(HOUSEHOLD_COLUMN_NAMES, seen.fields, fields, strict=True) if a != b)
            raise RowError(column, _("Row %(row)d gives this household a different %(column)s; every row of a "
                                     "household must agree.") % {"row": seen.first_row, "column": column})
        if out["is_head"]:
            if seen.head_row:
                raise RowError("is_head", _("The household already has a head in row %(row)d.")
                               % {"row": seen.head_row})
            seen.head_row = row_number
        self._persons[digest] = row_number

    # -- over the whole batch (set-based) ----------------------------------------------------------------
    def _check_heads(self) -> None:
        headless = [code for code, seen in self._households.items() if not seen.head_row]
        for start in range(0, len(headless), 1000):
            part = headless[start:start + 1000]
            first_rows = [self._households[c].first_row for c in part]
            StagedRow.objects.filter(batch=self.batch, row__in=first_rows, error_reason="").update(
                error_column="relationship", action=RowAction.REFUSED,
                error_reason=_("The household has no head: one member's relationship must be 户主 (head)."))

    def _check_persons_elsewhere(self) -> None:
        """One active household per person: a member of another household (not this code's) is refused."""
        ours = MigratedHousehold.objects.filter(household=OuterRef("household"), county_code=self.batch.county_code,
                                                household_code=OuterRef(OuterRef("household_code")))
        elsewhere = (Member.objects.filter(is_active=True, person__id_hash=OuterRef("id_hash"))
                     .exclude(Exists(ours)))
        StagedRow.objects.filter(batch=self.batch, error_reason="").filter(Exists(elsewhere)).update(
            error_column="id_number", action=RowAction.REFUSED,
            error_reason=_("This person is already an active member of another household; a person belongs to one "
                           "household. Remove them there first."))

    def _refuse_households_with_errors(self) -> None:
        bad = (StagedRow.objects.filter(batch=self.batch).exclude(error_reason="").exclude(household_code="")
               .values("household_code"))
        StagedRow.objects.filter(batch=self.batch, household_code__in=bad).update(action=RowAction.REFUSED)

    def _classify(self) -> None:
        groups = (StagedRow.objects.filter(batch=self.batch, action="").values("household_code")
                  .annotate(fp=Sum("row_hash"), n=Count("id")).order_by("household_code"))
        pending = []
        for group in groups.iterator(chunk_size=2000):
            pending.append((group["household_code"], fingerprint(group["n"], group["fp"])))
            if len(pending) >= 1000:
                self._classify_part(pending)
                pending = []
        if pending:
            self._classify_part(pending)

    def _classify_part(self, part) -> None:
        links = dict(MigratedHousehold.objects.filter(county_code=self.batch.county_code,
                                                      household_code__in=[c for c, _f in part])
                     .values_list("household_code", "fingerprint"))
        by_action = {RowAction.CREATE: [], RowAction.UPDATE: [], RowAction.UNCHANGED: []}
        for code, fp in part:
            if code not in links:
                by_action[RowAction.CREATE].append(code)
            elif links[code] == fp:
                by_action[RowAction.UNCHANGED].append(code)
            else:
                by_action[RowAction.UPDATE].append(code)
        for action, codes in by_action.items():
            if codes:
                StagedRow.objects.filter(batch=self.batch, household_code__in=codes, action="").update(action=action)

    def _summary(self) -> dict:
        villages: dict[str, dict] = {}
        totals = {"rows": 0, **{f"{a}_households": 0 for a in RowAction.values}, **{f"{a}_rows": 0 for a in RowAction.values}}
        grouped = (StagedRow.objects.filter(batch=self.batch).values("village_code", "action")
                   .annotate(households=Count("household_code", distinct=True), rows=Count("id"))
                   .order_by("village_code"))
        for g in grouped:
            v = villages.setdefault(g["village_code"] or "", {
                "code": g["village_code"] or "", **{f"{a}_households": 0 for a in RowAction.values},
                **{f"{a}_rows": 0 for a in RowAction.values}})
            v[f"{g['action']}_households"] += g["households"]
            v[f"{g['action']}_rows"] += g["rows"]
            totals[f"{g['action']}_households"] += g["households"]
            totals[f"{g['action']}_rows"] += g["rows"]
            totals["rows"] += g["rows"]
        names = dict(Division.objects.filter(code__in=[c for c in villages if c]).values_list("code", "name"))
        for code, v in villages.items():
            v["name"] = names.get(code, "")
        errors = StagedRow.objects.filter(batch=self.batch).exclude(error_reason="").order_by("row")
        totals["error_rows"] = errors.count()
        self.errors = [{"row": e.row, "column": e.error_column, "reason": e.error_reason}
                       for e in errors[:ERRORS_KEPT]]
        return {"totals": totals, "villages": sorted(villages.values(), key=lambda v: v["code"])}


def fingerprint(rows: int, hash_sum) -> str:
    return f"{rows}:{int(hash_sum or 0)}"


def _safe(value) -> str:
    """A cell as text for an error row; a formula (tabular.reading.FORMULA) or nothing is empty."""
    return value if isinstance(value, str) else ""


def write_staged(rows: list[dict]) -> None:
    """The rows ({attname: value}, the others take their defaults): one COPY on PostgreSQL, one bulk INSERT
    elsewhere."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        StagedRow.objects.bulk_create([StagedRow(**row) for row in rows], batch_size=500)
        return
    buffer = io.StringIO()
    defaults = [(f.attname, f.get_default()) for f in STAGED_FIELDS]
    for row in rows:
        buffer.write("\t".join(copy_text(row.get(name, default)) for name, default in defaults))
        buffer.write("\n")
    buffer.seek(0)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in STAGED_FIELDS)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {StagedRow._meta.db_table} ({columns}) FROM STDIN", buffer)


@spreadsheet_writer("golive.row_errors")
def write_error_file(batch: RosterBatch) -> str:
    """The dry run's row errors as CSV (row, column, reason, household, name); returns its path under VAR_DIR."""
    relative = Path("imports") / f"roster-errors-{batch.pk}.csv"
    target = Path(settings.VAR_DIR) / relative
    # Names and household codes: encrypted at rest, 0600 (dibao.filecrypt); decrypted as it is downloaded.
    with filecrypt.writer(target, text_encoding="utf-8-sig", newline="") as handle:
        writer = CsvRows(handle)
        writer.writerow([_("row"), _("column"), _("reason"), "household_code", "member_name"])
        rows = (StagedRow.objects.filter(batch=batch).exclude(error_reason="").order_by("row")
                .values_list("row", "error_column", "error_reason", "household_code", "member_name"))
        for row in rows.iterator(chunk_size=2000):
            writer.writerow(row)
    return str(relative)
