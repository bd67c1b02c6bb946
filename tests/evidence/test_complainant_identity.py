"""Need to know: a complainant's name and contact reach the county officers handling the complaint (those of
its county) and auditors (and admins); village and township staff see that the complaint exists (case,
date, channel, status) with the identity withheld, on the pages and in the API."""

import pytest

from evidence import services
from evidence.identity import complainant_visible

pytestmark = pytest.mark.django_db

NAME, PHONE = "王五", "13800000000"
SEES_IDENTITY = ["county_officer", "county_officer2", "auditor", "county_auditor", "admin_user"]
WITHHELD = ["village_staff", "township_staff"]


@pytest.fixture
def complaint(county_officer, case):
    return services.complaint_record(actor=county_officer, text="申请人隐瞒工资收入", channel="phone", case=case,
                                     complainant_name=NAME, complainant_contact=PHONE)


@pytest.mark.parametrize("who", SEES_IDENTITY)
def test_handlers_and_auditors_see_the_complainant(request, who, complaint, web, api):
    user = request.getfixturevalue(who)
    assert complainant_visible(user, complaint)
    page = web(user).get(f"/evidence/complaints/{complaint.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert NAME in html and PHONE in html and 'data-identity="withheld"' not in html
    client = api(user)
    body = client.get(f"/api/v1/complaints/{complaint.pk}/").json()
    assert body["identity_withheld"] is False
    assert (body["anonymous"], body["complainant_name"], body["complainant_contact"]) == (False, NAME, PHONE)
    [row] = [r for r in client.get("/api/v1/complaints/").json()["results"] if r["id"] == complaint.pk]
    assert row["complainant_name"] == NAME and row["complainant_contact"] == PHONE


@pytest.mark.parametrize("who", WITHHELD)
def test_village_and_township_staff_see_the_complaint_without_who_made_it(request, who, complaint, case, web, api):
    user = request.getfixturevalue(who)
    assert not complainant_visible(user, complaint)
    page = web(user).get(f"/evidence/complaints/{complaint.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert NAME not in html and PHONE not in html
    assert "已隐去" in html and 'data-identity="withheld"' in html
    # ... but what it is about, when, how and where it stands.
    assert f"#{case.pk}" in html and "电话" in html and complaint.received_on.strftime("%Y-%m-%d") in html
    assert NAME not in web(user).get("/evidence/complaints/").content.decode()

    client = api(user)
    response = client.get(f"/api/v1/complaints/{complaint.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["identity_withheld"] is True
    assert (body["anonymous"], body["complainant_name"], body["complainant_contact"]) == (None, None, None)
    assert (body["case"], body["channel"], body["status"]) == (case.pk, "phone", "received")
    assert body["received_on"] == str(complaint.received_on)
    listed = client.get("/api/v1/complaints/")
    assert NAME not in listed.content.decode() and PHONE not in listed.content.decode()
    assert [r["identity_withheld"] for r in listed.json()["results"]] == [True]
    # Nor through the case the complaint is about.
    for path in (f"/cases/{case.pk}/", f"/api/v1/cases/{case.pk}/"):
        text = (web(user) if path.startswith("/cases") else client).get(path).content.decode()
        assert NAME not in text and PHONE not in text, path


def test_an_anonymous_complaint_is_withheld_alike(village_staff, county_officer, case, api):
    complaint = services.complaint_record(actor=county_officer, text="x", channel="letter", case=case,
                                          anonymous=True, complainant_contact="信箱 12 号")
    body = api(village_staff).get(f"/api/v1/complaints/{complaint.pk}/").json()
    assert body["anonymous"] is None and body["complainant_contact"] is None  # not even whether it was anonymous
    body = api(county_officer).get(f"/api/v1/complaints/{complaint.pk}/").json()
    assert body["anonymous"] is True and body["complainant_contact"] == "信箱 12 号"


def test_a_county_officer_of_another_county_is_not_a_handler(complaint, other_county_officer):
    assert not complainant_visible(other_county_officer, complaint)  # and the complaint itself is 404 for them


def test_the_officers_own_answers_after_an_action_show_the_identity(complaint, county_officer, county_officer2, api):
    body = api(county_officer).post(f"/api/v1/complaints/{complaint.pk}/assign/",
                                    {"assigned_to": county_officer2.username}, format="json").json()
    assert body["complainant_name"] == NAME and body["identity_withheld"] is False
