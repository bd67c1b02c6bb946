"""Batch work: accept several submitted cases, open a village's notices together - each through the workflow
runner (every guard, one audit event per case, version checked) with a summary of who went through and why not."""

import re

import pytest

from audit.models import AuditEvent
from cases.batch import parse_selection, run_batch
from cases.models import Case, CaseStatus, PublicNotice
from dibao.errors import InvalidInput
from tests.cases.conftest import TODAY, new_draft
from tests.cases.factories import make_household
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def submitted(walker, village_staff, village, n):
    return [walker.to(new_draft(village_staff, make_household(village)), CaseStatus.SUBMITTED) for _ in range(n)]


def test_accept_several_submitted_cases_at_once(web, walker, village, village_staff, county_officer, standard,
                                                other_county_village, other_county_officer):
    fresh, stale, again = submitted(walker, village_staff, village, 3)
    other_staff = UserFactory(username="oc-v", role="village_staff", division=other_county_village)
    foreign = new_draft(other_staff, make_household(other_county_village))
    already = walker.to(new_draft(village_staff, make_household(village)), CaseStatus.UNDER_INVESTIGATION)
    client = web(county_officer)
    page = client.get("/cases/?status=submitted").content.decode()
    # The list of submitted cases offers a checkbox per case, carrying its version.
    assert f'value="{fresh.pk}:{fresh.version}"' in page and 'action="/cases/batch/accept/"' in page
    events_before = AuditEvent.objects.filter(action="case.accept").count()
    response = client.post("/cases/batch/accept/", {"case": [
        f"{fresh.pk}:{fresh.version}", f"{stale.pk}:{stale.version - 1}", f"{again.pk}:{again.version}",
        f"{foreign.pk}:{foreign.version}", f"{already.pk}:{already.version}"]})
    assert response.status_code == 200
    body = response.content.decode()
    rows = dict(re.findall(r'data-case="(\d+)" data-ok="(\d)"', body))
    assert rows == {str(fresh.pk): "1", str(stale.pk): "0", str(again.pk): "1", str(foreign.pk): "0",
                    str(already.pk): "0"}
    statuses = dict(Case.objects.values_list("pk", "status"))
    assert statuses[fresh.pk] == statuses[again.pk] == CaseStatus.UNDER_INVESTIGATION
    assert statuses[stale.pk] == CaseStatus.SUBMITTED and statuses[foreign.pk] == CaseStatus.DRAFT
    # One audit event per accepted case, none for the refused.
    accepted = AuditEvent.objects.filter(action="case.accept").order_by("id")[events_before:]
    assert sorted(int(e.object_id) for e in accepted) == sorted([fresh.pk, again.pk])
    # The reasons are said: someone else changed it, not in the area, not in that state.
    assert "2 件" in body or "2 done" in body
    assert "他人已修改" in body and "受理" in body
    # The other county's case is not even named.
    assert foreign.household.head_name not in body


def test_batch_checks_role_input_and_guards(web, walker, village, village_staff, township_staff, county_officer,
                                           standard):
    case, = submitted(walker, village_staff, village, 1)
    assert web(village_staff).post("/cases/batch/accept/", {"case": [f"{case.pk}:{case.version}"]}).status_code == 403
    assert web(township_staff).post("/cases/batch/open-notice/", {"case": [f"{case.pk}"]}).status_code == 403
    client = web(county_officer)
    for bad in ({}, {"case": ["x:1"]}, {"case": ["1:y"]}):
        response = client.post("/cases/batch/accept/", bad)
        assert response.status_code == 400 and "case" in response.content.decode()
    assert client.get("/cases/batch/accept/").status_code == 405
    assert client.post("/cases/batch/nonsense/", {"case": [str(case.pk)]}).status_code == 404
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED
    with pytest.raises(InvalidInput):
        parse_selection([])
    # Duplicates are run once.
    assert parse_selection([f"{case.pk}:3", f"{case.pk}:3", "7"]) == [(case.pk, 3), (7, None)]


def test_open_the_notices_of_a_village_together_then_print_its_board(web, walker, village, village_staff,
                                                                     county_officer, standard):
    ready = [walker.to(new_draft(village_staff, make_household(village)), CaseStatus.INVESTIGATED) for _ in range(3)]
    client = web(county_officer)
    page = client.get(f"/cases/?status=investigated&village={village.code}").content.decode()
    assert 'action="/cases/batch/open-notice/"' in page
    response = client.post("/cases/batch/open-notice/", {"case": [f"{c.pk}:{c.version}" for c in ready]})
    body = response.content.decode()
    assert body.count('data-ok="1"') == 3
    assert f"/cases/notice-board/{village.code}/" in body
    assert set(Case.objects.filter(pk__in=[c.pk for c in ready]).values_list("status", flat=True)) == {
        CaseStatus.IN_NOTICE}
    assert PublicNotice.objects.filter(case__in=ready, outcome="open").count() == 3
    assert AuditEvent.objects.filter(action="case.open_notice").count() == 3
    board = client.get(f"/cases/notice-board/{village.code}/").content.decode()
    assert all(c.household.head_name in board for c in ready)
    listing = client.get(f"/cases/?status=in_notice&village={village.code}").content.decode()
    assert f'href="/cases/notice-board/{village.code}/"' in listing


def test_a_guard_refuses_in_a_batch_as_on_the_case_page(walker, village, township_staff, investigator, standard):
    """Whoever entered an application may not record its visits: the row's guard applies inside a batch too."""
    case = walker.to(new_draft(township_staff, make_household(village)), CaseStatus.UNDER_INVESTIGATION)
    results = run_batch("visits", actor=township_staff, items=[(case.pk, case.version)], number=1,
                        visit_date=TODAY, investigators=[township_staff, investigator], findings="属实",
                        applicant_signed=False)
    assert results[0]["ok"] is False and results[0]["reason"]
    assert not case.visits.exists() and Case.objects.get(pk=case.pk).version == case.version
