"""Tabular files for the import tests (the go-live roster, the poverty registry): rows as the bytes of a CSV or
XLSX file, and those bytes as an uploaded file."""

import csv
import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile


def csv_bytes(rows: list[dict], *, columns, header=None, encoding: str = "utf-8", title_rows=()) -> bytes:
    """A CSV file of `rows` (dicts; a missing column is empty): any `title_rows` first, then the header row
    (`header`, or the column names), then one line a row."""
    out = io.StringIO()
    writer = csv.writer(out)
    for title in title_rows:
        writer.writerow(title)
    writer.writerow(header or columns)
    for r in rows:
        writer.writerow([r.get(c, "") for c in columns])
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    """An XLSX workbook whose first sheet holds `rows` as they are (header rows included)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def uploader(default_name: str):
    """upload(data, name=default_name): `data` as a file uploaded through a form."""

    def upload(data: bytes, name: str = default_name) -> SimpleUploadedFile:
        return SimpleUploadedFile(name, data, content_type="application/octet-stream")

    return upload
