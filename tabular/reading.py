"""Reading an import file (CSV in UTF-8 / GBK / GB18030, or XLSX) as a stream of rows keyed by code names.

Shared by every import (the poverty registry's, the recipient roster's); each names its columns in a
`Layout`. `inspect_file` runs at upload time and refuses at once what can never be imported (not CSV or
XLSX, empty, binary, no header row, missing columns, too large), finding the header row under a title row
or two and naming the headers it could not match. `iter_rows` streams the rows: the whole file is never
held in memory. Headers and enumerated values are read through the synonym tables (tabular.synonyms): the
rows come out with the English code names and values whatever language the file was written in.
"""

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from django.utils.translation import gettext as _

from dibao import filecrypt
from dibao.errors import DomainError
from tabular.synonyms import chinese_header, normalise, synonyms_for

SNIFF_BYTES = 64 * 1024
HEADER_SEARCH_ROWS = 5  # a title row or two (sometimes a blank line or a date line) stand above the header
FORMULA = object()  # marks an XLSX cell holding a formula (never evaluated)
ENCODINGS = ("utf-8-sig", "gb18030")  # GB18030 reads GBK files too (it is a superset)


class ImportRefused(DomainError):
    status_code = 400
    default_code = "import_refused"


class FileBroken(Exception):
    """The file turned out unreadable past the part checked at upload (row number, reason)."""

    def __init__(self, row: int, reason: str):
        self.row, self.reason = row, reason
        super().__init__(f"row {row}: {reason}")


@dataclass(frozen=True)
class Layout:
    """What one kind of import file holds: its code names, the required ones, its kind for the synonyms."""

    file_kind: str
    columns: tuple[str, ...]
    required: tuple[str, ...]


@dataclass
class FileInfo:
    format: str  # "csv" or "xlsx"
    encoding: str = ""  # csv only
    header: list[str] = field(default_factory=list)  # the code name of each column ("" for one not matched)
    header_row: int = 1  # row number of the header (1 = first row)
    skip_rows: int = 0  # rows after the header that repeat it (the English code names under the Chinese)
    unknown: list[str] = field(default_factory=list)  # headers not matched (ignored)
    county_code: str = ""
    file_kind: str = ""

    def as_params(self) -> dict:
        return {"format": self.format, "encoding": self.encoding, "header": self.header,
                "header_row": self.header_row, "skip_rows": self.skip_rows, "unknown": self.unknown,
                "county_code": self.county_code, "file_kind": self.file_kind}

    @classmethod
    def from_params(cls, params: dict) -> "FileInfo":
        return cls(**{k: params[k] for k in ("format", "encoding", "header", "header_row", "skip_rows", "unknown",
                                              "county_code", "file_kind") if k in params})


def encoding_label(encoding: str) -> str:
    return "UTF-8" if encoding.startswith("utf") else "GB18030"


def detect_encoding(sample: bytes, complete: bool) -> str:
    """UTF-8 (a BOM is dropped) strictly, else GB18030 strictly (GBK included); anything else is refused."""
    if b"\x00" in sample:
        raise ImportRefused(_("This is not a CSV text file (it contains binary data)."), code="not_text")
    for encoding in ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            text = decoder.decode(sample, final=complete)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n")
        if controls > max(2, len(text) // 1000):
            raise ImportRefused(_("This is not a CSV text file (it contains control characters)."), code="not_text")
        return encoding
    raise ImportRefused(
        _("The file's text encoding is not recognised: save the CSV as UTF-8, GBK or GB18030."), code="bad_encoding")


def _match(cells, headers: dict[str, str]) -> list[str]:
    return [headers.get(normalise(c), "") for c in cells]


def _header_of(rows: list[list], layout: Layout, headers: dict[str, str]) -> tuple[int, list[str], list]:
    """(index of the header among `rows`, its code names, its cells); ImportRefused when there is none."""
    needed = min(2, len(layout.required))
    best, fallback = None, None
    for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        matched = _match(cells, headers)
        hits = len({m for m in matched if m})
        if hits >= needed:
            return index, matched, cells
        if hits and fallback is None:
            fallback = (index, matched, cells)
        filled = [c for c in cells if str(c if c is not None else "").strip()]
        if filled and (best is None or len(filled) > len(best)):
            best = filled
    if fallback is not None:
        return fallback  # a header naming too few columns: refused below, naming the missing ones
    expected = "、".join(f"{chinese_header(layout.file_kind, c)} ({c})" for c in layout.required)
    message = _("The file has no header row: none of its first rows names the columns %(columns)s.") % {
        "columns": expected}
    if best:
        message += " " + _("Headers not recognised: %(unknown)s.") % {
            "unknown": "、".join(str(c).strip() for c in best[:15])}
    raise ImportRefused(message, code="no_header", fields={"file": [message]})


def _check_header(header: list[str], cells, layout: Layout) -> list[str]:
    """Missing and repeated columns are refused; returns the headers not matched (ignored, but named)."""
    seen = set()
    for name in header:
        if name and name in seen:
            message = _("The column %(c)s appears twice in the header.") % {"c": f"{chinese_header(layout.file_kind, name)} ({name})"}
            raise ImportRefused(message, code="duplicate_column", fields={"file": [message]})
        seen.add(name)
    missing = [c for c in layout.required if c not in seen]
    unknown = [str(c).strip() for c, name in zip(cells, header, strict=False)
               if not name and str(c if c is not None else "").strip()]
    if missing:
        names = "、".join(f"{chinese_header(layout.file_kind, c)} ({c})" for c in missing)
        message = _("The header is missing these columns: %(missing)s.") % {"missing": names}
        if unknown:
            message += " " + _("Headers not recognised: %(unknown)s.") % {"unknown": "、".join(unknown)}
        raise ImportRefused(message, code="missing_columns", fields={"file": [message]})
    return unknown


def _repeats_header(cells, header: list[str], headers: dict[str, str]) -> bool:
    """A second header row (the code names under the Chinese, as the templates and exports write them)."""
    matched = _match(cells, headers)
    known = [m for m in matched if m]
    return bool(known) and len(known) >= max(1, len([h for h in header if h]) // 2) and all(
        m == h for m, h in zip(matched, header, strict=False) if m)


def inspect_file(path: Path, filename: str, layout: Layout, *, max_bytes: int, county_code: str = "") -> FileInfo:
    """Refuse at once what can never be imported; say what was found."""
    size = filecrypt.plaintext_size(path)  # stored encrypted (dibao.filecrypt)
    if size == 0:
        raise ImportRefused(_("The file is empty."), code="empty_file", fields={"file": [_("The file is empty.")]})
    if size > max_bytes:
        message = _("The file is %(size)s MB; the largest file accepted is %(max)s MB.") % {
            "size": round(size / 1048576, 1), "max": round(max_bytes / 1048576, 1)}
        raise ImportRefused(message, code="too_large", fields={"file": [message]})
    with filecrypt.open_reader(path) as fh:
        head = fh.read(SNIFF_BYTES)
    headers, _values = synonyms_for(layout.file_kind, layout.columns, county_code)
    if head.startswith(b"PK\x03\x04"):
        info = _inspect_xlsx(path, layout, headers)
    else:
        if filename.lower().endswith((".xls", ".xlsx", ".xlsm")):
            raise ImportRefused(_("This is not an XLSX workbook. Save it as .xlsx (Excel 2007 or later) or CSV."),
                                code="not_csv_or_xlsx")
        info = _inspect_csv(head, size, layout, headers)
    info.county_code, info.file_kind = county_code, layout.file_kind
    return info


def _inspect_csv(head: bytes, size: int, layout: Layout, headers) -> FileInfo:
    complete = size <= SNIFF_BYTES
    encoding = detect_encoding(head, complete=complete)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=complete)
    if not text.strip():
        raise ImportRefused(_("The file is empty."), code="empty_file")
    lines = text.splitlines()
    if not complete:
        lines = lines[:-1]  # the last line of the sample may be cut
    try:
        records = []
        for cells in csv.reader(lines[:50]):
            records.append(cells)
            if len(records) > HEADER_SEARCH_ROWS + 1:
                break
    except csv.Error as exc:
        raise ImportRefused(_("The header row is not valid CSV: %(e)s") % {"e": exc}, code="malformed_csv") from None
    non_empty = [r for r in records if any(c.strip() for c in r)]
    if not non_empty:
        raise ImportRefused(_("The file is empty."), code="empty_file")
    index, header, cells = _header_of(records, layout, headers)
    unknown = _check_header(header, cells, layout)
    skip = 1 if index + 1 < len(records) and _repeats_header(records[index + 1], header, headers) else 0
    return FileInfo(format="csv", encoding=encoding, header=header, header_row=index + 1, skip_rows=skip,
                    unknown=unknown)


def open_workbook(path: Path):
    # A zip needs seeking: the decrypted workbook is held in memory (XLSX is read whole anyway).
    content = io.BytesIO(filecrypt.read_bytes(path))
    try:
        return openpyxl.load_workbook(content, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a broken archive (BadZipFile, KeyError, ...)
        raise ImportRefused(_("This is not a readable XLSX workbook (%(e)s).") % {"e": type(exc).__name__},
                            code="not_csv_or_xlsx") from None


def first_sheet(wb):
    """The first worksheet, read whole: its <dimension> tag may be stale or forged.

    In read-only mode openpyxl stops at the rows and columns the tag names; a file whose tag says A1:K3
    while the sheet holds 10 rows would import 2 rows and report success.
    """
    if not wb.worksheets:
        return None
    ws = wb.worksheets[0]
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()
    return ws


def _inspect_xlsx(path: Path, layout: Layout, headers) -> FileInfo:
    wb = open_workbook(path)
    try:
        ws = first_sheet(wb)
        rows = []
        if ws is not None:
            for cells in ws.iter_rows(max_row=HEADER_SEARCH_ROWS + 1, values_only=True):
                rows.append(["" if c is None else c for c in cells])
        if not any(str(c).strip() for r in rows for c in r):
            raise ImportRefused(_("The workbook is empty."), code="empty_file")
        index, header, cells = _header_of(rows, layout, headers)
        unknown = _check_header(header, cells, layout)
        skip = 1 if index + 1 < len(rows) and _repeats_header(rows[index + 1], header, headers) else 0
        return FileInfo(format="xlsx", header=header, header_row=index + 1, skip_rows=skip, unknown=unknown)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ImportRefused(_("This is not a readable XLSX workbook (%(e)s).") % {"e": type(exc).__name__},
                            code="not_csv_or_xlsx") from None
    finally:
        wb.close()


MEMO_LIMIT = 1000  # distinct words remembered per enumerated column while reading a file


def iter_rows(path: Path, info: FileInfo, columns=None) -> Iterator[tuple[int, dict]]:
    """Yield (row number in the file, {code name: value}) for each non-empty row after the header.

    Enumerated values come out as their code names when the synonym tables know them (else as written,
    for the validation to name); an XLSX formula comes out as FORMULA. Columns not in the header are "".
    """
    _headers, values = synonyms_for(info.file_kind, columns or [h for h in info.header if h], info.county_code)
    index = {name: i for i, name in enumerate(info.header) if name}
    wanted = list(columns) if columns is not None else list(index)
    first_data_row = info.header_row + info.skip_rows + 1
    source = _csv_records(path, info.encoding) if info.format == "csv" else _xlsx_records(path)
    # Per column: its cell's position and its synonym table with a memo of the words already looked up (an
    # enumerated column repeats a handful of words; normalising each cell again was most of the reading).
    plan = [(name, index.get(name), values.get(name), {}) for name in wanted]
    for row_number, cells in source:
        if row_number < first_data_row:
            continue
        row = {}
        filled = False
        width = len(cells)
        for name, i, table, memo in plan:
            value = cells[i] if i is not None and i < width else ""
            if value is not FORMULA:
                value = value.strip()
                if table is not None and value:
                    mapped = memo.get(value)
                    if mapped is None:
                        mapped = table.get(normalise(value), value)
                        if len(memo) < MEMO_LIMIT:
                            memo[value] = mapped
                    value = mapped
            row[name] = value
            filled = filled or value != ""
        if not filled:
            continue
        yield row_number, row


def _csv_records(path: Path, encoding: str) -> Iterator[tuple[int, list]]:
    with filecrypt.open_reader(path) as fh:
        # Decoded line by line (a newline byte never occurs inside a UTF-8, GBK or GB18030 character), so an
        # undecodable byte is reported at its own row rather than somewhere in a read-ahead buffer.
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        reader = csv.reader(decoder.decode(line) for line in fh)
        row_number = 0
        try:
            for cells in reader:
                row_number += 1
                yield row_number, cells
        except UnicodeDecodeError:
            raise FileBroken(row_number + 1, _("the text is not valid %(enc)s from here on")
                             % {"enc": encoding_label(encoding)}) from None
        except csv.Error as exc:
            raise FileBroken(row_number + 1, _("malformed CSV: %(e)s") % {"e": exc}) from None


def cell_text(cell):
    if getattr(cell, "data_type", None) == "f":
        return FORMULA
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "date") and hasattr(value, "hour"):  # a datetime cell: the date is what a row means
        return value.date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _xlsx_records(path: Path) -> Iterator[tuple[int, list]]:
    wb = open_workbook(path)
    try:
        ws = first_sheet(wb)
        if ws is None:
            return
        for row_number, cells in enumerate(ws.iter_rows(), start=1):
            yield row_number, [cell_text(c) for c in cells]
    finally:
        wb.close()


def count_rows(path: Path, info: FileInfo) -> int:
    """A first streaming pass: the row total for progress, and any breakage found before writing."""
    total = 0
    for _row in iter_rows(path, info):
        total += 1
    return total
