"""CSV and XLSX writers that never hold more than one chunk of rows in memory.

CSV is UTF-8 with a byte-order mark so Excel opens Chinese text correctly. XLSX uses
openpyxl's write-only mode, which streams rows to a temporary file instead of building
the sheet in memory.
"""

import csv
import io
from collections.abc import Callable, Iterable, Iterator

from openpyxl import Workbook

BOM = "\ufeff"
CHUNK_ROWS = 2000


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
    writer = csv.writer(buffer)
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
    for chunk in csv_chunks(headers, rows, **kwargs):
        target.write(chunk)


def write_xlsx(target, headers: list[str], rows: Iterable[list], *, title: str = "report",
               on_rows: Callable[[int], None] | None = None, chunk_rows: int = CHUNK_ROWS) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "report")
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


def xlsx_chunks(headers: list[str], rows: Iterable[list], *, title: str = "report") -> Iterator[bytes]:
    """XLSX is a zip: it is complete only at the end. Small exports build it, then send in pieces."""
    buffer = io.BytesIO()
    write_xlsx(buffer, headers, rows, title=title)
    data = buffer.getvalue()
    for start in range(0, len(data), 64 * 1024):
        yield data[start:start + 64 * 1024]
