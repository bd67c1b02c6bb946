"""ASVS V2.2.1 (anti-automation) and V4 / GB/T 22239 8.1.4.1: the client address comes from
X-Forwarded-For only through a trusted proxy (one function for the audit log, django-axes and the rate
limits); logins are limited per address (password spraying) and per username; the token endpoint is
throttled; a cache that is down limits nothing and never answers 500."""

import pytest
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from audit.models import AuditEvent
from dibao.middleware import client_ip
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def request(remote, forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(request("203.0.113.9", "1.2.3.4")) == "203.0.113.9"
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    assert client_ip(request("203.0.113.9", "1.2.3.4")) == "203.0.113.9"  # direct peer not trusted
    assert client_ip(request("10.0.0.5", "1.2.3.4")) == "1.2.3.4"
    # The client's own spoofed entries on the left are not believed: the right-most untrusted hop counts.
    assert client_ip(request("10.0.0.5", "6.6.6.6, 1.2.3.4")) == "1.2.3.4"
    assert client_ip(request("10.0.0.5", "1.2.3.4, 10.0.0.7")) == "1.2.3.4"
    assert client_ip(request("10.0.0.5", "not-an-ip")) == "10.0.0.5"


def test_rotating_spoofed_addresses_do_not_escape_the_lockout(village_staff, settings):
    settings.TRUSTED_PROXIES = []
    client = Client()
    for n in range(6):
        client.post("/accounts/login/", {"username": "village1", "password": "wrong-Passw0rd"},
                    REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"172.16.0.{n}")
    response = client.post("/accounts/login/", {"username": "village1", "password": PASSWORD},
                           REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="172.16.0.99")
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    assert set(AuditEvent.objects.filter(action="auth.login_failed").values_list("ip", flat=True)) == {"198.51.100.7"}


def test_password_spraying_from_one_address_is_stopped(db, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 20
    victim = UserFactory(username="victim", role="village_staff")
    client = Client()
    for n in range(20):
        client.post("/accounts/login/", {"username": f"user{n}", "password": "Spring2026!"}, REMOTE_ADDR="10.8.8.8")
    response = client.post("/accounts/login/", {"username": "victim", "password": PASSWORD}, REMOTE_ADDR="10.8.8.8")
    assert "_auth_user_id" not in client.session and "失败" in response.content.decode()
    token = APIClient().post("/api/v1/auth/token/", {"username": "victim", "password": PASSWORD}, format="json",
                             REMOTE_ADDR="10.8.8.8")
    assert token.status_code == 429
    # Another address is not affected.
    assert Client().post("/accounts/login/", {"username": "victim", "password": PASSWORD},
                         REMOTE_ADDR="10.8.8.9").status_code == 302
    assert victim.pk


def test_one_username_from_many_addresses_is_stopped(village_staff, settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 8
    for n in range(8):
        Client().post("/accounts/login/", {"username": "village1", "password": "wrong-Passw0rd"},
                      REMOTE_ADDR=f"10.7.0.{n}")
    client = Client()
    client.post("/accounts/login/", {"username": "village1", "password": PASSWORD}, REMOTE_ADDR="10.7.1.1")
    assert "_auth_user_id" not in client.session


def test_token_endpoint_is_throttled_per_address(village_staff, monkeypatch):
    from dibao.api import TokenThrottle

    # The rates are read into the class when it is defined; monkeypatch puts the class's own back afterwards
    # (a later test of this process must not inherit 3/min).
    monkeypatch.setattr(TokenThrottle, "THROTTLE_RATES", {**TokenThrottle.THROTTLE_RATES, "token": "3/min"})
    api = APIClient()
    statuses = [api.post("/api/v1/auth/token/", {"username": "village1", "password": PASSWORD}, format="json",
                         REMOTE_ADDR="10.6.6.6").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert api.post("/api/v1/auth/token/", {"username": "village1", "password": PASSWORD}, format="json",
                    REMOTE_ADDR="10.6.6.7").status_code == 200


def test_a_cache_that_is_down_limits_nothing_and_never_500s(village_staff, monkeypatch):
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    for name in ("get", "set", "add", "incr", "get_many"):
        monkeypatch.setattr(cache, name, down)
    response = APIClient().post("/api/v1/auth/token/", {"username": "village1", "password": PASSWORD},
                                format="json")
    assert response.status_code == 200
    assert Client().post("/accounts/login/", {"username": "village1", "password": "x-wrong-1"}).status_code == 200
