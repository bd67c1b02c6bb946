"""Reading a registry file: the other department's roster as it comes (tabular.reading does the work).

CSV in UTF-8 (with or without BOM), GBK or GB18030, or XLSX; English code names or the Chinese headers
and values of DESIGN.md (more synonyms in the admin site: tabular.models.Synonym); the header row found
under a title row or two. `inspect_file` runs at upload time and refuses at once what can never be
imported; `iter_rows` streams the rows of an accepted file with the code names and values.
"""

from pathlib import Path

from django.conf import settings

from tabular import reading
from tabular.models import FileKind
from tabular.reading import FORMULA, FileBroken, FileInfo, ImportRefused

__all__ = ["COLUMNS", "FORMULA", "LAYOUT", "FileBroken", "FileInfo", "ImportRefused", "count_rows", "inspect_file",
           "iter_rows", "max_bytes"]

COLUMNS = (
    "year", "registry_household_code", "division_code", "member_name", "id_number", "relationship",
    "is_head", "annual_income_per_capita", "status", "monitoring_type", "lifted_year",
)
REQUIRED_COLUMNS = COLUMNS
LAYOUT = reading.Layout(file_kind=FileKind.POVERTY_REGISTRY, columns=COLUMNS, required=REQUIRED_COLUMNS)


def max_bytes() -> int:
    return settings.REGISTRY_IMPORT_MAX_BYTES


def inspect_file(path: Path, filename: str = "", *, county_code: str = "") -> FileInfo:
    """Refuse at once what can never be imported; say what was found (header row, columns not matched)."""
    return reading.inspect_file(path, filename, LAYOUT, max_bytes=max_bytes(), county_code=county_code)


def iter_rows(path: Path, info: FileInfo):
    """Yield (row number in the file, {column: value}) with every column of COLUMNS; others are ignored."""
    return reading.iter_rows(path, info, COLUMNS)


def count_rows(path: Path, info: FileInfo) -> int:
    return reading.count_rows(path, info)
