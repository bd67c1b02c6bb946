"""Translations: the foundation's catalogues are complete and compiled Chinese reaches the pages."""

import re
from pathlib import Path

import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("*/locale") if ".venv" not in str(p)) + ["locale"]


def entries(po_text: str):
    for block in po_text.split("\n\n"):
        msgid = "".join(re.findall(r'"(.*)"', block.split("msgstr")[0].split("msgid", 1)[-1])) if "msgid" in block else ""
        msgstr = "".join(re.findall(r'"(.*)"', block.split("msgstr", 1)[1])) if "msgstr" in block else ""
        yield block, msgid, msgstr


@pytest.mark.parametrize("catalogue", CATALOGUES)
def test_catalogue_is_complete(catalogue):
    po = ROOT / catalogue / "zh_Hans" / "LC_MESSAGES" / "django.po"
    text = po.read_text()
    untranslated = [msgid for block, msgid, msgstr in entries(text)
                    if msgid and not block.lstrip().startswith("#~") and not msgstr]
    assert untranslated == []
    assert "#, fuzzy" not in text
    # Placeholders survive translation (plural entries repeat them, so compare the sets).
    for _block, msgid, msgstr in entries(text):
        assert set(re.findall(r"%\(\w+\)\w", msgid)) == set(re.findall(r"%\(\w+\)\w", msgstr)), msgid


@pytest.mark.parametrize("english,chinese", [
    ("Log in", "登录"),                                   # templates (root catalogue)
    ("Invalid input.", "输入有误。"),                      # dibao/
    ("The username or password is not correct.", "用户名或密码不正确。"),  # accounts/
    ("audit event", "审计事件"),                            # audit/
    ("Succeeded", "已完成"),                               # jobs/
])
def test_compiled_translations_are_used(english, chinese):
    with translation.override("zh-hans"):
        assert translation.gettext(english) == chinese
    with translation.override("en"):
        assert translation.gettext(english) == english


@pytest.mark.django_db
def test_home_page_in_chinese_and_english(web, county_officer):
    client = web(county_officer)
    html = client.get("/").content.decode()
    assert "待办工作" in html and "县级民政经办人员" in html and "退出登录" in html
    client.post("/i18n/setlang/", {"language": "en"})
    html = client.get("/").content.decode()
    assert "Work queue" in html and "Log out" in html


@pytest.mark.django_db
def test_pages_are_chinese_until_the_user_picks_english(client):
    # An English-language browser still gets Chinese pages first ...
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "用户名" in html and "Username" not in html
    # ... until the user switches; the API keeps honouring Accept-Language for other systems.
    client.post("/i18n/setlang/", {"language": "en"})
    assert "Username" in client.get("/accounts/login/").content.decode()
    assert "credentials" in client.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en").json()["detail"]
