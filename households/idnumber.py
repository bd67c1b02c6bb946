"""Resident ID numbers (GB 11643-1999): validation, parsing and masking.

18 characters: 6-digit region, 8-digit birth date, 3-digit sequence (odd = male), check
character computed as sum(digit x weight) mod 11 mapped to "10X98765432".
"""

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# First two digits of the region code: the provinces of GB/T 2260 (71 Taiwan, 81/82 HK/Macau).
PROVINCE_PREFIXES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82",
}
_SHAPE = re.compile(r"^\d{17}[\dX]$")
MAX_AGE_YEARS = 130


@dataclass(frozen=True)
class IdInfo:
    number: str
    region: str
    birth_date: date
    sex: str  # "M" or "F"


def check_char(first17: str) -> str:
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def normalize(value: str) -> str:
    return (value or "").strip().replace(" ", "").upper()


def parse_id_number(value: str, *, today: date | None = None) -> IdInfo:
    """Validate and parse; raise ValidationError saying exactly what is wrong."""
    number = normalize(value)
    if len(number) != 18:
        raise ValidationError(
            _("A resident ID number has 18 characters; this one has %(n)d.") % {"n": len(number)},
            code="id_length",
        )
    if not _SHAPE.match(number):
        raise ValidationError(
            _("A resident ID number is 17 digits followed by a digit or X."), code="id_characters"
        )
    if number[:2] not in PROVINCE_PREFIXES or number[2:6] == "0000":
        raise ValidationError(
            _("The region code %(region)s is not a known region.") % {"region": number[:6]}, code="id_region"
        )
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            _("The birth date %(d)s in the ID number is not a real date.") % {"d": number[6:14]}, code="id_date"
        ) from None
    today = today or timezone.localdate()
    if birth > today:
        raise ValidationError(_("The birth date %(d)s in the ID number is in the future.") % {"d": birth.isoformat()},
                              code="id_future")
    if today.year - birth.year > MAX_AGE_YEARS:
        raise ValidationError(
            _("The birth date %(d)s in the ID number would make the person older than %(max)d.")
            % {"d": birth.isoformat(), "max": MAX_AGE_YEARS},
            code="id_too_old",
        )
    expected = check_char(number[:17])
    if number[17] != expected:
        raise ValidationError(
            _("The check character is wrong: with these 17 digits it must be %(c)s. Check the number for a typing error.")
            % {"c": expected},
            code="id_check",
        )
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return IdInfo(number=number, region=number[:6], birth_date=birth, sex=sex)


def validate_id_number(value: str) -> None:
    parse_id_number(value)


def mask(number: str) -> str:
    """110105********002X: region and the last four stay, the birth date is hidden."""
    if not number:
        return ""
    if len(number) != 18:
        return "*" * len(number)
    return number[:6] + "*" * 8 + number[14:]


def make_id_number(region: str, birth: date, sequence: int) -> str:
    """A valid number for tests and demo data (sequence 0-999; odd = male)."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)
