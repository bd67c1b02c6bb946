"""GB/T 22239-2019 8.1.4.3 security audit / ASVS V7.2: sign-ins are in the append-only audit log with the
client address: success, failure, lockout, logout, token issue and revoke."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from audit.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def post_login(client, username, password, ip="10.2.2.2"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_success_failure_lockout_logout_are_audited(village_staff):
    client = Client()
    assert post_login(client, "village1", PASSWORD).status_code == 302
    login = AuditEvent.objects.get(action="auth.login", actor=village_staff)
    assert login.actor == village_staff and login.ip == "10.2.2.2"
    assert login.division_code == village_staff.division.code
    client.post("/accounts/logout/", REMOTE_ADDR="10.2.2.2")
    assert AuditEvent.objects.filter(action="auth.logout", actor=village_staff).exists()
    for _ in range(5):
        post_login(Client(), "village1", "wrong-Passw0rd")
    failures = AuditEvent.objects.filter(action="auth.login_failed")
    assert failures.count() == 5
    assert {e.after["username"] for e in failures} == {"village1"} and {e.ip for e in failures} == {"10.2.2.2"}
    assert all(e.actor is None and e.actor_username == "anonymous" for e in failures)
    post_login(Client(), "village1", PASSWORD)
    assert AuditEvent.objects.filter(action="auth.lockout", after__username="village1").exists()


def test_token_issue_and_revoke_are_audited(village_staff):
    api = APIClient()
    token = api.post("/api/v1/auth/token/", {"username": "village1", "password": PASSWORD}, format="json",
                     REMOTE_ADDR="10.3.3.3").json()["token"]
    issue = AuditEvent.objects.get(action="auth.token_issue")
    assert issue.actor == village_staff and issue.ip == "10.3.3.3"
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    api.post("/api/v1/auth/logout/", REMOTE_ADDR="10.3.3.3")
    revoke = AuditEvent.objects.get(action="auth.token_revoke")
    assert revoke.after["reason"] == "logout" and revoke.ip == "10.3.3.3"


def test_login_events_do_not_feed_the_change_feed(village_staff):
    from jobs.models import OutboxMessage

    before = OutboxMessage.objects.count()
    post_login(Client(), "village1", PASSWORD)
    assert OutboxMessage.objects.count() == before
