from datetime import date

import pytest

from audit.models import AuditEvent
from cases.models import Holiday
from cases.working_days import add_working_days

pytestmark = pytest.mark.django_db


def test_admin_adds_next_years_holiday_and_it_is_audited_and_used(web, admin_user):
    # 2027 is not in the seeded table: weekends only, flagged as uncertain.
    before = add_working_days(date(2027, 1, 29), 1)
    client = web(admin_user)
    response = client.post("/admin/cases/holiday/add/", {"date": "2027-02-01", "kind": "holiday", "name": "春节"})
    assert response.status_code == 302, response.content.decode()[:500]
    assert Holiday.objects.filter(date=date(2027, 2, 1)).exists()
    event = AuditEvent.objects.get(action="holiday.admin_create")
    assert event.actor_username == admin_user.username and event.after["name"] == "春节"
    after = add_working_days(date(2027, 1, 29), 1)
    assert (before.date, after.date) == (date(2027, 2, 1), date(2027, 2, 2))  # Friday -> Monday -> Tuesday
    assert before.uncertain


@pytest.mark.parametrize("path", ["/admin/cases/holiday/", "/admin/cases/casepolicy/",
                                  "/admin/households/standard/", "/admin/households/incomepolicy/",
                                  "/admin/overlaps/overlappolicy/", "/admin/recipients/recipientpolicy/",
                                  "/admin/evidence/requireddocument/"])
def test_configuration_is_editable_by_admins_only(web, admin_user, county_officer, path):
    assert web(admin_user).get(path).status_code == 200
    assert web(county_officer).get(path).status_code == 302  # not staff: to the admin login
