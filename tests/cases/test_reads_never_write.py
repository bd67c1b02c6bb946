"""A case whose public notice is over is only shown, never moved, by a GET: the nightly sweep (or the
officer's end_notice) closes it, and the page and API say when that happens."""

from datetime import timedelta

import pytest

from audit.models import AuditEvent
from cases import sweeps, workflow
from cases.models import Case, CaseStatus, PublicNotice
from cases.schedule import BEAT_SCHEDULE
from cases.tasks import close_due_notices
from tests.cases.conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue(walker, draft):
    """In notice since 10 days ago: the 7-day period ended 4 days ago and no sweep has run."""
    case = walker.to(draft, CaseStatus.IN_NOTICE)
    assert case.notices.get().ends_on == TODAY - timedelta(days=4)
    return case


def state(case):
    case = Case.objects.get(pk=case.pk)
    return case.status, case.version, AuditEvent.objects.count(), list(case.notices.values_list("outcome", flat=True))


@pytest.mark.parametrize("who", ["county_auditor", "auditor", "county_officer"])
def test_viewing_an_overdue_notice_changes_nothing(request, overdue, web, api, who):
    user = request.getfixturevalue(who)
    before = state(overdue)
    assert before[0] == CaseStatus.IN_NOTICE and before[3] == [PublicNotice.Outcome.OPEN]
    page = web(user).get(f"/cases/{overdue.pk}/")  # pages are Chinese by default
    assert page.status_code == 200
    assert f"公示期已于 {TODAY - timedelta(days=4):%Y-%m-%d} 届满" in page.content.decode()
    body = api(user).get(f"/api/v1/cases/{overdue.pk}/").json()
    assert body["status"] == CaseStatus.IN_NOTICE and body["version"] == before[1]
    assert body["notices"][0]["closes_automatically_on"] == str(TODAY - timedelta(days=3))
    assert web(user).get(f"/cases/{overdue.pk}/end-notice/").status_code in (200, 403)
    assert state(overdue) == before


def test_the_sweep_closes_it_and_the_beat_runs_the_sweep(overdue, web, county_officer):
    web(county_officer).get(f"/cases/{overdue.pk}/")
    assert BEAT_SCHEDULE["cases-close-due-notices"]["task"] == "cases.tasks.close_due_notices"
    assert close_due_notices() == 1
    case = Case.objects.get(pk=overdue.pk)
    assert case.status == CaseStatus.AWAITING_DECISION
    assert AuditEvent.objects.filter(object_id=str(case.pk), action="case.end_notice", actor=None).count() == 1
    assert case.notices.get().outcome == PublicNotice.Outcome.ENDED


def test_the_officer_may_close_it_explicitly(overdue, api, county_officer):
    r = api(county_officer).post(f"/api/v1/cases/{overdue.pk}/end-notice/", {"version": overdue.version},
                                 format="json")
    assert r.status_code == 200 and r.json()["status"] == CaseStatus.AWAITING_DECISION
    assert r.json()["notices"][0]["closes_automatically_on"] is None
    assert close_due_notices() == 0


def test_a_running_notice_says_when_it_closes_by_itself(walker, draft, web, api, county_officer):
    case = walker.to(draft, CaseStatus.INVESTIGATED)
    case = workflow.run("open_notice", actor=county_officer, case=case)
    assert case.notices.get().ends_on == TODAY + timedelta(days=6)
    closes = TODAY + timedelta(days=7)
    page = web(county_officer).get(f"/cases/{case.pk}/").content.decode()
    assert f"公示期至 {TODAY + timedelta(days=6):%Y-%m-%d}，期满后由系统于 {closes:%Y-%m-%d} 自动结束" in page
    assert api(county_officer).get(f"/api/v1/cases/{case.pk}/").json()["notices"][0][
        "closes_automatically_on"] == str(closes)
    # The sweep leaves it alone until then, and closes it on that day.
    assert sweeps.notices_close_due(closes - timedelta(days=1)) == 0
    assert sweeps.notices_close_due(closes) == 1
