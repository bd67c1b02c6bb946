"""The bank file of a payment roll: CSV (UTF-8 with BOM, opens in Excel) or XLSX, through dibao.spreadsheets."""

from django.utils.translation import gettext as _

from dibao import spreadsheets
from dibao.spreadsheets import spreadsheet_writer
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


@spreadsheet_writer("recipients.roll_csv")
def roll_csv(roll: PaymentRoll) -> bytes:
    # Account numbers and case numbers as text so spreadsheet programs keep every digit; amounts as numbers.
    rows = [_header(), *(_as_text(row) for row in _rows(roll)), [],
            [_("Total"), roll.county.name, "", "", "", "", "", "", "", roll.total_amount]]
    return spreadsheets.csv_bytes(rows)


@spreadsheet_writer("recipients.roll_xlsx")
def roll_xlsx(roll: PaymentRoll) -> bytes:
    rows = [*(_as_text(row) for row in _rows(roll)), [],
            [_("Total"), roll.county.name, "", "", "", "", "", "", "", roll.total_amount]]
    return spreadsheets.xlsx_bytes(_header(), rows, title=f"{roll.month:%Y-%m}",
                                   number_formats={7: "0.00", 9: "0.00"})


def _as_text(row: list) -> list:
    """Every column but the amounts (7, 9) and the percent (8) is text."""
    return [value if index in (7, 8, 9) else str(value) for index, value in enumerate(row)]
