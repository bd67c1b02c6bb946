"""The 12-digit statistical division codes: the level a code denotes, its subtree prefix, its ancestors.

One definition for every app: a code's level is read from its trailing zero groups, so none of these
needs the Division table (except county_division, which loads the row).
"""

from accounts.models import LEVEL_ORDER, LEVEL_PREFIX_LENGTH, Division, Level


def level_of(code: str) -> Level:
    """The level a 12-digit code denotes: 370283000000 is a county, 370283101000 a township."""
    for level in LEVEL_ORDER[:-1]:
        length = LEVEL_PREFIX_LENGTH[level]
        if code[length:] == "0" * (12 - length):
            return level
    return Level.VILLAGE


def code_prefix(code: str) -> str:
    """The prefix of the subtree a division code stands for (370283101000 -> 370283101).

    Filters take it as "this division and everything inside"; input that is not a 12-digit code is
    taken as a prefix already (370283 -> 370283).
    """
    code = (code or "").strip()
    if len(code) != 12 or not code.isdigit():
        return code
    return code[:LEVEL_PREFIX_LENGTH[level_of(code)]]


def ancestor_code(code: str, level: Level) -> str:
    """The code of the division at `level` that contains `code` (370283101201, county -> 370283000000)."""
    return code[:LEVEL_PREFIX_LENGTH[level]].ljust(12, "0")


def county_code_of(code: str) -> str:
    """The code of the county a division code lies in."""
    return ancestor_code(code, Level.COUNTY)


def county_division(code: str) -> Division:
    """The county Division a division code lies in (standards and policies are set per county)."""
    return Division.objects.get(code=county_code_of(code))
