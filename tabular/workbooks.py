"""XLSX templates for the import files: what an officer fills in, with the help they need inside the file.

Sheet 1 (the data): the Chinese headers, under them the English code names (the reader skips that second
row), one example row, and a drop-down list on every enumerated column. Sheet 2: instructions, one line per
column (header, code name, required, allowed values, what to write). Written through dibao.spreadsheets.
"""

import io

from django.utils.translation import gettext as _

from dibao.spreadsheets import XlsxSheet, spreadsheet_writer, xlsx_workbook
from tabular.reading import Layout
from tabular.synonyms import chinese_header, chinese_values


@spreadsheet_writer("tabular.import_template")
def template_bytes(layout: Layout, *, example: dict, notes: dict, title: str) -> bytes:
    workbook = xlsx_workbook()
    sheet = XlsxSheet(workbook, title)
    sheet.append([chinese_header(layout.file_kind, c) for c in layout.columns])
    sheet.append(list(layout.columns))
    sheet.append([example.get(c, "") for c in layout.columns])
    for index, column in enumerate(layout.columns):
        choices = chinese_values(layout.file_kind, column)
        if choices:
            sheet.add_choices(index, choices, first_row=3)
    help_sheet = XlsxSheet(workbook, _("Instructions"))
    help_sheet.append([_("Header"), _("Code name"), _("Required"), _("Allowed values"), _("What to write")])
    for column in layout.columns:
        help_sheet.append([chinese_header(layout.file_kind, column), column,
                           _("yes") if column in layout.required else _("no"),
                           " / ".join(chinese_values(layout.file_kind, column)), str(notes.get(column, ""))])
    help_sheet.append([])
    help_sheet.append([_("One row per member. The first row holds the Chinese headers and the second the code "
                         "names; a title row or two above them is allowed. Replace the example row. Cells hold "
                         "values, never formulas. CSV files may be saved as UTF-8, GBK or GB18030.")])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
