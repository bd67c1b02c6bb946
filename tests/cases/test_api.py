"""The cases API: paths, error codes, scoping, query counts."""

from datetime import timedelta

import pytest

from cases.models import Case, CaseStatus
from tests.cases.conftest import TODAY, new_draft
from tests.cases.factories import make_household

pytestmark = pytest.mark.django_db
URL = "/api/v1/cases/"


def post(client, case, action, data=None):
    """As a client does: read the case's version, send it with the action (unless the test sets its own)."""
    body = dict(data or {})
    if "version" not in body:
        body["version"] = Case.objects.get(pk=case.pk).version
    return client.post(f"{URL}{case.pk}/{action}/", body, format="json")


def test_full_approve_path_through_the_api(api, household, village_staff, county_officer, county_officer2,
                                           township_staff, investigator):
    village, county, county2, township = api(village_staff), api(county_officer), api(county_officer2), api(
        township_staff)
    applicant = household.members.get(relationship="head")
    r = village.post(URL, {"household": household.pk, "applicant": applicant.pk, "reason": "因病",
                           "authorisation_signed": True, "authorisation_date": str(TODAY)}, format="json")
    assert r.status_code == 201, r.json()
    case = Case.objects.get(pk=r.json()["id"])
    assert r.json()["allowed_actions"] == ["submit", "withdraw"]
    assert post(village, case, "submit", {"version": 1}).status_code == 200
    r = post(county, case, "return", {"reasons": "缺材料"})
    assert r.json()["status"] == "draft" and r.json()["return_reasons"] == "缺材料"
    assert village.patch(f"{URL}{case.pk}/", {"reason": "因病致贫", "version": Case.objects.get(pk=case.pk).version},
                         format="json").status_code == 200
    assert post(village, case, "submit").status_code == 200
    r = post(county, case, "accept")
    assert r.json()["deadlines"]["deadline"]
    for number in (1, 2):
        r = post(township, case, "visits", {"number": number, "visit_date": str(TODAY), "findings": "属实",
                                            "investigators": [township_staff.pk, investigator.pk],
                                            "verified_monthly_income": "500.00", "applicant_signed": True})
        assert r.status_code == 200, r.json()
    assert r.json()["status"] == "investigated" and len(r.json()["visits"]) == 2
    r = post(county, case, "open-notice")
    assert r.json()["status"] == "in_notice" and r.json()["notices"][0]["proposed_amount"] == "1068.00"
    r = post(county, case, "objections", {"content": "有异议", "raised_by": "村民甲"})
    assert r.json()["status"] == "under_investigation"
    for number in (1, 2):
        post(township, case, "visits", {"number": number, "visit_date": str(TODAY), "findings": "复查属实",
                                        "investigators": [investigator.pk], "investigator_names": ["张三"]})
    assert post(county, case, "open-notice").json()["status"] == "in_notice"
    case.notices.filter(outcome="open").update(starts_on=TODAY - timedelta(days=8), ends_on=TODAY - timedelta(days=2))
    r = county.get(f"{URL}{case.pk}/")  # reading a case whose notice is over moves nothing
    assert r.json()["status"] == "in_notice"
    assert [n["closes_automatically_on"] for n in r.json()["notices"] if n["outcome"] == "open"] == [
        str(TODAY - timedelta(days=1))]
    r = post(county, case, "end-notice")  # the officer ends it (or the nightly sweep does)
    assert r.json()["status"] == "awaiting_decision"
    r = post(county2, case, "approve", {"category": "A"})
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["status"] == "active" and body["decision"]["monthly_amount"] == "1068.00"
    assert [e["action"] for e in body["events"]][-1] == "case.approve"


def test_reject_and_withdraw(api, walker, draft, village, village_staff, county_officer2, standard):
    case = walker.to(draft, CaseStatus.AWAITING_DECISION)
    r = post(api(county_officer2), case, "reject", {"reason": ""})
    assert r.status_code == 400 and "reason" in r.json()
    assert post(api(county_officer2), case, "reject", {"reason": "收入超标"}).json()["status"] == "rejected"
    other = walker.to(new_draft(village_staff, make_household(village)), CaseStatus.SUBMITTED)
    assert post(api(village_staff), other, "withdraw", {"reason": "撤回"}).json()["status"] == "withdrawn"


def test_error_codes(api, walker, draft, village_staff, other_village_staff, county_auditor, county_officer,
                     other_county_officer):
    r = post(api(county_officer), draft, "approve", {"category": "A"})
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"
    r = post(api(county_auditor), draft, "submit")
    assert r.status_code == 403
    assert post(api(other_village_staff), draft, "submit").status_code == 404
    assert post(api(other_county_officer), draft, "withdraw", {"reason": "x"}).status_code == 404
    assert api(other_village_staff).get(f"{URL}{draft.pk}/").status_code == 404
    r = post(api(village_staff), draft, "submit", {"version": 99})
    assert r.status_code == 409 and r.json()["code"] == "stale_version"
    r = post(api(village_staff), draft, "withdraw", {"reason": ""})
    assert r.status_code == 400 and "reason" in r.json()
    draft.refresh_from_db()
    assert draft.status == CaseStatus.DRAFT and draft.version == 1
    r = api(county_auditor).post(URL, {"household": draft.household_id}, format="json")
    assert r.status_code == 403


def test_bad_inputs_give_field_errors(api, walker, draft, township_staff, county_officer2):
    case = walker.to(draft, CaseStatus.UNDER_INVESTIGATION)
    client = api(township_staff)
    r = post(client, case, "visits", {"number": 3, "visit_date": "2025-02-30", "findings": ""})
    assert r.status_code == 400 and {"number", "visit_date", "findings"} <= set(r.json())
    r = post(client, case, "visits", {"number": 1, "visit_date": str(TODAY), "findings": "x",
                                      "investigators": [township_staff.pk]})
    assert r.status_code == 400 and "investigators" in r.json()
    case = walker.to(case, CaseStatus.AWAITING_DECISION)
    r = post(api(county_officer2), case, "approve", {"category": "Z", "override_amount": "abc"})
    assert r.status_code == 400 and {"category", "override_amount"} <= set(r.json())
    r = post(api(county_officer2), case, "approve", {"category": "A", "first_payment_month": "2020-01-01"})
    assert r.status_code == 400 and "first_payment_month" in r.json()
    r = api(township_staff).post(URL, {"household": 999999}, format="json")
    assert r.status_code == 400 and "household" in r.json()
    # A county officer does not enter applications: refused before the body is read.
    r = api(county_officer2).post(URL, {"household": 999999}, format="json")
    assert r.status_code == 403 and "household" not in r.json()
    assert api(county_officer2).get(URL, {"status": "nonsense"}).status_code == 400
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_DECISION


def test_create_refuses_household_outside_area(api, other_village_staff, household):
    r = api(other_village_staff).post(URL, {"household": household.pk}, format="json")
    assert r.status_code == 400 and "household" in r.json()
    assert not Case.objects.exists()


def test_list_filters_and_scope(api, walker, village, other_county_village, village_staff, county_officer,
                                other_county_officer, standard):
    a = walker.to(new_draft(village_staff, make_household(village), staff_relative=True,
                                staff_relative_relation="配偶", staff_relative_to="村会计"), CaseStatus.DRAFT)
    b = walker.to(new_draft(village_staff, make_household(village)), CaseStatus.UNDER_INVESTIGATION)
    Case.objects.filter(pk=b.pk).update(deadline=TODAY - timedelta(days=1))
    client = api(county_officer)
    ids = lambda r: {row["id"] for row in r.json()["results"]}  # noqa: E731
    assert ids(client.get(URL)) == {a.pk, b.pk}
    assert ids(client.get(URL, {"staff_relative": "true"})) == {a.pk}
    assert ids(client.get(URL, {"overdue": "true"})) == {b.pk}
    assert ids(client.get(URL, {"status": "draft"})) == {a.pk}
    assert ids(client.get(URL, {"division": village.code})) == {a.pk, b.pk}
    assert ids(client.get(URL, {"division": "370285000000"})) == set()
    assert client.get(URL, {"overdue": "true"}).json()["results"][0]["deadline_flag"] == "overdue"
    assert api(other_county_officer).get(URL).json()["count"] == 0


def test_query_counts(api, walker, village, village_staff, county_officer, standard, django_assert_num_queries):
    cases = [walker.to(new_draft(village_staff, make_household(village)), s)
             for s in (CaseStatus.DRAFT, CaseStatus.AWAITING_DECISION, CaseStatus.ACTIVE)]
    client = api(county_officer)
    client.get(URL)
    # count, page, holidays for the deadline marks
    with django_assert_num_queries(3):
        assert client.get(URL).json()["count"] == 3
    for _ in range(3):
        walker.to(new_draft(village_staff, make_household(village)), CaseStatus.SUBMITTED)
    with django_assert_num_queries(3):
        assert client.get(URL).json()["count"] == 6
    case = cases[2]
    client.get(f"{URL}{case.pk}/")
    # case + 3 prefetches (+ investigators), decisions, notice check, events
    with django_assert_num_queries(8):
        client.get(f"{URL}{case.pk}/")
    pending = cases[1]
    client.get(f"{URL}{pending.pk}/")
    # plus the benefit calculation: county, standard, policy (the verified visit is among the
    # prefetched visits)
    with django_assert_num_queries(11):
        client.get(f"{URL}{pending.pk}/")


def test_transition_query_count(api, walker, village, village_staff, county_officer, standard,
                                django_assert_num_queries):
    """A transition reads the case once under its row lock (no separate exists() or full detail read
    before it) and once more, as it is now, for the answer."""
    case = walker.to(new_draft(village_staff, make_household(village)), CaseStatus.SUBMITTED)
    client = api(county_officer)
    # scope check; a savepoint (workflow.run's transaction, inside the test's one); lock + read (with
    # the household); county, policy, holidays for the deadline; update; audit event + the change
    # feed's outbox message; its release; the answer: case + visits, notices, decisions, holidays for
    # the deadline marks, benefit (county, standard, policy), events. Was 29, then 22 while the
    # handler opened a second savepoint of its own and the registry check read the persons inline.
    with django_assert_num_queries(19):
        response = post(client, case, "accept", {"version": case.version})
    assert response.status_code == 200 and response.json()["status"] == "under_investigation"
    case.refresh_from_db()
    assert case.version == 3 and case.deadline is not None


def test_visit_investigator_of_another_area_is_refused_without_naming_them(api, walker, draft, township_staff,
                                                                           investigator, other_county_officer):
    case = walker.to(draft, CaseStatus.UNDER_INVESTIGATION)
    r = post(api(township_staff), case, "visits", {
        "number": 1, "visit_date": str(TODAY), "findings": "属实",
        "investigators": [township_staff.pk, other_county_officer.pk]})
    assert r.status_code == 400
    body = r.content.decode()
    assert "investigators" in r.json()
    assert other_county_officer.username not in body
    assert (other_county_officer.get_full_name() or other_county_officer.username) not in body
    case.refresh_from_db()
    assert case.status == CaseStatus.UNDER_INVESTIGATION and not case.visits.exists()
    # The staff serving the case's village can be named.
    r = post(api(township_staff), case, "visits", {
        "number": 1, "visit_date": str(TODAY), "findings": "属实",
        "investigators": [township_staff.pk, investigator.pk]})
    assert r.status_code == 200, r.json()
    assert case.visits.get(number=1).investigators.count() == 2


def test_a_draft_without_applicant_answers_null_and_the_schema_says_so(api, village, village_staff):
    """Found by the schema fuzzer: a draft may have no applicant yet, and the answer must match the schema."""
    draft = new_draft(village_staff, make_household(village), applicant=None)
    body = api(village_staff).get(f"/api/v1/cases/{draft.pk}/").json()
    assert body["applicant"] is None and body["applicant_name"] is None
    schema = api(village_staff).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert schema["components"]["schemas"]["CaseDetail"]["properties"]["applicant_name"].get("nullable") is True
