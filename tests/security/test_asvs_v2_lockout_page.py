"""ASVS V2.2.1 / GB/T 22239 8.1.4.1 (login failure handling): a username locked by django-axes at an address
is told so in plain words - how long, whom to call - on the login page (429 page, zh and en) and in the API
(429 JSON with a code and Retry-After), never a bare 403; the lockout is audited."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from audit.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

WRONG = "wrong-Passw0rd"


def lock_on_page(client, username="village1", addr="203.0.113.9"):
    for _ in range(5):
        client.post("/accounts/login/", {"username": username, "password": WRONG}, REMOTE_ADDR=addr)


def test_the_login_page_explains_the_lock_in_chinese(village_staff, settings):
    settings.AXES_COOLOFF_TIME = __import__("datetime").timedelta(minutes=15)
    settings.LOCKOUT_CONTACT = "县民政局信息科 0532-88881234"
    client = Client()
    lock_on_page(client)
    response = client.post("/accounts/login/", {"username": "village1", "password": PASSWORD},
                           REMOTE_ADDR="203.0.113.9")
    html = response.content.decode()
    assert response.status_code == 429 and response["Retry-After"] == "900"
    assert 'id="locked-out"' in html and "登录失败次数过多" in html and "15 分钟" in html
    assert "县民政局信息科 0532-88881234" in html and "返回登录页" in html
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.lockout", after__username="village1").exists()


def test_the_page_in_english_names_the_security_administrator_by_default(village_staff, settings):
    settings.LOCKOUT_CONTACT = ""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    lock_on_page(client)
    response = client.post("/accounts/login/", {"username": "village1", "password": PASSWORD},
                           REMOTE_ADDR="203.0.113.9")
    html = response.content.decode()
    assert response.status_code == 429
    assert "locked at this computer for 15 minutes" in html and "your security administrator" in html


def test_the_api_answers_json_429_with_the_message(village_staff, settings):
    settings.LOCKOUT_CONTACT = "0532-88881234"
    api = APIClient()
    for _ in range(5):
        api.post("/api/v1/auth/token/", {"username": "village1", "password": WRONG}, format="json",
                 REMOTE_ADDR="203.0.113.10")
    response = api.post("/api/v1/auth/token/", {"username": "village1", "password": PASSWORD}, format="json",
                        REMOTE_ADDR="203.0.113.10")
    assert response.status_code == 429 and response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "locked_out" and body["retry_after_minutes"] == 15 and "0532-88881234" in body["detail"]
    assert response["Retry-After"] == "900" and "token" not in body


def test_not_locked_other_user_or_other_address(village_staff, other_village_staff):
    client = Client()
    lock_on_page(client)
    # another username from the same address, and the same username from another address, log in
    assert Client().post("/accounts/login/", {"username": "village2", "password": PASSWORD},
                         REMOTE_ADDR="203.0.113.9").status_code == 302
    assert Client().post("/accounts/login/", {"username": "village1", "password": PASSWORD},
                         REMOTE_ADDR="203.0.113.77").status_code == 302
    # four failures are not a lock: the form answers 200 with its error
    fresh = Client()
    for _ in range(4):
        response = fresh.post("/accounts/login/", {"username": "village2", "password": WRONG},
                              REMOTE_ADDR="203.0.113.50")
    assert response.status_code == 200 and 'id="locked-out"' not in response.content.decode()
