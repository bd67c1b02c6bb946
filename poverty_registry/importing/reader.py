"""Reading a registry file (CSV in UTF-8 / UTF-8 with BOM / GBK, or XLSX) as a stream of rows.

`inspect_file` runs at upload time and refuses at once what can never be imported (not CSV or
XLSX, empty, no header, missing columns, too large). `iter_rows` streams the rows of an
accepted file: the whole file is never held in memory.
"""

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from django.conf import settings
from django.utils.translation import gettext as _

from dibao import filecrypt
from dibao.errors import DomainError

COLUMNS = (
    "year", "registry_household_code", "division_code", "member_name", "id_number", "relationship",
    "is_head", "annual_income_per_capita", "status", "monitoring_type", "lifted_year",
)
REQUIRED_COLUMNS = COLUMNS
SNIFF_BYTES = 64 * 1024
FORMULA = object()  # marks an XLSX cell holding a formula (never evaluated)


class ImportRefused(DomainError):
    status_code = 400
    default_code = "import_refused"


def max_bytes() -> int:
    return settings.REGISTRY_IMPORT_MAX_BYTES


@dataclass
class FileInfo:
    format: str  # "csv" or "xlsx"
    encoding: str = ""  # csv only: "utf-8-sig" or "gbk"
    header: list[str] = field(default_factory=list)


def normalise_header(cells) -> list[str]:
    return [str(c if c is not None else "").strip().lstrip("\ufeff").strip().lower() for c in cells]


def check_header(header: list[str]) -> None:
    present = {h for h in header if h}
    if not present & set(COLUMNS):
        raise ImportRefused(
            _("The file has no header row. The first row must name the columns: %(columns)s.")
            % {"columns": ", ".join(COLUMNS)}, code="no_header")
    missing = [c for c in REQUIRED_COLUMNS if c not in present]
    if missing:
        raise ImportRefused(
            _("The header is missing these columns: %(missing)s.") % {"missing": ", ".join(missing)},
            code="missing_columns", fields={"file": [_("Missing columns: %(m)s") % {"m": ", ".join(missing)}]})
    seen = set()
    for h in header:
        if h and h in seen:
            raise ImportRefused(_("The column %(c)s appears twice in the header.") % {"c": h}, code="duplicate_column")
        seen.add(h)


def _detect_encoding(sample: bytes, complete: bool) -> str:
    """utf-8 (a BOM is dropped) strictly, else GBK strictly; anything else is refused."""
    if b"\x00" in sample:
        raise ImportRefused(_("This is not a CSV text file (it contains binary data)."), code="not_text")
    for encoding in ("utf-8-sig", "gbk"):
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
        _("The file's text encoding is not recognised: save the CSV as UTF-8 or GBK."), code="bad_encoding")


def inspect_file(path: Path, filename: str = "") -> FileInfo:
    """Refuse at once what can never be imported; say what was found."""
    size = filecrypt.plaintext_size(path)  # stored encrypted (dibao.filecrypt)
    if size == 0:
        raise ImportRefused(_("The file is empty."), code="empty_file")
    if size > max_bytes():
        raise ImportRefused(
            _("The file is %(size)s MB; the largest file accepted is %(max)s MB.")
            % {"size": round(size / 1048576, 1), "max": round(max_bytes() / 1048576, 1)}, code="too_large")
    with filecrypt.open_reader(path) as fh:
        head = fh.read(SNIFF_BYTES)
    if head.startswith(b"PK\x03\x04"):
        return _inspect_xlsx(path)
    lower = filename.lower()
    if lower.endswith((".xls", ".xlsx", ".xlsm")) and not head.startswith(b"PK"):
        raise ImportRefused(_("This is not an XLSX workbook. Save it as .xlsx (Excel 2007 or later) or CSV."),
                            code="not_csv_or_xlsx")
    encoding = _detect_encoding(head, complete=size <= SNIFF_BYTES)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=size <= SNIFF_BYTES)
    first_line = text.splitlines()[0] if text.strip() else ""
    if not first_line.strip():
        raise ImportRefused(_("The file is empty."), code="empty_file")
    try:
        header = normalise_header(next(csv.reader([first_line])))
    except csv.Error as exc:
        raise ImportRefused(_("The header row is not valid CSV: %(e)s") % {"e": exc}, code="malformed_csv") from None
    check_header(header)
    return FileInfo(format="csv", encoding=encoding, header=header)


def _open_workbook(path: Path):
    # A zip needs seeking: the decrypted workbook is held in memory (XLSX is read whole anyway).
    content = io.BytesIO(filecrypt.read_bytes(path))
    try:
        return openpyxl.load_workbook(content, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ImportRefused(_("This is not a readable XLSX workbook (%(e)s).") % {"e": type(exc).__name__},
                            code="not_csv_or_xlsx") from None
    except Exception as exc:  # openpyxl raises many kinds for a broken archive
        raise ImportRefused(_("This is not a readable XLSX workbook (%(e)s).") % {"e": type(exc).__name__},
                            code="not_csv_or_xlsx") from None


def _first_sheet(wb):
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


def _inspect_xlsx(path: Path) -> FileInfo:
    wb = _open_workbook(path)
    try:
        ws = _first_sheet(wb)
        first = next(ws.iter_rows(max_row=1, values_only=True), None) if ws is not None else None
        if not first or not any(c not in (None, "") for c in first):
            raise ImportRefused(_("The workbook is empty."), code="empty_file")
        header = normalise_header(first)
        check_header(header)
        return FileInfo(format="xlsx", header=header)
    finally:
        wb.close()


class FileBroken(Exception):
    """The file turned out unreadable past the part checked at upload (row number, reason)."""

    def __init__(self, row: int, reason: str):
        self.row, self.reason = row, reason
        super().__init__(f"row {row}: {reason}")


def iter_rows(path: Path, info: FileInfo) -> Iterator[tuple[int, dict]]:
    """Yield (row number counting the header as 1, {column: value}). Extra columns are ignored."""
    if info.format == "xlsx":
        yield from _iter_xlsx(path)
    else:
        yield from _iter_csv(path, info.encoding)


def _iter_csv(path: Path, encoding: str) -> Iterator[tuple[int, dict]]:
    with filecrypt.open_reader(path) as fh:
        # Decoded line by line (a newline byte never occurs inside a UTF-8 or GBK character), so an
        # undecodable byte is reported at its own row rather than somewhere in a read-ahead buffer.
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        reader = csv.reader(decoder.decode(line) for line in fh)
        row_number = 1
        try:
            header = normalise_header(next(reader))
            index = {name: i for i, name in enumerate(header) if name in COLUMNS}
            for cells in reader:
                row_number += 1
                if not any(c.strip() for c in cells):
                    continue
                yield row_number, {name: (cells[i].strip() if i < len(cells) else "") for name, i in index.items()}
        except UnicodeDecodeError:
            raise FileBroken(row_number + 1, _("the text is not valid %(enc)s from here on")
                             % {"enc": "UTF-8" if encoding.startswith("utf") else "GBK"}) from None
        except csv.Error as exc:
            raise FileBroken(row_number + 1, _("malformed CSV: %(e)s") % {"e": exc}) from None


def _cell_value(cell):
    if cell.data_type == "f":
        return FORMULA
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _iter_xlsx(path: Path) -> Iterator[tuple[int, dict]]:
    wb = _open_workbook(path)
    try:
        ws = _first_sheet(wb)
        rows = ws.iter_rows()
        header = normalise_header([c.value for c in next(rows)])
        index = {name: i for i, name in enumerate(header) if name in COLUMNS}
        for row_number, cells in enumerate(rows, start=2):
            values = {}
            for name, i in index.items():
                values[name] = _cell_value(cells[i]) if i < len(cells) and hasattr(cells[i], "data_type") else ""
            if all(v == "" for v in values.values()):
                continue
            yield row_number, values
    finally:
        wb.close()


def count_rows(path: Path, info: FileInfo) -> int:
    """A first streaming pass: the row total for progress, and any breakage found before writing."""
    total = 0
    # The rows themselves are counted, never the sheet's <dimension> tag (max_row): the counts match the file.
    for _row in iter_rows(path, info):
        total += 1
    return total


