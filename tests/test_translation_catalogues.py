"""One English string, one Chinese string: the catalogues agree with each other and with what pages show.

Django merges every app's catalogue into one table per language, so when two apps translate the same
msgid (same context) differently, one translation silently wins on every page. A word that means two
things takes a context (`pgettext` / `{% translate "..." context "..." %}`) instead.
"""

from collections import defaultdict
from pathlib import Path

import polib
import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted(p for p in ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po") if ".venv" not in str(p)) + [
    ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"]


def _entries():
    for path in CATALOGUES:
        for entry in polib.pofile(str(path)):
            if not entry.obsolete and not entry.msgid_plural:
                yield path.relative_to(ROOT).parts[0], entry


def test_one_translation_per_msgid_and_context():
    seen: dict[tuple, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for app, entry in _entries():
        seen[(entry.msgctxt, entry.msgid)][entry.msgstr].add(app)
    conflicts = {key: {text: sorted(apps) for text, apps in texts.items()}
                 for key, texts in seen.items() if len(texts) > 1}
    assert conflicts == {}


def test_pages_show_the_catalogues_translation():
    """Django's own catalogues rank below the project's apps only where the app comes first in
    INSTALLED_APPS; this proves no other catalogue (Django's "Disabled" = 禁用) wins over ours."""
    wrong = {}
    with translation.override("zh-hans"):
        for app, entry in _entries():
            shown = (translation.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt
                     else translation.gettext(entry.msgid))
            if shown != entry.msgstr:
                wrong[(app, entry.msgctxt, entry.msgid)] = (entry.msgstr, shown)
    assert wrong == {}


@pytest.mark.parametrize("context,english,chinese", [
    ("labour capacity", "Full", "有劳动能力"),
    ("labour capacity", "Partial", "部分丧失劳动能力"),
    ("labour capacity", "None", "完全丧失劳动能力"),
    ("health", "Disabled", "残疾"),
    ("count", "Households", "户数"),
    ("time", "Submitted", "提交时间"),
    ("shared registry", "findings", "比对疑点"),
    (None, "Findings", "比对疑点"),
    (None, "Poverty registry", "脱贫户和监测对象"),
    ("household has a dibao case", "Dibao", "低保"),
    ("review", "Outcome", "复核结果"),
    (None, "Outcome", "处理结果"),
])
def test_standard_wording(context, english, chinese):
    with translation.override("zh-hans"):
        shown = translation.pgettext(context, english) if context else translation.gettext(english)
    assert shown == chinese
