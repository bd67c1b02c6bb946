"""Every state change carries the version it was read at: a case PATCH or transition without `version` is
400 naming the field, a stale one 409, and neither changes anything; the pages send it in a hidden field."""

import re

import pytest

from audit.models import AuditEvent
from cases.models import Case, CaseStatus
from tests.cases.conftest import TODAY

pytestmark = pytest.mark.django_db
URL = "/api/v1/cases/"


def snapshot(case):
    row = Case.objects.values().get(pk=case.pk)
    return row, AuditEvent.objects.filter(object_type="case", object_id=str(case.pk)).count()


WRITES = [
    # (who, status the case is walked to, method, path, body without version, status after)
    ("village_staff", CaseStatus.DRAFT, "patch", "", {"reason": "因残致贫"}, CaseStatus.DRAFT),
    ("village_staff", CaseStatus.DRAFT, "post", "submit/", {}, CaseStatus.SUBMITTED),
    ("county_officer", CaseStatus.SUBMITTED, "post", "accept/", {}, CaseStatus.UNDER_INVESTIGATION),
    ("county_officer2", CaseStatus.AWAITING_DECISION, "post", "reject/", {"reason": "收入超标"}, CaseStatus.REJECTED),
]


@pytest.mark.parametrize("who,status,method,path,body,after", WRITES, ids=[w[2] + " " + (w[3] or "case")
                                                                             for w in WRITES])
def test_missing_stale_and_right_version(request, api, walker, draft, who, status, method, path, body, after):
    case = walker.to(draft, status)
    client = api(request.getfixturevalue(who))
    send = getattr(client, method)
    before = snapshot(case)

    missing = send(f"{URL}{case.pk}/{path}", body, format="json")
    assert missing.status_code == 400, missing.content
    assert "version" in missing.json() and missing.json()["version"] == ["请提交您读取时的版本号。"]
    assert snapshot(case) == before

    stale = send(f"{URL}{case.pk}/{path}", {**body, "version": case.version - 1}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version", stale.content
    assert snapshot(case) == before

    right = send(f"{URL}{case.pk}/{path}", {**body, "version": case.version}, format="json")
    assert right.status_code == 200, right.content
    changed = Case.objects.get(pk=case.pk)
    assert changed.status == after and changed.version == case.version + 1
    assert right.json()["version"] == changed.version
    if method == "patch":
        assert changed.reason == "因残致贫"


def test_the_schema_marks_version_required(api, county_officer):
    schema = api(county_officer).get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    for name in ("PatchedCaseUpdateRequest", "VersionRequest", "ReasonRequest", "ApproveRequest",
                 "VisitInputRequest"):
        assert "version" in components[name].get("required", []), name
    patch = schema["paths"]["/api/v1/cases/{id}/"]["patch"]["requestBody"]["content"]["application/json"]
    assert patch["schema"]["$ref"].endswith("/PatchedCaseUpdateRequest")


def hidden_version(html: str) -> int:
    match = re.search(r'<input type="hidden" name="version" value="(\d+)"', html)
    assert match, "no hidden version field"
    return int(match.group(1))


def test_the_pages_send_the_version_they_read(web, walker, draft, village_staff, county_officer):
    village = web(village_staff)
    assert hidden_version(village.get(f"/cases/{draft.pk}/edit/").content.decode()) == draft.version
    assert hidden_version(village.get(f"/cases/{draft.pk}/submit/").content.decode()) == draft.version
    case = walker.to(draft, CaseStatus.SUBMITTED)
    county = web(county_officer)
    form = county.get(f"/cases/{case.pk}/accept/").content.decode()
    assert hidden_version(form) == case.version
    # What the page sent is what the workflow checks: a page read before someone else's change is refused.
    r = county.post(f"/cases/{case.pk}/accept/", {"version": case.version - 1})
    assert r.status_code == 302 and Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED
    r = county.post(f"/cases/{case.pk}/accept/", {"version": hidden_version(form)})
    assert r.status_code == 302 and Case.objects.get(pk=case.pk).status == CaseStatus.UNDER_INVESTIGATION
    assert Case.objects.get(pk=case.pk).accepted_on == TODAY


@pytest.mark.parametrize("who,status,path,body", [
    ("village_staff", CaseStatus.DRAFT, "edit/", {"reason": "因残致贫"}),
    ("village_staff", CaseStatus.DRAFT, "submit/", {}),
    ("county_officer", CaseStatus.SUBMITTED, "accept/", {}),
    ("county_officer2", CaseStatus.AWAITING_DECISION, "reject/", {"reason": "收入超标"}),
], ids=["edit", "submit", "accept", "reject"])
def test_the_pages_refuse_a_post_without_the_version(request, web, walker, draft, who, status, path, body):
    """As the API does: a case form posted without `version` is 400 with the reason, and nothing changes."""
    case = walker.to(draft, status)
    client = web(request.getfixturevalue(who))
    before = snapshot(case)
    for version in ({}, {"version": ""}, {"version": "abc"}):
        r = client.post(f"/cases/{case.pk}/{path}", {**body, **version})
        assert r.status_code == 400, r.content
        assert "表单提交时缺少读取时的版本号" in r.content.decode()
        assert snapshot(case) == before
    r = client.post(f"/cases/{case.pk}/{path}", {**body, "version": case.version})
    assert r.status_code == 302 and snapshot(case) != before
