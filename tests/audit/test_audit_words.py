"""The audit log as people read it: sentences, names and links, division names, the access log beside it."""

from html.parser import HTMLParser

import pytest
from django.utils import translation

from audit import humanize
from audit.services import record, record_access
from tests.reports.factories import make_case

pytestmark = pytest.mark.django_db


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


@pytest.fixture
def logged(village, county_officer, village_staff, county_auditor):
    case = make_case(village, village_staff, status="in_notice", head="王一")
    record(actor=county_officer, action="case.open_notice", obj=case, division_code=village.code,
           before={"status": "investigated"}, after={"status": "in_notice"})
    record(actor=village_staff, action="member.updated", obj=case.household, division_code=village.code,
           before={"member": 3, "labour_capacity": "full", "health": "healthy"},
           after={"member": 3, "labour_capacity": "partial", "health": "disabled"})
    record(actor=village_staff, action="asset.added", obj=case.household, division_code=village.code,
           after={"asset": 9, "kind": "deposits", "value": "5000.00"})
    record_access(user=county_auditor, action="export", object_type="reports.export", object_id="77",
                  division_code=village.code, detail={"report": "case_register", "rows": 12})
    record_access(user=county_officer, action="household.view_id_numbers", obj=case.household,
                  division_code=village.code, detail={"purpose": "入户核对"})
    return case


def test_the_log_reads_as_sentences_with_names_and_links(logged, web, county_auditor):
    html = web(county_auditor).get("/audit/").content.decode()
    assert "开始公示" in html and "王一户（编号" in html
    assert f'href="/cases/{logged.pk}/"' in html and f'href="/households/{logged.household.pk}/"' in html
    assert "东关村" in html  # the division by name
    # changes in words: field names and choice labels of the member and the asset
    assert "劳动能力" in html and "有劳动能力" in html and "部分丧失劳动能力" in html and "残疾" in html
    assert "存款" in html or "金融资产" in html
    text = visible(html)
    for developer_word in ("case.open_notice", "cases.case", "labour_capacity", "deposits", "370283101201",
                           "in_notice", "member.updated"):
        assert developer_word not in text, developer_word


def test_access_log_in_the_same_viewer_with_filters(logged, web, county_auditor, county_officer):
    client = web(county_auditor)
    html = client.get("/audit/?log=access").content.decode()
    assert "查阅和导出记录" in html
    assert "导出了" in html and "查看了" in html and "完整身份证号码" in html and "入户核对" in html
    only_reveals = client.get("/audit/?log=access&action=household.view_id_numbers")
    assert [e.action for e in only_reveals.context["page"].object_list] == ["household.view_id_numbers"]
    by_actor = client.get(f"/audit/?log=access&actor={county_officer.username}")
    assert [e.user_id for e in by_actor.context["page"].object_list] == [county_officer.pk]
    by_object = client.get("/audit/?log=access&object_type=reports.export&object_id=77")
    assert [e.object_id for e in by_object.context["page"].object_list] == ["77"]
    assert client.get("/audit/?log=access&action=nonsense").status_code == 400


def test_access_log_is_scoped(logged, web, other_county_officer, admin_user, audit_admin, db):
    from tests.factories import UserFactory

    outsider = UserFactory(username="oc-auditor", role="auditor", division=other_county_officer.division)
    response = web(outsider).get("/audit/?log=access")
    assert response.status_code == 200 and list(response.context["page"].object_list) == []
    assert len(web(audit_admin).get("/audit/?log=access").context["page"].object_list) == 2
    assert web(admin_user).get("/audit/?log=access").status_code == 403  # 三员分立: not the system administrator


def test_wrong_roles_cannot_read_the_access_log(web, village_staff, county_officer):
    for user in (village_staff, county_officer):
        assert web(user).get("/audit/?log=access").status_code == 403


def test_household_history_is_in_words(logged, web, village_staff):
    text = visible(web(village_staff).get(f"/households/{logged.household.pk}/").content.decode())
    assert "修改了本户的家庭成员" in text and "为本户添加了财产" in text
    assert "部分丧失劳动能力" in text and "labour_capacity" not in text and "kind=" not in text


def test_query_count_is_pinned(web, county_auditor, county_officer, village, other_village,
                               django_assert_num_queries):
    cases = [make_case(village if n % 2 else other_village, county_officer, head=f"户{n}") for n in range(12)]
    for case in cases:
        record(actor=county_officer, action="case.accept", obj=case, division_code=case.division_code)
        record(actor=county_officer, action="household.updated", obj=case.household, division_code=case.division_code)
    client = web(county_auditor)
    client.get("/audit/")
    # session, user, user's division (scope), count, page of events (with actors), the cases (with their
    # households), the households, the division names, the division picker's first level: the same for 2
    # events or 50
    with django_assert_num_queries(9):
        response = client.get("/audit/")
    assert len(response.context["rows"]) == 24


def test_every_action_in_the_code_has_a_sentence():
    """Every action literal the services write has its sentence (no code name reaches the page)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found = set()
    for path in root.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts or "migrations" in path.parts:
            continue
        text = path.read_text()
        found |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', text))
        found |= set(re.findall(r'"([a-z_]+\.[a-z_]+)" if \w+ else "([a-z_]+\.[a-z_]+)"', text) and
                     [a for pair in re.findall(r'"([a-z_]+\.[a-z_]+)" if \w+ else "([a-z_]+\.[a-z_]+)"', text)
                      for a in pair])
    workflow = (root / "cases" / "workflow.py").read_text()
    found |= {f"case.{name}" for name in re.findall(r'Transition\("(\w+)"', workflow)}
    known = set(humanize.ACTIONS) | set(humanize.ACCESS_ACTIONS)
    assert sorted(found - known) == []


def test_sentences_in_english_too(logged, web, county_auditor):
    client = web(county_auditor)
    client.post("/i18n/setlang/", {"language": "en"})
    html = client.get("/audit/").content.decode()
    assert "opened the public notice of" in html
    with translation.override("en"):
        assert "application" in str(humanize.object_html("cases.case", str(logged.pk),
                                                         humanize.load_objects([("cases.case", str(logged.pk))])))
