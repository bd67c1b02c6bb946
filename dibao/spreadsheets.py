"""The one layer every CSV and XLSX the project writes goes through: cells are inert data, never formulas.

A name, address, bank name or note typed by anyone may start with `=`, `+`, `-`, `@`, a tab or a carriage
return; a spreadsheet program opening the file would run it as a formula (OWASP's CSV injection:
`=HYPERLINK(...)` leaking the row, `=cmd|' /C calc'!A0` starting a program). So:

- CSV: such a text cell gets a leading single quote (OWASP's rule); the quote shows, the formula never runs.
- XLSX: every text cell is written as a string cell (type "s", never "f") and the dangerous ones also carry
  Excel's quote-prefix flag, so editing the cell does not turn it into a formula either. The text is kept exactly.
- Numbers stay numbers: int, float and Decimal cells are written as they are, and a text that is a plain
  decimal number (`-120.50`, as the reports format amounts in SQL) is a number, not a formula, and is left alone.

This is the only module that imports csv.writer or openpyxl's Workbook for output (a test greps for
others). Every function that produces a spreadsheet file is registered here with `@spreadsheet_writer(name)`,
and a test feeds each registered writer hostile text and reads the file back; a test also fails on a module
that uses this layer without registering its writer.

CSV is UTF-8 with a byte-order mark so Excel opens Chinese text correctly. XLSX uses openpyxl's
write-only mode, which streams rows to a temporary file instead of building the sheet in memory.
"""

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

BOM = "\ufeff"
CHUNK_ROWS = 2000
DANGEROUS_FIRST_CHARACTERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")

# name -> the function that writes that output; filled by @spreadsheet_writer at import time.
WRITERS: dict[str, Callable] = {}


def spreadsheet_writer(name: str):
    """Register a function that produces a CSV or XLSX file (or its bytes) through this layer."""

    def register(function: Callable) -> Callable:
        if name in WRITERS and WRITERS[name] is not function:
            raise ValueError(f"spreadsheet writer {name!r} is registered twice")
        WRITERS[name] = function
        function.spreadsheet_writer = name
        return function

    return register


def is_dangerous(text: str) -> bool:
    return text[:1] in DANGEROUS_FIRST_CHARACTERS and not _PLAIN_NUMBER.fullmatch(text)


def csv_cell(value):
    """The value as a CSV cell: None is empty, numbers as they are, dangerous text behind a quote."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return value
    text = str(value)
    return "'" + text if is_dangerous(text) else text


_DANGEROUS_FIRST = frozenset(DANGEROUS_FIRST_CHARACTERS)


def csv_row(row: Iterable) -> list:
    # A plain str whose first character is harmless is its own cell (most cells of an export: a quarter of
    # its per-row time went into calling csv_cell for them); everything else goes through csv_cell.
    return [value if value.__class__ is str and value[:1] not in _DANGEROUS_FIRST else csv_cell(value)
            for value in row]


class CsvRows:
    """A csv.writer whose every cell passes csv_cell; `target` is a text stream."""

    def __init__(self, target):
        self._writer = csv.writer(target)

    def writerow(self, row: Iterable) -> None:
        self._writer.writerow(csv_row(row))

    def writerows(self, rows: Iterable[Iterable]) -> None:
        self._writer.writerows(csv_row(row) for row in rows)


class _Buffer:
    """A csv.writer target that hands back what was written since the last call."""

    def __init__(self):
        self.parts: list[str] = []

    def write(self, value: str):
        self.parts.append(value)

    def take(self) -> str:
        data = "".join(self.parts)
        self.parts = []
        return data


def csv_chunks(headers: list[str], rows: Iterable[list], *, on_rows: Callable[[int], None] | None = None,
               chunk_rows: int = CHUNK_ROWS) -> Iterator[bytes]:
    """Yield the CSV as UTF-8 byte chunks of about `chunk_rows` rows each."""
    buffer = _Buffer()
    writer = CsvRows(buffer)
    buffer.write(BOM)
    writer.writerow(headers)
    yield buffer.take().encode("utf-8")
    count = 0
    pending = []
    for row in rows:
        pending.append(row)
        if len(pending) >= chunk_rows:
            writer.writerows(pending)
            count += len(pending)
            pending = []
            if on_rows:
                on_rows(count)
            yield buffer.take().encode("utf-8")
    if pending:
        writer.writerows(pending)
        count += len(pending)
        if on_rows:
            on_rows(count)
        yield buffer.take().encode("utf-8")


def write_csv(target, headers: list[str], rows: Iterable[list], **kwargs) -> None:
    """Write the CSV to a binary stream."""
    for chunk in csv_chunks(headers, rows, **kwargs):
        target.write(chunk)


def csv_bytes(rows: Iterable[Iterable]) -> bytes:
    """A small CSV built in memory, rows as given (the first is the header)."""
    buffer = io.StringIO()
    writer = CsvRows(buffer)
    writer.writerows(rows)
    return BOM.encode() + buffer.getvalue().encode("utf-8")


def xlsx_cell(sheet, value, number_format: str | None = None):
    """One write-only cell: text is always a string cell, never a formula."""
    if value is None:
        value = ""
    if isinstance(value, str):
        # Control characters other than tab/newline are illegal in the XML; they would abort the file.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if is_dangerous(value):
            cell.quotePrefix = True
    if number_format:
        cell.number_format = number_format
    return cell


class XlsxSheet:
    """A write-only worksheet whose rows pass xlsx_cell; `number_formats` maps a column index to a format."""

    def __init__(self, workbook: Workbook, title: str, number_formats: dict[int, str] | None = None):
        self._sheet = workbook.create_sheet(title=title[:31] or "sheet")
        self._formats = number_formats or {}

    def append(self, row: Iterable) -> None:
        self._sheet.append([xlsx_cell(self._sheet, value, self._formats.get(index))
                            for index, value in enumerate(row)])

    def add_choices(self, column_index: int, choices: list[str], *, first_row: int, last_row: int = 10000) -> None:
        """A drop-down list on one column (import templates): the cell may hold only one of `choices`."""
        letter = get_column_letter(column_index + 1)
        quoted = ",".join(str(c).replace('"', "") for c in choices)
        validation = DataValidation(type="list", formula1=f'"{quoted}"', allow_blank=True)
        validation.add(f"{letter}{first_row}:{letter}{last_row}")
        self._sheet.data_validations.append(validation)


def xlsx_workbook() -> Workbook:
    return Workbook(write_only=True)


def write_xlsx(target, headers: list[str], rows: Iterable[list], *, title: str = "report",
               on_rows: Callable[[int], None] | None = None, chunk_rows: int = CHUNK_ROWS,
               number_formats: dict[int, str] | None = None) -> None:
    workbook = xlsx_workbook()
    sheet = XlsxSheet(workbook, title or "report", number_formats)
    sheet.append(headers)
    count = 0
    for row in rows:
        sheet.append(row)
        count += 1
        if on_rows and count % chunk_rows == 0:
            on_rows(count)
    if on_rows:
        on_rows(count)
    workbook.save(target)


def xlsx_bytes(headers: list[str], rows: Iterable[list], *, title: str = "report",
               number_formats: dict[int, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(buffer, headers, rows, title=title, number_formats=number_formats)
    return buffer.getvalue()


def xlsx_chunks(headers: list[str], rows: Iterable[list], *, title: str = "report") -> Iterator[bytes]:
    """XLSX is a zip: it is complete only at the end. Small exports build it, then send in pieces."""
    data = xlsx_bytes(headers, rows, title=title)
    for start in range(0, len(data), 64 * 1024):
        yield data[start:start + 64 * 1024]
