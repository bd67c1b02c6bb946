"""The cascading division picker (county -> township -> village, htmx) and the help pages per role."""

import pytest

from tests.factories import DivisionFactory
from tests.poverty_registry.factories import make_registration

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_township(county):
    township = DivisionFactory(code="370283102000", name="北村镇", level="township", parent=county)
    DivisionFactory(code="370283102201", name="北一村", level="village", parent=township)
    return township


def test_next_level_lists_the_children_in_the_users_area(web, county_officer, township, village, other_village,
                                                          second_township, other_county_village):
    client = web(county_officer)
    html = client.get(f"/divisions/options/?division=370283000000&division={township.code}").content.decode()
    assert 'name="division"' in html and "东关村" in html and "西王家村" in html and "北一村" not in html
    assert 'hx-get="/divisions/options/"' in html and "<script" not in html
    # nothing picked at this level: no deeper select
    assert client.get(f"/divisions/options/?division={township.code}&division=").content.decode().strip() == "" or \
        "东关村" in client.get(f"/divisions/options/?division={township.code}&division=").content.decode()
    assert client.get("/divisions/options/?division=").content == b""
    # another county's township: 404, like any object outside the area
    assert client.get("/divisions/options/?division=370285101000").status_code == 404
    assert client.get("/divisions/options/?field=x-y&division=370283101000").status_code == 400


def test_village_staff_pick_nothing_outside_their_village(web, village_staff, village, township):
    client = web(village_staff)
    assert client.get(f"/divisions/options/?division={township.code}").status_code == 404
    html = client.get("/poverty-registry/").content.decode()
    assert 'hx-get="/divisions/options/"' not in html  # one village: no picker


def test_report_filter_takes_the_deepest_picked_division(web, county_officer, township, village, other_village,
                                                         second_township):
    client = web(county_officer)
    page = client.get("/reports/reports/case_register/").content.decode()
    assert "全部乡镇" in page and "南村镇" in page and "北村镇" in page
    picked = client.get(f"/reports/reports/case_register/?division={township.code}&division={village.code}")
    assert picked.status_code == 200
    assert picked.context["form"].cleaned_data["division"].code == village.code
    html = picked.content.decode()
    # the chain is rendered with the picked township and village selected
    assert f'<option value="{township.code}" selected>' in html and f'<option value="{village.code}" selected>' in html
    only_township = client.get(f"/reports/reports/case_register/?division={township.code}&division=")
    assert only_township.context["form"].cleaned_data["division"].code == township.code


def test_registry_list_filters_by_the_picked_township(web, county_officer, township, village, second_township):
    make_registration(village, code="IN", start=1)
    north = second_township.children.first() if hasattr(second_township, "children") else None
    from accounts.models import Division

    north = Division.objects.get(code="370283102201")
    make_registration(north, code="OUT", start=20)
    html = web(county_officer).get(f"/poverty-registry/?division={township.code}&division=").content.decode()
    assert ">IN<" in html and ">OUT<" not in html


@pytest.mark.parametrize("role,chinese,english", [
    ("village_staff", "村级经办人员负责本村家庭", "Village staff enter"),
    ("township_staff", "入户调查", "home visits"),
    ("county_officer", "审核确认", "review and confirm"),
    ("auditor", "查阅和导出记录", "reads and exports"),
    ("admin", "节假日表", "holiday table"),
])
def test_help_page_per_role_in_chinese_and_english(web, county_officer, role, chinese, english):
    client = web(county_officer)
    html = client.get(f"/help/{role}/").content.decode()
    assert chinese in html and "保障类别 A / B / C" in html
    client.post("/i18n/setlang/", {"language": "en"})
    assert english in client.get(f"/help/{role}/").content.decode()


def test_help_opens_on_the_users_role_and_is_linked_from_every_page(web, village_staff, auditor):
    assert "村级经办人员负责本村家庭" in web(village_staff).get("/help/").content.decode()
    html = web(auditor).get("/audit/").content.decode()
    assert 'href="/help/"' in html and "本岗位使用帮助" in html
    assert web(auditor).get("/help/nobody/").status_code == 404
