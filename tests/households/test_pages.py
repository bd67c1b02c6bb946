from datetime import date

import pytest
from django.urls import reverse

from audit.models import AccessLog, AuditEvent
from households import services
from households.models import Household, Person
from tests.households.factories import household_data, id_number, member_row

pytestmark = pytest.mark.django_db


def _post(village, members, incomes=(), assets=(), version=None, **extra):
    data = {"village": village.code, "address": "东关村5号", "registration_type": "rural", "contact_phone": "",
            "bank_name": "", "bank_account": ""}
    if version is not None:
        data["version"] = version
    data.update(extra)
    for prefix, rows in (("members", members), ("incomes", incomes), ("assets", assets)):
        data[f"{prefix}-TOTAL_FORMS"] = len(rows)
        data[f"{prefix}-INITIAL_FORMS"] = 0
        for i, row in enumerate(rows):
            for k, v in row.items():
                if v is True:
                    v = "on"
                data[f"{prefix}-{i}-{k}"] = v
    return data


def _member(relationship="head", name="王大山", number=None, **kw):
    return {"id_number": number or id_number(), "name": name, "relationship": relationship,
            "labour_capacity": "full", "health": "healthy", "counted": True, **kw}


def test_create_page(web, village_staff, village, standard, policy):
    c = web(village_staff)
    assert c.get(reverse("households:create")).status_code == 200
    r = c.post(reverse("households:create"), _post(village, [_member(), _member("spouse", "李小花")],
                                                       incomes=[{"kind": "wages", "monthly_amount": "800",
                                                                 "period_months": 12, "counted": True}]))
    assert r.status_code == 302, r.content.decode()[:3000]
    h = Household.objects.get()
    assert h.size == 2 and h.per_capita_monthly_income == 360


@pytest.mark.parametrize("members,incomes,extra,text", [
    ([_member(number="110105194912310021")], [], {}, "check character"),
    ([_member(number="370283199902300011")], [], {}, "not a real date"),
    ([_member(number="370283182001010011")], [], {}, "older than"),
    ([_member("spouse")], [], {}, "exactly one head"),
    ([_member(), _member("spouse")], [], {"contact_phone": "abc"}, "phone"),
    ([_member()], [{"kind": "wages", "monthly_amount": "-3", "period_months": 12}], {}, "greater than or equal"),
    ([_member()], [{"kind": "wages", "monthly_amount": "3"}], {}, "months the amount"),
])
def test_bad_input_page(web, village_staff, village, standard, members, incomes, extra, text, settings):
    settings.LANGUAGE_CODE = "en"
    c = web(village_staff)
    r = c.post(reverse("households:create"), _post(village, members, incomes, **extra), HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400
    body = r.content.decode()
    assert text in body and ("invalid-feedback" in body or "alert-danger" in body)
    assert Household.objects.count() == 0 and Person.objects.count() == 0


def test_duplicate_id_in_household_page(web, village_staff, village, standard):
    n = id_number()
    r = web(village_staff).post(reverse("households:create"),
                                _post(village, [_member(number=n), _member("spouse", number=n)]))
    assert r.status_code == 400 and Household.objects.count() == 0


def test_list_page_masked_and_search(web, village_staff, household):
    full = household.members.first().person.id_number
    c = web(village_staff)
    body = c.get(reverse("households:list")).content.decode()
    assert full not in body and full[:6] + "********" + full[14:] in body
    assert "王大山" in c.get(reverse("households:list"), {"q": full}).content.decode()
    assert "王大山" not in c.get(reverse("households:list"), {"q": "赵"}).content.decode()


def test_detail_full_ids_logged(web, village_staff, household):
    full = household.members.first().person.id_number
    c = web(village_staff)
    body = c.get(reverse("households:detail", args=[household.pk])).content.decode()
    assert full not in body and "录入了本户" in body and "household.created" not in body  # the history in words
    assert AccessLog.objects.count() == 0
    # A link no longer reveals them; a POST with a purpose from the list and a note does.
    body = c.get(reverse("households:detail", args=[household.pk]), {"show_ids": "1"}).content.decode()
    assert full not in body and AccessLog.objects.count() == 0
    refused = c.post(reverse("households:detail", args=[household.pk]), {"show_ids": "1", "purpose": "x", "note": ""})
    assert refused.status_code == 400 and full not in refused.content.decode()
    body = c.post(reverse("households:detail", args=[household.pk]),
                  {"show_ids": "1", "purpose": "eligibility_check", "note": "入户核对身份"}).content.decode()
    assert full in body
    entry = AccessLog.objects.get(object_id=str(household.pk))
    assert entry.action == "household.reveal" and entry.detail["purpose"] == "eligibility_check"


def test_scoping_pages(web, other_village_staff, auditor, household):
    c = web(other_village_staff)
    assert c.get(reverse("households:detail", args=[household.pk])).status_code == 404
    assert c.post(reverse("households:edit", args=[household.pk]), {}).status_code == 404
    assert web(auditor).get(reverse("households:detail", args=[household.pk])).status_code == 200
    assert web(auditor).post(reverse("households:edit", args=[household.pk]), {}).status_code == 403
    household.refresh_from_db()
    assert household.version == 1


def _edit_post(household, version, address):
    members = [{"id": m.pk, "name": m.name, "relationship": m.relationship, "labour_capacity": m.labour_capacity,
                "health": m.health, "counted": True} for m in household.members.filter(is_active=True)]
    data = _post(household.village, members, version=version, address=address)
    data.pop("village")
    data["members-INITIAL_FORMS"] = len(members)
    return data


def test_edit_and_stale_page(web, village_staff, household):
    c = web(village_staff)
    assert c.get(reverse("households:edit", args=[household.pk])).status_code == 200
    r = c.post(reverse("households:edit", args=[household.pk]), _edit_post(household, 1, "一号"))
    assert r.status_code == 302
    r = c.post(reverse("households:edit", args=[household.pk]), _edit_post(household, 1, "我的输入"))
    assert r.status_code == 409
    body = r.content.decode()
    assert "我的输入" in body
    household.refresh_from_db()
    assert household.address == "一号" and household.version == 2
    assert AuditEvent.objects.filter(action="household.updated").count() == 1


def test_list_page_query_count(web, village_staff, village, standard, policy, django_assert_num_queries):
    for i in range(50):
        services.household_create(actor=village_staff, village=village, data=household_data(
            [member_row("head" if j == 0 else "child", f"户{i}员{j}", birth=date(1980, 1, 1)) for j in range(6)]))
    c = web(village_staff)
    c.get(reverse("households:list"))
    with django_assert_num_queries(6):
        r = c.get(reverse("households:list"))
    assert r.content.decode().count("********") == 25 * 6


def test_detail_page_query_count(web, village_staff, make_household, django_assert_num_queries):
    h = make_household(members=[member_row("head" if j == 0 else "child", f"员{j}") for j in range(6)],
                       incomes=[{"kind": "wages", "monthly_amount": "100", "period_months": 12}] * 3)
    c = web(village_staff)
    c.get(reverse("households:detail", args=[h.pk]))
    with django_assert_num_queries(10):
        c.get(reverse("households:detail", args=[h.pk]))


def test_home_panel(web, village_staff, household):
    body = web(village_staff).get("/").content.decode()
    assert reverse("households:list") in body


def test_chinese_error_message(web, village_staff, village, standard):
    r = web(village_staff).post(reverse("households:create"),
                                _post(village, [_member(number="110105194912310021")]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = r.content.decode()
    assert r.status_code == 400 and "校验码错误" in body and "新增家庭" in body


def test_the_pager_keeps_the_filters(web, village_staff, village, standard, policy):
    for i in range(30):
        services.household_create(actor=village_staff, village=village, data=household_data(
            [member_row("head", f"王{i}", birth=date(1980, 1, 1))]))
    client = web(village_staff)
    first = client.get(reverse("households:list"), {"q": "王", "village": village.code}).content.decode()
    assert "1 / 2" in first
    assert f'href="?q=%E7%8E%8B&amp;village={village.code}&amp;page=2"' in first
    second = client.get(reverse("households:list"), {"q": "王", "village": village.code, "page": "2"}).content.decode()
    assert "2 / 2" in second and f'village={village.code}&amp;page=1"' in second
    assert "page=3" not in second
    alone = client.get(reverse("households:list"), {"q": "王1"}).content.decode()  # 王1, 王10-王19: one page
    assert 'class="pagination' not in alone
