"""Starting a township's due reviews at once: one review and one audit event per case, refusals explained."""

import re
from datetime import date

import pytest
import time_machine
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case
from recipients.models import Review
from tests.factories import DivisionFactory
from tests.recipients.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(timezone.make_aware(timezone.datetime(2026, 7, 6, 9)), tick=False):
        yield


def test_start_the_due_reviews_of_a_township(web, clock, village, township, county, county_officer, policy,
                                             other_county_officer):
    due_c = make_case(village, county_officer, category="C", first_payment_month=date(2026, 1, 1))  # due 1 July
    due_c2 = make_case(village, county_officer, category="C", first_payment_month=date(2025, 12, 1))
    not_due = make_case(village, county_officer, category="A", first_payment_month=date(2026, 1, 1))  # 2027
    elsewhere_township = DivisionFactory(code="370283102000", name="北村镇", level="township", parent=county)
    elsewhere = DivisionFactory(code="370283102201", name="北村", level="village", parent=elsewhere_township)
    other = make_case(elsewhere, county_officer, category="C", first_payment_month=date(2026, 1, 1))
    client = web(county_officer)
    page = client.get(f"/recipients/reviews/start/?township={township.code}").content.decode()
    listed = set(re.findall(r'name="case" value="(\d+):\d+"', page))
    assert listed == {str(due_c.pk), str(due_c2.pk)}
    stale = Case.objects.get(pk=due_c2.pk)
    response = client.post("/recipients/reviews/start/", {"township": township.code, "case": [
        f"{due_c.pk}:{due_c.version}", f"{stale.pk}:{stale.version + 5}", f"{not_due.pk}:{not_due.version}",
        f"{other.pk}:{other.version}"]})
    body = response.content.decode()
    rows = dict(re.findall(r'data-case="(\d+)" data-ok="(\d)"', body))
    # A case of another township of the same county, due and in the officer's area, starts too: the checks
    # are the case's own (scope, state, version, due), the township only chooses what the page lists.
    assert rows == {str(due_c.pk): "1", str(stale.pk): "0", str(not_due.pk): "0", str(other.pk): "1"}
    assert set(Review.objects.values_list("case_id", flat=True)) == {due_c.pk, other.pk}
    assert Review.objects.get(case=due_c).due_date == date(2026, 7, 1)
    assert AuditEvent.objects.filter(action="review.started").count() == 2
    assert "2027-01-01" in body  # why the yearly case was refused: not due before then
    # Again: a review is open now, so nothing new.
    again = client.post("/recipients/reviews/start/", {"township": township.code,
                                                         "case": [f"{due_c.pk}:{Case.objects.get(pk=due_c.pk).version}"]})
    assert 'data-ok="0"' in again.content.decode() and Review.objects.filter(case=due_c).count() == 1
    # Another county's officer sees neither the township nor the cases.
    assert web(other_county_officer).get(f"/recipients/reviews/start/?township={township.code}").status_code == 404
    response = web(other_county_officer).post("/recipients/reviews/start/", {"township": township.code,
                                                                              "case": [str(stale.pk)]})
    assert response.status_code == 404 and Review.objects.count() == 2


def test_only_county_officers_start_reviews_and_bad_input_is_400(web, clock, village, township, village_staff,
                                                                 county_auditor, county_officer, policy):
    case = make_case(village, county_officer, category="C", first_payment_month=date(2026, 1, 1))
    for user in (village_staff, county_auditor):
        assert web(user).post("/recipients/reviews/start/", {"township": township.code,
                                                            "case": [str(case.pk)]}).status_code == 403
    client = web(county_officer)
    assert client.post("/recipients/reviews/start/", {"case": [str(case.pk)]}).status_code == 400
    response = client.post("/recipients/reviews/start/", {"township": township.code, "case": ["abc"]})
    assert response.status_code == 400 and "case" in response.content.decode()
    assert not Review.objects.exists()
