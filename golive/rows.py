"""Validation of one roster row: the staged values (ID number encrypted and blind-indexed) or the first error."""

import hashlib
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from cases.models import Category
from households import crypto
from households.idnumber import parse_id_number
from households.models import Member
from tabular.reading import FORMULA

YES = {"yes", "1", "true", "y", "是"}
NO = {"no", "0", "false", "n", "否", ""}
MAX_AMOUNT = Decimal("99999.99")
_PHONE = re.compile(r"^\+?\d[\d-]{5,18}$")
_ACCOUNT = re.compile(r"^\d{8,30}$")
# The choices as lists, once (an enum's .values builds a new list on every call: a tenth of the row's time).
RELATIONSHIPS = Member.Relationship.values
HEALTH = Member.Health.values
LABOUR = Member.LabourCapacity.values
CATEGORIES = Category.values
_MONTH = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$")


class RowError(Exception):
    def __init__(self, column: str, reason: str):
        self.column, self.reason = column, reason
        super().__init__(f"{column}: {reason}")


def _choice(values: dict, column: str, choices, *, allow_empty: bool = False, default: str = "") -> str:
    value = values.get(column, "")
    if value == "" and (allow_empty or default):
        return default
    if value not in choices:
        raise RowError(column, _("Unknown value %(v)r; use one of: %(allowed)s.")
                       % {"v": value, "allowed": ", ".join(c for c in choices if c)})
    return value


def _yes_no(values: dict, column: str) -> bool:
    value = values.get(column, "").lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise RowError(column, _("Write 是 (yes) or 否 (no); got %(v)r.") % {"v": values.get(column)})


def parse_date(text: str, column: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    text = text.split("T")[0].split(" ")[0].replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text if len(text) == 10 else "-".join(
            part.zfill(2) if i else part for i, part in enumerate(text.split("-"))))
    except ValueError:
        raise RowError(column, _("Not a date: %(v)r. Write it as YYYY-MM-DD, e.g. 2024-03-01.") % {"v": text}) from None


def parse_month(text: str, column: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    match = _MONTH.match(text) or _MONTH.match(text[:7])
    if match and 1 <= int(match.group(2)) <= 12:
        return date(int(match.group(1)), int(match.group(2)), 1)
    raise RowError(column, _("Not a month: %(v)r. Write it as YYYY-MM, e.g. 2025-06.") % {"v": text})


def parse_amount(text: str, column: str) -> Decimal | None:
    text = text.strip().replace(",", "")
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise RowError(column, _("Not an amount in yuan: %(v)r.") % {"v": text}) from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise RowError(column, _("The monthly amount must be more than 0 and at most %(max)s yuan.")
                       % {"max": MAX_AMOUNT})
    if amount != amount.quantize(Decimal("0.01")):
        raise RowError(column, _("At most two decimal places (fen)."))
    return amount.quantize(Decimal("0.01"))


def _text(values: dict, column: str, max_length: int, *, required: bool = False) -> str:
    value = values.get(column, "")
    if required and not value:
        raise RowError(column, _("This column is required."))
    if len(value) > max_length:
        raise RowError(column, _("At most %(n)d characters.") % {"n": max_length})
    return value


def clean_row(values: dict, *, today: date, ring) -> dict:
    """The StagedRow fields of one row; RowError for the first bad column."""
    for column, value in values.items():
        if value is FORMULA:
            raise RowError(column, _("The cell holds a formula; formulas are not evaluated. Paste the value instead."))
    out = {"household_code": _text(values, "household_code", 40, required=True)}
    village = values.get("village_code", "")
    if not (len(village) == 12 and village.isdigit()):
        raise RowError("village_code", _("A division code is exactly 12 digits; got %(v)r.") % {"v": village})
    out["village_code"] = village
    out["address"] = _text(values, "address", 200, required=True)
    phone = _text(values, "phone", 20)
    if phone and not _PHONE.match(phone):
        raise RowError("phone", _("Enter a phone number of digits (and dashes)."))
    out["phone"] = phone
    out["member_name"] = _text(values, "member_name", 50, required=True)
    try:
        info = parse_id_number(values.get("id_number", ""), today=today)
    except ValidationError as exc:
        raise RowError("id_number", exc.messages[0]) from None
    out["relationship"] = _choice(values, "relationship", RELATIONSHIPS)
    is_head = _yes_no(values, "is_head") if values.get("is_head") else out["relationship"] == "head"
    if is_head != (out["relationship"] == "head"):
        raise RowError("is_head", _("The head of household is the member whose relationship is 户主 (head)."))
    out["is_head"] = is_head
    out["health"] = _choice(values, "health", HEALTH, default="healthy")
    grade = values.get("disability_grade", "")
    if grade in ("", "0", "无"):
        out["disability_grade"] = None
    elif grade in ("1", "2", "3", "4"):
        out["disability_grade"] = int(grade)
    else:
        raise RowError("disability_grade", _("A disability grade is 1 to 4 (一级 to 四级), or empty."))
    if out["disability_grade"] and out["health"] != "disabled":
        raise RowError("disability_grade", _("A disability grade is given for a member whose health is 残疾 (disabled)."))
    out["labour_capacity"] = _choice(values, "labour_capacity", LABOUR, default="full")
    out["category"] = _choice(values, "category", CATEGORIES, allow_empty=True)
    out["monthly_amount"] = parse_amount(values.get("monthly_amount", ""), "monthly_amount")
    out["approved_on"] = parse_date(values.get("approved_on", ""), "approved_on")
    out["individual_inclusion"] = _yes_no(values, "individual_inclusion")
    out["gradual_exit_until"] = parse_month(values.get("gradual_exit_until", ""), "gradual_exit_until")
    out["next_review_on"] = parse_date(values.get("next_review_on", ""), "next_review_on")
    if out["category"]:
        if out["monthly_amount"] is None:
            raise RowError("monthly_amount", _("A recipient household (with a category) needs its monthly amount."))
        if out["approved_on"] is None:
            raise RowError("approved_on", _("A recipient household (with a category) needs its approval date."))
        if out["approved_on"] > today:
            raise RowError("approved_on", _("The approval date is in the future."))
    else:
        for column in ("monthly_amount", "approved_on", "gradual_exit_until", "next_review_on"):
            if out[column] is not None:
                raise RowError(column, _("A household without a category (not a recipient) has no %(c)s.")
                               % {"c": column})
        if out["individual_inclusion"]:
            raise RowError("individual_inclusion", _("Individual inclusion needs a recipient household (a category)."))
    out["bank_name"] = _text(values, "bank_name", 100)
    account = values.get("bank_account", "").replace(" ", "")
    if account and not _ACCOUNT.match(account):
        raise RowError("bank_account", _("A bank account number is 8 to 30 digits."))
    out["bank_account"] = account
    digest = crypto.blind_index(info.number, ring)
    out.update(id_hash=digest, birth_date=info.birth_date, sex=info.sex, region_code=info.region)
    out["row_hash"] = row_hash(out)
    out["id_encrypted"] = crypto.encrypt_id(info.number, id_hash=digest, ring=ring)
    return out


ROW_HASH_FIELDS = ("household_code", "village_code", "address", "phone", "member_name", "id_hash", "relationship",
                   "is_head", "health", "disability_grade", "labour_capacity", "category", "monthly_amount",
                   "approved_on", "individual_inclusion", "gradual_exit_until", "next_review_on", "bank_name",
                   "bank_account")


def row_hash(out: dict) -> int:
    """40 bits of the row's values: summed over a household's rows it fingerprints the household (any order)."""
    text = "\x1f".join("" if out[f] is None else str(out[f]) for f in ROW_HASH_FIELDS)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=5).digest(), "big")


def household_fields(out: dict) -> tuple:
    return tuple(out[c] for c in ("village_code", "address", "phone", "category", "monthly_amount", "approved_on",
                                  "gradual_exit_until", "next_review_on", "bank_name", "bank_account"))
