"""Taking personal data out of what leaves the application in logs and error reports.

No Django import here: the settings module loads it (error reporting starts with the settings).
"""

import re

# A resident ID number (18 characters, the last may be X) or an old 15-digit one, standing alone.
ID_NUMBER = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9A-Za-z])")
# PostgreSQL quotes the offending values of a constraint violation: DETAIL: Key (name, id_hash)=(张三, ...).
# and the whole row of a NOT NULL or CHECK violation: DETAIL: Failing row contains (2, 张三, ...).
CONSTRAINT_VALUES = re.compile(r"(Key \([^)]*\)=|Failing row contains )\((?:[^()]|\([^()]*\))*\)")
REDACTED = "[redacted]"


def redact_text(text: str) -> str:
    return CONSTRAINT_VALUES.sub(r"\1(" + REDACTED + ")", ID_NUMBER.sub(REDACTED, text))


def redact(value):
    """`value` with every ID number (and constraint-violation values) replaced, through strings, lists, dicts."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: redact(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(item) for item in value]
    return value
