"""GB/T 22239-2019 level 3, 8.1.4.2 access control (三员分立): system, security and audit administrators,
no account holds two, no superuser in production."""

import pytest
from django.core.management import call_command
from django.test import override_settings

from accounts import services
from accounts.checks import check_no_superuser_in_production
from accounts.models import User
from audit.models import AuditEvent
from dibao.errors import NotPermitted
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_system_admin_creates_accounts_but_grants_no_admin_role(admin_user, api, village):
    created = api(admin_user).post("/api/v1/users/", {"username": "new1", "password": "Long-enough-pass-77",
                                                      "role": "village_staff", "division": village.code},
                                   format="json")
    assert created.status_code == 201
    refused = api(admin_user).post("/api/v1/users/", {"username": "new2", "password": "Long-enough-pass-77",
                                                      "role": "security_admin"}, format="json")
    assert refused.status_code == 403 and not User.objects.filter(username="new2").exists()


def test_only_the_security_admin_changes_roles(admin_user, security_admin, audit_admin, village_staff, api, county):
    for actor in (admin_user, audit_admin, village_staff):
        response = api(actor).post(f"/api/v1/users/{village_staff.pk}/role/",
                                   {"role": "county_officer", "division": county.code}, format="json")
        assert response.status_code == 403
    response = api(security_admin).post(f"/api/v1/users/{village_staff.pk}/role/",
                                        {"role": "county_officer", "division": county.code}, format="json")
    assert response.status_code == 200
    village_staff.refresh_from_db()
    assert village_staff.role == "county_officer"
    event = AuditEvent.objects.get(action="user.set_role")
    assert event.actor == security_admin and event.before["role"] == "village_staff"
    # Not on their own account.
    with pytest.raises(NotPermitted):
        services.user_set_role(actor=security_admin, user=security_admin, role="admin", division=None)


def test_only_the_audit_side_reads_the_audit_and_access_logs(admin_user, security_admin, audit_admin, auditor, api,
                                                              web, village):
    services.lockout_reset(actor=security_admin, username="village1")
    for user in (admin_user, security_admin):
        assert api(user).get("/api/v1/audit-events/").status_code == 403
        assert api(user).get("/api/v1/access-logs/").status_code == 403
        assert web(user).get("/audit/").status_code == 403
    body = api(audit_admin).get("/api/v1/audit-events/?action=auth.lockout_reset").json()
    # The security administrator's own action (no division) is visible to the audit administrator...
    assert [r["actor_username"] for r in body["results"]] == ["secadmin"]
    # ...but not to an area auditor, whose scope is a division.
    assert api(auditor).get("/api/v1/audit-events/?action=auth.lockout_reset").json()["count"] == 0
    assert web(audit_admin).get("/audit/").status_code == 200
    assert api(audit_admin).get("/api/v1/access-logs/").status_code == 200


def test_security_and_audit_admins_see_no_case_data(security_admin, audit_admin, api, village_staff, village):
    from tests.security.conftest import make_household

    make_household(village, head="王五", user=village_staff)
    for user in (security_admin, audit_admin):
        assert api(user).get("/api/v1/households/").json()["count"] == 0
        assert api(user).get("/api/v1/cases/").json()["count"] == 0


def test_no_account_holds_two_roles_and_superuser_is_only_a_system_admin(db):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(username="both", role="audit_admin", division=None, is_superuser=True)
    su = User.objects.create_superuser("root", password="Long-enough-pass-77")
    assert su.role == "admin"


def test_deploy_check_refuses_an_active_superuser_in_production(db):
    assert check_no_superuser_in_production() == []
    User.objects.create_superuser("root", password="Long-enough-pass-77")
    with override_settings(DEBUG=False):
        assert [m.id for m in check_no_superuser_in_production()] == ["accounts.E001"]
    with override_settings(DEBUG=True):
        assert [m.id for m in check_no_superuser_in_production()] == ["accounts.W001"]


def test_create_administrator_command(db, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("Long-enough-pass-77\n"))
    call_command("create_administrator", username="sec", role="security_admin", password_stdin=True)
    user = User.objects.get(username="sec")
    assert user.role == "security_admin" and not user.is_superuser and user.check_password("Long-enough-pass-77")


def test_django_admin_pages_follow_the_roles(web, admin_user, security_admin, audit_admin):
    assert web(admin_user).get("/admin/accounts/division/").status_code == 200
    assert web(admin_user).get("/admin/axes/accessattempt/").status_code == 403
    assert web(security_admin).get("/admin/axes/accessattempt/").status_code == 200
    assert web(security_admin).get("/admin/accounts/division/").status_code == 403
    assert web(audit_admin).get("/admin/audit/accessauditevent/").status_code in (403, 404)
    assert web(audit_admin).get("/admin/accounts/user/").status_code == 403
