"""The bank file of a payment roll: CSV (UTF-8 with BOM, opens in Excel) or XLSX (openpyxl write-only)."""

import csv
import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from recipients.models import PaymentRoll
from recipients.selectors import roll_lines


def _header():
    return [_("Village code"), _("Village"), _("Case"), _("Payee"), _("Payee ID number (masked)"), _("Bank"),
            _("Bank account"), _("Monthly benefit (yuan)"), _("Percent paid"), _("Amount paid (yuan)")]


def _rows(roll: PaymentRoll):
    for line in roll_lines(roll).iterator(chunk_size=2000):
        yield [line.village_code, line.village_name, line.case_id, line.payee_name, line.payee_id_masked,
               line.bank_name, line.bank_account, line.full_amount, line.percent, line.amount]


def export_filename(roll: PaymentRoll, fmt: str) -> str:
    # Only a finalised roll goes to the bank; a draft's file says so in its name.
    suffix = "" if roll.status == "finalised" else f"-{roll.status}"
    return f"payment-roll-{roll.county.code}-{roll.month:%Y-%m}{suffix}.{fmt}"


def roll_csv(roll: PaymentRoll) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_header())
    for row in _rows(roll):
        # Account numbers as text so spreadsheet programs keep every digit.
        writer.writerow([str(v) for v in row])
    writer.writerow([])
    writer.writerow([_("Total"), roll.county.name, "", "", "", "", "", "", "", str(roll.total_amount)])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def roll_xlsx(roll: PaymentRoll) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(f"{roll.month:%Y-%m}")
    sheet.append(_header())
    for row in _rows(roll):
        cells = []
        for index, value in enumerate(row):
            if index in (7, 9):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "0.00"
            else:
                cell = WriteOnlyCell(sheet, value=value if index == 8 else str(value))
            cells.append(cell)
        sheet.append(cells)
    sheet.append([])
    sheet.append([_("Total"), roll.county.name, "", "", "", "", "", "", "", roll.total_amount])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
