from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from cases.models import CaseStatus
from cases.months import add_months, first_of_month
from jobs.models import Job
from recipients.models import CaseExit, PaymentRoll, Review
from recipients.services import case_exit, payment_roll_generate, reviews_create_due
from tests.recipients.factories import make_case

pytestmark = pytest.mark.django_db
THIS_MONTH = first_of_month(timezone.localdate())


@pytest.fixture
def reviews(village, county_officer, policy):
    for _ in range(3):
        make_case(village, county_officer, category="C", first_payment_month=add_months(THIS_MONTH, -7))
    reviews_create_due(today=timezone.localdate())
    return list(Review.objects.all())


def test_review_queue_page(web, county_officer, reviews, village, django_assert_num_queries):
    client = web(county_officer)
    client.get("/recipients/reviews/")  # warm the session
    with django_assert_num_queries(5):  # session, user (+division), count, page, nav
        response = client.get("/recipients/reviews/")
    assert response.status_code == 200
    assert response.content.decode().count("/recipients/reviews/") >= 3
    make_case(village, county_officer, category="C", first_payment_month=add_months(THIS_MONTH, -7))
    reviews_create_due(today=timezone.localdate())
    with django_assert_num_queries(5):
        client.get("/recipients/reviews/")
    assert client.get("/recipients/reviews/?overdue=1").status_code == 200


def test_review_queue_roles_and_scope(web, village_staff, other_county_officer, reviews):
    assert web(village_staff).get("/recipients/reviews/").status_code == 403
    assert "户主" not in web(other_county_officer).get("/recipients/reviews/").content.decode()
    assert web(other_county_officer).get(f"/recipients/reviews/{reviews[0].pk}/").status_code == 404


def test_complete_review_on_the_page(web, county_officer, reviews, standard):
    review = reviews[0]
    client = web(county_officer)
    page = client.get(f"/recipients/reviews/{review.pk}/")
    assert page.status_code == 200 and b'name="outcome"' in page.content
    bad = client.post(f"/recipients/reviews/{review.pk}/", {"outcome": "adjust", "findings": "",
                                                           "verified_per_capita_income": "300", "version": review.version})
    assert bad.status_code == 200 and "text-danger" in bad.content.decode()
    review.refresh_from_db()
    assert review.status == "due"
    done = client.post(f"/recipients/reviews/{review.pk}/", {"outcome": "continue", "findings": "fine",
                                                            "version": review.version})
    assert done.status_code == 302
    review.refresh_from_db()
    assert review.status == "completed"


def test_exit_form_and_notice_letter(web, county_officer, village_staff, other_county_officer, village):
    case = make_case(village, county_officer)
    client = web(county_officer)
    assert web(village_staff).get(f"/recipients/cases/{case.pk}/exit/").status_code == 403
    assert web(other_county_officer).get(f"/recipients/cases/{case.pk}/exit/").status_code == 404
    bad = client.post(f"/recipients/cases/{case.pk}/exit/", {"kind": "fraud", "reason": "hid income",
                                                            "effective_month": THIS_MONTH.strftime("%Y-%m"),
                                                            "version": case.version})
    assert bad.status_code == 200 and not CaseExit.objects.exists()
    response = client.post(f"/recipients/cases/{case.pk}/exit/", {
        "kind": "fraud", "reason": "hid income", "effective_month": THIS_MONTH.strftime("%Y-%m"),
        "amount_to_recover": "1200", "version": case.version})
    assert response.status_code == 302
    exit_row = CaseExit.objects.get()
    notice = client.get(response["Location"])
    text = notice.content.decode()
    assert notice.status_code == 200 and "hid income" in text and "1200.00" in text
    assert web(other_county_officer).get(f"/recipients/exits/{exit_row.pk}/notice/").status_code == 404


def test_gradual_exit_notice_lists_the_months(web, county_officer, village, policy):
    case = make_case(village, county_officer)
    exit_row = case_exit(actor=county_officer, case=case, kind="income_above_line", reason="works now",
                         effective_month=date(2026, 3, 1), on_poverty_roster=False)
    text = web(county_officer).get(f"/recipients/exits/{exit_row.pk}/notice/").content.decode()
    assert "2026-03" in text and "2026-08" in text and "80%" in text and "2026-09" in text


def test_report_change_page(web, village_staff, village, county_officer):
    case = make_case(village, county_officer)
    client = web(village_staff)
    assert client.get(f"/recipients/cases/{case.pk}/report-change/").status_code == 200
    response = client.post(f"/recipients/cases/{case.pk}/report-change/", {"reported_change": "new baby"})
    assert response.status_code == 302 and Review.objects.get().kind == "change_reported"


def test_payment_roll_pages(web, county_officer, county_officer2, auditor, other_county_officer, village, county,
                            django_assert_num_queries, django_capture_on_commit_callbacks):
    for _ in range(3):
        make_case(village, county_officer, amount="400.00", first_payment_month=add_months(THIS_MONTH, -2))
    client = web(county_officer)
    future = client.post("/recipients/payment-rolls/", {"month": add_months(THIS_MONTH, 1).strftime("%Y-%m")})
    assert future.status_code == 200 and not PaymentRoll.objects.exists()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        started = client.post("/recipients/payment-rolls/", {"month": THIS_MONTH.strftime("%Y-%m")})
    # The page answers at once with the job's page (queued: it polls), nothing generated yet.
    job = Job.objects.get(kind="payment_roll")
    assert started.status_code == 302 and started["Location"] == f"/jobs/{job.pk}/"
    assert not PaymentRoll.objects.exists()
    assert 'hx-trigger="every 2s"' in client.get(started["Location"]).content.decode()
    for callback in queued:
        callback()
    roll = PaymentRoll.objects.get()
    job_page = client.get(started["Location"]).content.decode()
    assert f"/recipients/payment-rolls/{roll.pk}/" in job_page and 'hx-trigger="every 2s"' not in job_page
    response = client.get(f"/recipients/payment-rolls/{roll.pk}/")
    response["Location"] = f"/recipients/payment-rolls/{roll.pk}/"
    client.get(response["Location"])
    with django_assert_num_queries(7):  # session and user, roll, lines (count, page), village totals; not per line
        detail = client.get(response["Location"])
    text = detail.content.decode()
    assert "1200.00" in text and village.name in text
    make_case(village, county_officer, amount="100.00", first_payment_month=add_months(THIS_MONTH, -2))
    payment_roll_generate(actor=county_officer, county=county, month=THIS_MONTH)
    with django_assert_num_queries(7):
        client.get(response["Location"])
    assert web(auditor).get("/recipients/payment-rolls/").status_code == 200
    assert web(other_county_officer).get(f"/recipients/payment-rolls/{roll.pk}/").status_code == 404
    # Review by the second officer, finalise, then the regenerate button is refused with a message.
    assert web(county_officer2).post(f"/recipients/payment-rolls/{roll.pk}/review/",
                                     {"version": roll.version + 1}).status_code == 302
    roll.refresh_from_db()
    web(county_officer2).post(f"/recipients/payment-rolls/{roll.pk}/review/", {"version": roll.version})
    client.post(f"/recipients/payment-rolls/{roll.pk}/finalise/", {})
    roll.refresh_from_db()
    assert roll.status == "finalised"
    refused = client.post(f"/recipients/payment-rolls/{roll.pk}/regenerate/", {}, follow=True)
    assert "alert-danger" in refused.content.decode() and Job.objects.count() == 1
    roll.refresh_from_db()
    assert roll.total_amount == Decimal("1300.00") and roll.status == "finalised"
    csv = client.get(f"/recipients/payment-rolls/{roll.pk}/export.csv")
    assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf")
    assert client.get(f"/recipients/payment-rolls/{roll.pk}/export.xlsx").status_code == 200
    assert client.get(f"/recipients/payment-rolls/{roll.pk}/export.pdf").status_code == 404


def test_home_panels_for_county_officers(web, county_officer, village_staff, reviews, county):
    text = web(county_officer).get("/").content.decode()
    assert "/recipients/reviews/?overdue=1" in text and "/recipients/payment-rolls/?status=draft" in text
    assert "/recipients/reviews/?overdue=1" not in web(village_staff).get("/").content.decode()


def test_navigation_links(web, county_officer):
    text = web(county_officer).get("/").content.decode()
    assert 'href="/recipients/reviews/"' in text and 'href="/recipients/payment-rolls/"' in text


def test_closed_case_has_no_exit_form_action(web, county_officer, village):
    case = make_case(village, county_officer, status=CaseStatus.CLOSED)
    response = web(county_officer).post(f"/recipients/cases/{case.pk}/exit/", {
        "kind": "death", "reason": "x", "effective_month": THIS_MONTH.strftime("%Y-%m"), "version": case.version})
    assert response.status_code == 200 and "alert-danger" in response.content.decode()


def test_review_page_links_to_exit_and_notice(web, county_officer, reviews, auditor):
    review = reviews[0]
    text = web(county_officer).get(f"/recipients/reviews/{review.pk}/").content.decode()
    assert f"/recipients/cases/{review.case_id}/exit/" in text
    assert f"/recipients/cases/{review.case_id}/exit/" not in web(auditor).get(
        f"/recipients/reviews/{review.pk}/").content.decode()
    case_exit(actor=county_officer, case=review.case, kind="death", reason="x", effective_month=THIS_MONTH)
    text = web(county_officer).get(f"/recipients/reviews/{review.pk}/").content.decode()
    assert "/notice/" in text


def test_home_counts_in_one_query(county_officer, other_county_officer, reviews, county, django_assert_num_queries):
    from recipients.selectors import home_counts

    payment_roll_generate(actor=county_officer, county=county, month=THIS_MONTH)
    with django_assert_num_queries(1):
        counts = home_counts(county_officer, today=timezone.localdate())
    assert counts == {"due": 3, "overdue": 3, "to_review": 1, "to_finalise": 0}
    assert home_counts(other_county_officer, today=timezone.localdate()) == {
        "due": 0, "overdue": 0, "to_review": 0, "to_finalise": 0}
