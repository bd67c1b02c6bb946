"""ASVS V8.3 (sensitive private data) / GB/T 22239 8.1.4.8-9 personal information: masked by default, full
values only on an explicit, audited, throttled reveal; no ID number in URLs or the access log; bank
accounts masked in the audit log; the "active elsewhere" refusal tells no other area's village."""

import pytest

from audit.models import AccessLog, AuditEvent
from households import services
from households.persons import id_hash_for
from tests.households.conftest import policy, standard  # noqa: F401  fixtures
from tests.households.factories import household_data, member_row

pytestmark = pytest.mark.django_db
URL = "/api/v1/households/"


@pytest.fixture
def made(api, village_staff, village, standard, policy):  # noqa: F811  fixtures imported above
    data = household_data([member_row("head", "王大山")])
    data["village"] = village.code
    data["bank_account"] = "6222020200112233445"
    body = api(village_staff).post(URL, data, format="json").json()
    return body, data["members"][0]["id_number"]


def test_detail_and_list_are_masked(api, village_staff, made):
    body, full = made
    detail = api(village_staff).get(f"{URL}{body['id']}/").json()
    assert full not in str(detail) and "6222020200112233445" not in str(detail)
    assert detail["bank_account"] == "***************3445"
    assert full not in str(api(village_staff).get(URL).json())


def test_reveal_needs_a_listed_purpose_and_a_note_and_is_logged(api, village_staff, other_village_staff, made):
    body, full = made
    url = f"{URL}{body['id']}/reveal/"
    assert api(village_staff).post(url, {"purpose": "curiosity", "note": "看看"}, format="json").status_code == 400
    assert api(village_staff).post(url, {"purpose": "payment", "note": ""}, format="json").status_code == 400
    assert api(other_village_staff).post(url, {"purpose": "payment", "note": "银行退票核对"},
                                         format="json").status_code == 404
    response = api(village_staff).post(url, {"purpose": "payment", "note": "银行退票核对"}, format="json")
    assert response.status_code == 200
    assert response.json()["members"][0]["id_number"] == full
    assert response.json()["bank_account"] == "6222020200112233445"
    entry = AccessLog.objects.get(action="household.reveal")
    assert entry.detail["purpose"] == "payment" and entry.detail["note"] == "银行退票核对"
    assert entry.user == village_staff


def test_reveal_is_throttled_per_user(api, village_staff, made, monkeypatch):
    from dibao.api import RevealThrottle

    body, _full = made
    monkeypatch.setattr(RevealThrottle, "THROTTLE_RATES", {**RevealThrottle.THROTTLE_RATES, "reveal": "2/hour"})
    statuses = [api(village_staff).post(f"{URL}{body['id']}/reveal/", {"purpose": "audit", "note": "抽查核对"},
                                        format="json").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert AccessLog.objects.filter(action="household.reveal").count() == 2


def test_id_number_search_is_a_post_logged_by_blind_index(api, web, village_staff, made):
    _body, full = made
    assert api(village_staff).get(URL, {"q": full}).status_code == 400
    assert api(village_staff).post(f"{URL}search/", {"id_number": full}, format="json").json()["count"] == 1
    page = web(village_staff).post("/households/", {"q": full})
    assert page.status_code == 200 and "王大山" in page.content.decode()
    entries = AccessLog.objects.filter(action="household.search_id_number")
    assert entries.count() == 2
    assert {e.detail["id_hash"] for e in entries} == {id_hash_for(full)}
    assert full not in str(list(AccessLog.objects.values_list("detail", flat=True)))
    # A link with an ID number is not searched (the plain list comes back, with a hint, and nothing is logged).
    linked = web(village_staff).get("/households/", {"q": full}).content.decode()
    assert "请在搜索框中输入身份证号" in linked
    assert AccessLog.objects.filter(action="household.search_id_number").count() == 2


def test_bank_account_is_masked_with_a_hash_in_the_audit_log(api, village_staff, made, web, auditor):
    body, _full = made
    api(village_staff).patch(f"{URL}{body['id']}/", {"bank_account": "6222020200199998888", "version": 1},
                             format="json")
    events = AuditEvent.objects.filter(object_type="households.household", object_id=str(body["id"]))
    text = str(list(events.values_list("before", "after")))
    assert "6222020200112233445" not in text and "6222020200199998888" not in text
    update = events.get(action="household.updated")
    assert update.after["bank_account"]["masked"].endswith("8888")
    assert update.before["bank_account"]["hash"] != update.after["bank_account"]["hash"]
    history = web(auditor).get(f"/audit/history/households.household/{body['id']}/").content.decode()
    assert "6222020200199998888" not in history


def test_active_elsewhere_names_the_village_only_in_scope_and_is_audited(api, village_staff, other_county_officer,
                                                                         county_officer, made, other_county_village,
                                                                         village):
    _body, full = made
    row = member_row("head", "王大山")
    row["id_number"] = full
    data = household_data([row])
    data["village"] = other_county_village.code
    from tests.factories import UserFactory

    far_staff = UserFactory(username="far", role="village_staff", division=other_county_village)
    refused = api(far_staff).post(URL, data, format="json")
    assert refused.status_code == 400
    assert village.name not in str(refused.json())
    assert AccessLog.objects.filter(action="household.active_elsewhere_refused", user=far_staff).count() == 1
    # A user whose area covers the other household is told where.
    data["village"] = village.code
    with pytest.raises(Exception) as exc:
        services.household_create(actor=county_officer, village=village, data={**data, "village": None})
    assert village.name in str(getattr(exc.value, "fields", ""))
