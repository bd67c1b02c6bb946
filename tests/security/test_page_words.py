"""Every page of the access matrix, rendered in Chinese for every role that may open it, shows no
developer words: no snake_case or dotted code names (`case.open_notice`, `cases.case #48`), no Python
dict or list reprs, no English words outside a short list of names and abbreviations that Chinese
civil-affairs pages use as they are (PDF, CSV, ID ...).
"""

import re
from html.parser import HTMLParser

import pytest

from accounts.models import User
from audit.services import record
from jobs.models import Job
from overlaps.models import OverlapFlag
from tests.security.test_access_matrix import ROWS, client_for, send

pytestmark = pytest.mark.django_db

# Words a Chinese page may show in Latin letters: file formats, units and the language switch.
ALLOWED_WORDS = {
    "PDF", "CSV", "XLSX", "Excel", "ID", "API", "English", "JPG", "JPEG", "PNG", "HEIC", "WebP", "MB", "KB",
    "GB", "GBK", "UTF",
}
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
DOTTED = re.compile(r"\b[a-z_]+\.[a-z_]+\b")
DICT_REPR = re.compile(r"\{'|\{\"|'\s*:\s*'|\[\{|\]\}")
ENGLISH = re.compile(r"(?<![\w.@/-])[A-Za-z]{2,}(?![\w@/-])")
FILE_NAME = re.compile(r"\S+\.(?:pdf|csv|xlsx|jpg|jpeg|png|txt)\b", re.I)


class VisibleText(HTMLParser):
    """The text a reader sees, plus title and placeholder attributes; no scripts or styles, and not the
    literal tokens a page marks `translate="no"` (a file's column names that must be typed as they are)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.hidden: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("script", "style", "template") or attributes.get("translate") == "no":
            self.hidden.append(tag)
        for name, value in attrs:
            if name in ("title", "placeholder", "aria-label", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if self.hidden and self.hidden[-1] == tag:
            self.hidden.pop()

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.parts.append(data.strip())


def developer_words(html: str, *, names: set[str]) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    found = []
    for text in parser.parts:
        for name in sorted(names, key=len, reverse=True):  # what a user typed (longest first: "auditadmin"
            # before "admin"), not developer words
            text = text.replace(name, " ")
        text = FILE_NAME.sub(" ", text)
        found += [f"code name {m}" for m in SNAKE.findall(text)]
        found += [f"dotted {m}" for m in DOTTED.findall(text)]
        found += [f"repr {text[:60]!r}" for _m in DICT_REPR.findall(text)][:1]
        found += [f"English {m} in {text[:50]!r}" for m in ENGLISH.findall(text) if m not in ALLOWED_WORDS]
    return found


PAGES = [row for row in ROWS if not row.api and row.method == "GET"]


@pytest.fixture
def rich_world(world):
    """The matrix's world with the details that used to leak code names: a finished job's counts (with
    a per-rule mapping), a finding's match reasons, member and asset changes in the household history."""
    own = world.household["own"]
    Job.objects.filter(pk__in=[world.job["own"].pk, world.import_job["own"].pk]).update(
        counts={"rows_read": 3, "rows_imported": 2, "rows_failed": 1, "found": 2, "rules": {"EDGE_HOUSEHOLD": 2}})
    OverlapFlag.objects.filter(pk=world.flag["own"].pk).update(
        details={"reasons": ["registry_income_above_standard", "income_figures_disagree"], "reason": "one_digit"})
    officer = world.users["county_officer"]
    record(actor=officer, action="member.updated", obj=own, division_code=own.division_code,
           before={"member": 1, "labour_capacity": "full"}, after={"member": 1, "labour_capacity": "none"})
    record(actor=officer, action="asset.added", obj=own, division_code=own.division_code,
           after={"asset": 1, "kind": "deposits", "value": "100.00"})
    record(actor=officer, action="case.open_notice", obj=world.case["own"], division_code=own.division_code)
    return world


@pytest.mark.parametrize("row", PAGES, ids=lambda r: r.name)
def test_page_has_no_developer_words(rich_world, row):
    world = rich_world
    names = set(User.objects.values_list("username", flat=True))
    problems = {}
    for role, user in world.users.items():
        if user is None or role not in row.allowed:
            continue
        client = client_for(row, user)
        client.cookies["django_language"] = "zh-hans"
        path = row.path(world, "own") if callable(row.path) else row.path
        response = send(client, row, path)
        if "text/html" not in response.get("Content-Type", ""):
            continue
        words = developer_words(response.content.decode(), names=names)
        if words:
            problems[f"{role} {path} ({response.status_code})"] = sorted(set(words))
    assert not problems, "\n" + "\n".join(f"{where}: {words}" for where, words in problems.items())
