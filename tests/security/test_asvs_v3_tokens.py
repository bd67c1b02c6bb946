"""ASVS V3 (session management) for API tokens: django-rest-knox tokens that expire, end at logout,
password change and deactivation, and that their owner lists and revokes."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken
from audit.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
TOKEN = "/api/v1/auth/token/"


def login(username="village1", password=PASSWORD, **extra):
    return APIClient().post(TOKEN, {"username": username, "password": password, **extra}, format="json",
                            REMOTE_ADDR="10.1.1.1")


def as_token(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_token_has_expiry_of_a_working_day_and_is_stored_hashed(village_staff, settings):
    response = login()
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expiry"}
    row = ApiToken.objects.get(user=village_staff)
    assert body["token"] not in (row.digest, row.token_key)  # only the digest is stored
    assert timedelta(hours=8, minutes=59) < row.expiry - timezone.now() <= timedelta(hours=9)
    # A new login gives a new token, not the same one as before.
    assert login().json()["token"] != body["token"]
    assert AuditEvent.objects.filter(action="auth.token_issue", actor=village_staff, ip="10.1.1.1").count() == 2


def test_expired_token_is_refused(village_staff):
    token = login().json()["token"]
    assert as_token(token).get("/api/v1/me/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=9, minutes=1)):
        assert as_token(token).get("/api/v1/me/").status_code == 401
    assert not ApiToken.objects.filter(user=village_staff).exists()


def test_logout_ends_this_token_only(village_staff):
    first, second = login().json()["token"], login().json()["token"]
    assert as_token(first).post("/api/v1/auth/logout/").status_code == 204
    assert as_token(first).get("/api/v1/me/").status_code == 401
    assert as_token(second).get("/api/v1/me/").status_code == 200
    assert as_token(second).post("/api/v1/auth/logout-all/").status_code == 204
    assert as_token(second).get("/api/v1/me/").status_code == 401
    assert AuditEvent.objects.filter(action="auth.token_revoke", object_id=str(village_staff.pk)).count() == 2
    assert AuditEvent.objects.filter(action="auth.logout").count() == 2


def test_password_change_ends_every_token(village_staff, security_admin):
    token = login().json()["token"]
    services.user_set_password(actor=village_staff, user=village_staff, password="A-new-Passw0rd-2026")
    assert as_token(token).get("/api/v1/me/").status_code == 401
    assert not ApiToken.objects.filter(user=village_staff).exists()
    # Even a password changed behind the services' back (the admin, a shell) ends the token.
    token = login(password="A-new-Passw0rd-2026").json()["token"]
    village_staff.set_password("Another-Passw0rd-99")
    village_staff.save()
    assert as_token(token).get("/api/v1/me/").status_code == 401


def test_deactivation_ends_every_token(village_staff, admin_user):
    token = login().json()["token"]
    services.user_set_active(actor=admin_user, user=village_staff, active=False)
    assert as_token(token).get("/api/v1/me/").status_code == 401
    assert not ApiToken.objects.filter(user=village_staff).exists()
    assert AuditEvent.objects.filter(action="user.deactivate", actor=admin_user).exists()


def test_owner_lists_and_revokes_tokens_api_and_page(village_staff, other_village_staff, web):
    token = login().json()["token"]
    other = login("village2").json()["token"]
    client = as_token(token)
    rows = client.get("/api/v1/auth/tokens/").json()
    assert len(rows) == 1 and rows[0]["current"] is True and rows[0]["ip"] == "10.1.1.1"
    assert token not in str(rows)
    # Another user's token cannot be revoked by its id.
    other_id = as_token(other).get("/api/v1/auth/tokens/").json()[0]["id"]
    assert client.delete(f"/api/v1/auth/tokens/{other_id}/").status_code == 404
    assert as_token(other).get("/api/v1/me/").status_code == 200
    # The page lists it and revokes it.
    page = web(village_staff)
    assert rows[0]["id"] in page.get("/accounts/security/").content.decode()
    assert page.post("/accounts/security/", {"token": rows[0]["id"]}).status_code == 302
    assert client.get("/api/v1/me/").status_code == 401


def test_security_admin_revokes_another_users_tokens(village_staff, security_admin, admin_user, api):
    token = login().json()["token"]
    assert api(admin_user).post(f"/api/v1/users/{village_staff.pk}/revoke-tokens/").status_code == 403
    assert as_token(token).get("/api/v1/me/").status_code == 200
    response = api(security_admin).post(f"/api/v1/users/{village_staff.pk}/revoke-tokens/")
    assert response.status_code == 200 and response.json() == {"revoked": 1}
    assert as_token(token).get("/api/v1/me/").status_code == 401
