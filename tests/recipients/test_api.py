import io
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.models import AccessLog
from cases.months import add_months, first_of_month
from jobs.models import Job
from recipients.models import CaseExit, PaymentLine, PaymentRoll, Review
from recipients.services import payment_roll_generate, reviews_create_due
from tests.recipients.factories import make_case

pytestmark = pytest.mark.django_db
THIS_MONTH = first_of_month(timezone.localdate())
LAST_MONTH = add_months(THIS_MONTH, -1)


@pytest.fixture
def due_reviews(village, other_village, other_county_village, county_officer, policy):
    start = add_months(THIS_MONTH, -7)
    cases = [make_case(village, county_officer, category="C", first_payment_month=start) for _ in range(3)]
    cases.append(make_case(other_village, county_officer, category="C", first_payment_month=start))
    cases.append(make_case(other_county_village, county_officer, category="C", first_payment_month=start))
    reviews_create_due(today=timezone.localdate())
    return cases


def test_review_list_is_scoped_filtered_and_query_count_is_pinned(api, county_officer, other_county_officer,
                                                                   due_reviews, other_village, auditor,
                                                                   django_assert_num_queries):
    client = api(county_officer)
    with django_assert_num_queries(2):  # count, page (with case, household, village joined)
        response = client.get("/api/v1/reviews/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    first = body["results"][0]
    assert first["status"] == "due" and first["overdue"] is True and first["kind"] == "scheduled"
    assert client.get(f"/api/v1/reviews/?division={other_village.code}").json()["count"] == 1
    assert client.get("/api/v1/reviews/?status=completed").json()["count"] == 0
    assert client.get("/api/v1/reviews/?due_before=2000-01-01").json()["count"] == 0
    assert client.get("/api/v1/reviews/?due_before=notadate").status_code == 400
    assert api(other_county_officer).get("/api/v1/reviews/").json()["count"] == 1
    assert api(auditor).get("/api/v1/reviews/").json()["count"] == 5  # the city
    # More rows, same number of queries.
    make_case(other_village, county_officer, category="C", first_payment_month=add_months(THIS_MONTH, -7))
    reviews_create_due(today=timezone.localdate())
    with django_assert_num_queries(2):
        assert client.get("/api/v1/reviews/").json()["count"] == 5


def test_complete_review_through_the_api(api, county_officer, due_reviews, standard):
    review = Review.objects.filter(case=due_reviews[0]).get()
    url = f"/api/v1/reviews/{review.pk}/complete/"
    response = api(county_officer).post(url, {"outcome": "adjust", "findings": "", "verified_per_capita_income": "300"},
                                        format="json")
    assert response.status_code == 400 and "findings" in response.json()
    response = api(county_officer).post(url, {"outcome": "adjust", "findings": "visited", "version": 99}, format="json")
    assert response.status_code == 400 and "verified_per_capita_income" in response.json()
    response = api(county_officer).post(url, {"outcome": "adjust", "findings": "visited", "version": 99,
                                              "verified_per_capita_income": "300"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "stale_version"
    # A lower amount (600 verified: (800 - 600) x 2 = 400 < 500) needs no second officer (raises:
    # tests/recipients/test_review_two_people.py).
    response = api(county_officer).post(url, {"outcome": "adjust", "findings": "visited", "version": review.version,
                                              "verified_per_capita_income": "600.00"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["new_amount"] == "400.00" and response.json()["status"] == "completed"
    again = api(county_officer).post(url, {"outcome": "continue"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"


def test_complete_review_permissions_and_scope(api, county_officer, other_county_officer, village_staff, auditor,
                                               due_reviews):
    review = Review.objects.filter(case=due_reviews[0]).get()
    url = f"/api/v1/reviews/{review.pk}/complete/"
    assert api(village_staff).post(url, {"outcome": "continue"}, format="json").status_code == 403
    assert api(auditor).post(url, {"outcome": "continue"}, format="json").status_code == 403
    assert api(other_county_officer).post(url, {"outcome": "continue"}, format="json").status_code == 404
    assert api(None).post(url, {"outcome": "continue"}, format="json").status_code in (401, 403)
    bad = api(county_officer).post(url, {"outcome": "maybe"}, format="json")
    assert bad.status_code == 400 and "outcome" in bad.json()
    bad = api(county_officer).post(url, {"outcome": "exit", "findings": "x"}, format="json")
    assert bad.status_code == 400 and "exit_kind" in bad.json()
    review.refresh_from_db()
    assert review.status == "due"


def test_exit_through_the_review_api_records_recovery(api, county_officer, due_reviews):
    review = Review.objects.filter(case=due_reviews[1]).get()
    response = api(county_officer).post(f"/api/v1/reviews/{review.pk}/complete/", {
        "outcome": "exit", "findings": "undeclared shop", "exit_kind": "fraud", "exit_reason": "hid a shop",
        "effective_month": THIS_MONTH.strftime("%Y-%m"), "amount_to_recover": "1500.00"}, format="json")
    assert response.status_code == 200, response.json()
    exit_row = CaseExit.objects.get(case=due_reviews[1])
    assert exit_row.kind == "fraud" and exit_row.recoveries.get().amount == Decimal("1500.00")


def test_report_change_through_the_api(api, village_staff, other_village_staff, county_officer, village, policy):
    case = make_case(village, county_officer)
    assert api(other_village_staff).post("/api/v1/reviews/", {"case": case.pk, "reported_change": "x"},
                                         format="json").status_code == 404
    bad = api(village_staff).post("/api/v1/reviews/", {"case": case.pk, "reported_change": ""}, format="json")
    assert bad.status_code == 400 and "reported_change" in bad.json()
    response = api(village_staff).post("/api/v1/reviews/", {"case": case.pk, "reported_change": "new job"},
                                       format="json")
    assert response.status_code == 201 and response.json()["kind"] == "change_reported"
    # Village staff may report but not read the county's review queue.
    assert api(village_staff).get("/api/v1/reviews/").status_code == 403


@pytest.fixture
def roll(village, county, county_officer):
    for amount in ("500.00", "320.50"):
        make_case(village, county_officer, amount=amount, first_payment_month=add_months(THIS_MONTH, -3))
    return payment_roll_generate(actor=county_officer, county=county, month=LAST_MONTH)


def test_payment_roll_create_and_errors(api, county, other_county, county_officer, other_county_officer, auditor,
                                        village, village_staff, django_capture_on_commit_callbacks):
    """Generation is a job: 202 with the job at once (its work runs after the commit, in a worker)."""
    make_case(village, county_officer, first_payment_month=add_months(THIS_MONTH, -3))
    client = api(county_officer)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post("/api/v1/payment-rolls/", {"county": county.code,
                                                          "month": LAST_MONTH.strftime("%Y-%m")}, format="json")
    assert response.status_code == 202, response.json()
    job = Job.objects.get()
    assert response.json()["id"] == job.pk and response.json()["status"] == "queued"
    assert response.json()["kind"] == "payment_roll" and response["Location"] == f"/api/v1/jobs/{job.pk}/"
    assert not PaymentRoll.objects.exists()  # nothing was generated in the request
    # Asked again while it is queued: the same job, not a second one.
    again = client.post("/api/v1/payment-rolls/", {"county": county.code, "month": LAST_MONTH.isoformat()},
                        format="json")
    assert again.status_code == 202 and again.json()["id"] == job.pk and Job.objects.count() == 1
    for callback in queued:  # the worker runs it
        callback()
    job.refresh_from_db()
    assert job.status == "succeeded" and job.progress == 100, job.message
    assert job.counts == {"households": 1, "total_amount": "500.00"}
    roll = PaymentRoll.objects.get()
    assert job.params["roll"] == roll.pk and roll.total_amount == Decimal("500.00")
    assert client.get(f"/api/v1/jobs/{job.pk}/").json()["status"] == "succeeded"
    found = client.get(f"/api/v1/payment-rolls/?county={county.code}&month={LAST_MONTH:%Y-%m}").json()
    assert [r["id"] for r in found["results"]] == [roll.pk]
    assert client.get("/api/v1/payment-rolls/?month=soon").status_code == 400
    # Regenerating the draft: a new job, still one roll.
    with django_capture_on_commit_callbacks(execute=True):
        regen = client.post("/api/v1/payment-rolls/", {"county": county.code, "month": LAST_MONTH.isoformat()},
                            format="json")
    assert regen.status_code == 202 and regen.json()["id"] != job.pk
    assert PaymentRoll.objects.get().version == 2

    future = client.post("/api/v1/payment-rolls/", {"county": county.code,
                                                    "month": add_months(THIS_MONTH, 1).strftime("%Y-%m")}, format="json")
    assert future.status_code == 400 and "month" in future.json()
    assert client.post("/api/v1/payment-rolls/", {"county": "12", "month": "2026-01"},
                       format="json").json().keys() >= {"county"}
    assert client.post("/api/v1/payment-rolls/", {"county": county.code, "month": "soon"},
                       format="json").status_code == 400
    assert client.post("/api/v1/payment-rolls/", {"county": other_county.code, "month": "2026-01"},
                       format="json").status_code == 404
    assert client.post("/api/v1/payment-rolls/", {"county": village.code, "month": "2026-01"},
                       format="json").status_code == 400
    assert api(auditor).post("/api/v1/payment-rolls/", {"county": county.code, "month": "2026-01"},
                             format="json").status_code == 403
    assert api(village_staff).get("/api/v1/payment-rolls/").status_code == 403
    assert PaymentRoll.objects.count() == 1 and Job.objects.count() == 2
    # The job is its starter's: another county's officer does not see it.
    assert api(other_county_officer).get(f"/api/v1/jobs/{job.pk}/").status_code == 404


def test_payment_roll_detail_lines_and_query_counts(api, roll, county_officer, other_county_officer, auditor, village,
                                                    django_assert_num_queries):
    client = api(county_officer)
    with django_assert_num_queries(2):  # roll (county and users joined), village totals
        detail = client.get(f"/api/v1/payment-rolls/{roll.pk}/")
    assert detail.status_code == 200
    assert detail.json()["village_totals"] == [{"village_code": village.code, "village_name": village.name,
                                                "households": 2, "total": "820.50"}]
    with django_assert_num_queries(3):  # roll, count, page
        lines = client.get(f"/api/v1/payment-rolls/{roll.pk}/lines/")
    assert lines.json()["count"] == 2 and lines.json()["results"][0]["payee_id_masked"].count("*") == 8
    with django_assert_num_queries(2):  # count, page
        listing = client.get("/api/v1/payment-rolls/")
    assert listing.json()["count"] == 1 and listing.json()["results"][0]["village_totals"] is None
    assert api(auditor).get(f"/api/v1/payment-rolls/{roll.pk}/lines/").status_code == 200
    for path in ("", "lines/", "export/?format=csv"):
        assert api(other_county_officer).get(f"/api/v1/payment-rolls/{roll.pk}/{path}").status_code == 404


def test_review_finalise_and_immutability_through_the_api(api, roll, county, county_officer, county_officer2,
                                                          auditor):
    base = f"/api/v1/payment-rolls/{roll.pk}"
    assert api(auditor).post(f"{base}/review/", {}, format="json").status_code == 403
    assert api(county_officer).post(f"{base}/review/", {}, format="json").status_code == 403  # generator
    assert api(county_officer2).post(f"{base}/finalise/", {}, format="json").status_code == 409
    stale = api(county_officer2).post(f"{base}/review/", {"version": roll.version + 1}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    assert api(county_officer2).post(f"{base}/review/", {"version": roll.version}, format="json").status_code == 200
    done = api(county_officer).post(f"{base}/finalise/", {}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "finalised"
    refused = api(county_officer).post("/api/v1/payment-rolls/", {"county": county.code,
                                                                  "month": roll.month.strftime("%Y-%m")}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "roll_locked"
    assert PaymentLine.objects.filter(roll=roll).count() == 2


def test_exports_csv_with_bom_and_xlsx(api, roll, county_officer, django_assert_num_queries):
    client = api(county_officer)
    with django_assert_num_queries(5):  # roll, lines, access log (savepoint, insert, release)
        response = client.get(f"/api/v1/payment-rolls/{roll.pk}/export/?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert "6228480012345678" in text and "320.50" in text and "820.50" in text
    assert "-draft.csv" in response["Content-Disposition"]
    xlsx = client.get(f"/api/v1/payment-rolls/{roll.pk}/export/?format=xlsx")
    assert xlsx.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 2 + 2 and rows[1][6] == "6228480012345678"
    assert client.get(f"/api/v1/payment-rolls/{roll.pk}/export/?format=pdf").status_code == 400
    assert AccessLog.objects.filter(action="payment_roll.export").count() == 2


def test_schema_has_the_endpoints(api, admin_user):
    response = api(admin_user).get("/api/schema/")
    text = response.content.decode()
    for path in ("/api/v1/reviews/{id}/complete/", "/api/v1/payment-rolls/{id}/lines/",
                 "/api/v1/payment-rolls/{id}/export/", "/api/v1/payment-rolls/{id}/finalise/"):
        assert path in text
    assert date.today()  # keep the import used


def test_openapi_schema_has_no_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/payment-rolls/{id}/review/" in (tmp_path / "schema.yaml").read_text()
