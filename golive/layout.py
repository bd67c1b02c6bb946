"""The recipient roster file (DESIGN.md "The recipient roster file"): its columns, for import and export alike."""

from tabular.models import FileKind
from tabular.reading import Layout

COLUMNS = (
    "household_code", "village_code", "address", "phone", "member_name", "id_number", "relationship", "is_head",
    "health", "disability_grade", "labour_capacity", "category", "monthly_amount", "approved_on",
    "individual_inclusion", "gradual_exit_until", "next_review_on", "bank_name", "bank_account",
)
REQUIRED = ("household_code", "village_code", "address", "member_name", "id_number", "relationship", "category")
HOUSEHOLD_COLUMNS = ("village_code", "address", "phone", "category", "monthly_amount", "approved_on",
                     "gradual_exit_until", "next_review_on", "bank_name", "bank_account")
LAYOUT = Layout(file_kind=FileKind.ROSTER, columns=COLUMNS, required=REQUIRED)
IMPORT_KIND = "golive_dry_run"
APPLY_KIND = "golive_apply"
