"""ASVS V2.7/V2.8 and GB/T 22239 8.1.4.1 (two factors for administrators): TOTP with django-otp,
recovery codes, on the page and at the token endpoint, audited. OTP_REQUIRED is on in these tests."""

import re

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.otp import _new_recovery_codes
from audit.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def otp_on(settings):
    settings.OTP_REQUIRED = True


def code_for(device):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def enrolled(user):
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return device, _new_recovery_codes(user)


def page_login(client, username):
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD})


def test_setting_is_on_in_production_and_off_in_debug():
    from dibao import settings as module
    # Declared from DEBUG: on unless DJANGO_DEBUG=1 (the tests run with it and turn it on here).
    assert "OTP_REQUIRED = env_bool(\"OTP_REQUIRED\", not DEBUG)" in open(module.__file__).read()


def test_officer_enrols_through_the_page_then_verifies_next_login(county_officer):
    client = Client()
    assert page_login(client, "county1").status_code == 302
    # Everything sends to enrolment until the second factor is set up.
    response = client.get("/cases/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/otp/enrol/")
    assert client.get("/api/v1/me/").status_code == 403
    page = client.get("/accounts/otp/enrol/")
    html = page.content.decode()
    assert "data:image/svg+xml;base64," in html  # the QR code, drawn here
    secret = re.search(r'id="otp-secret">([A-Z2-7]+)<', html).group(1)
    assert not TOTPDevice.objects.exists()  # opening the page wrote nothing
    assert client.post("/accounts/otp/enrol/", {"otp": "123456"}).status_code == 400
    device = TOTPDevice(user=county_officer, key=__import__("base64").b32decode(secret).hex())
    response = client.post("/accounts/otp/enrol/", {"otp": code_for(device)})
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", response.content.decode())
    assert len(codes) == 10
    assert client.get("/cases/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.otp_enrol", actor=county_officer).exists()
    assert AuditEvent.objects.filter(action="auth.otp_enrol_failed").exists()
    # Next login: the code page, where a recovery code works once.
    second = Client()
    page_login(second, "county1")
    assert second.get("/cases/")["Location"].startswith("/accounts/otp/")
    assert second.post("/accounts/otp/", {"otp": "000000"}).status_code == 400
    assert second.post("/accounts/otp/", {"otp": codes[0]}).status_code == 302
    assert second.get("/cases/").status_code == 200
    third = Client()
    page_login(third, "county1")
    assert third.post("/accounts/otp/", {"otp": codes[0]}).status_code == 400  # used up
    assert AuditEvent.objects.filter(action="auth.otp_verified", after__method="recovery_code").count() == 1
    assert AuditEvent.objects.filter(action="auth.otp_failed").count() == 2


def test_village_staff_need_no_second_factor(village_staff):
    client = Client()
    page_login(client, "village1")
    assert client.get("/households/").status_code == 200


def test_token_endpoint_requires_the_code_for_administrators(admin_user, county_officer):
    admin_user.set_password(PASSWORD)
    admin_user.save()
    api = APIClient()
    refused = api.post("/api/v1/auth/token/", {"username": "admin", "password": PASSWORD}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "second_factor_not_enrolled"
    device, _codes = enrolled(admin_user)
    missing = api.post("/api/v1/auth/token/", {"username": "admin", "password": PASSWORD}, format="json")
    assert missing.status_code == 400 and "otp" in missing.json()
    wrong = api.post("/api/v1/auth/token/", {"username": "admin", "password": PASSWORD, "otp": "000000"},
                     format="json")
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_otp"
    device.refresh_from_db()
    device.throttle_reset()  # django-otp slows the next try after a failure; this test does not wait
    ok = api.post("/api/v1/auth/token/", {"username": "admin", "password": PASSWORD, "otp": code_for(device)},
                  format="json")
    assert ok.status_code == 200 and ok.json()["token"]


def test_recovery_codes_are_stored_as_keyed_hashes_and_work_once(county_officer, settings):
    """ASVS V2.6.2 / GB/T 22239 (authentication data at rest): the table holds no usable code."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    from accounts.otp import recovery_code_hashes

    _device, codes = enrolled(county_officer)
    stored = set(StaticToken.objects.filter(device__user=county_officer).values_list("token", flat=True))
    assert len(stored) == 10 and not stored & set(codes) and all(len(t) == 16 for t in stored)
    assert stored == {recovery_code_hashes(c)[0] for c in codes}
    client = APIClient()
    first = client.post("/api/v1/auth/token/", {"username": "county1", "password": PASSWORD, "otp": codes[1]},
                        format="json")
    assert first.status_code == 200 and first.json()["token"]
    # After a new blind-index key version (codes hashed under the old one) the codes still work.
    settings.BLIND_INDEX_KEYS = {**settings.BLIND_INDEX_KEYS, 9: "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk="}
    assert client.post("/api/v1/auth/token/", {"username": "county1", "password": PASSWORD, "otp": codes[2]},
                       format="json").status_code == 200
    assert StaticToken.objects.filter(device__user=county_officer).count() == 8
    again = client.post("/api/v1/auth/token/", {"username": "county1", "password": PASSWORD, "otp": codes[1]},
                        format="json")
    assert again.status_code == 400 and again.json()["code"] == "invalid_otp"  # used up
    # A stored hash typed as a code is refused (django-otp's slow-down lifted first, so the hash itself is tried).
    StaticDevice.objects.get(user=county_officer).throttle_reset()
    refused = client.post("/api/v1/auth/token/", {"username": "county1", "password": PASSWORD,
                                                  "otp": sorted(stored)[0]}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_otp"
    assert StaticToken.objects.filter(device__user=county_officer).count() == 8


@pytest.mark.django_db(transaction=True)
def test_the_migration_hashes_codes_stored_in_clear(county_officer):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    from accounts.otp import check_code, recovery_code_hashes

    TOTPDevice.objects.create(user=county_officer, name="authenticator", confirmed=True)
    device = StaticDevice.objects.create(user=county_officer, name="recovery", confirmed=True)
    StaticToken.objects.create(device=device, token="abcd2345")  # as django-otp stored them before
    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0002_three_admins_api_tokens")])
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([("accounts", "0003_hash_recovery_codes")])
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert list(StaticToken.objects.values_list("token", flat=True)) == [recovery_code_hashes("abcd2345")[0]]
    assert check_code(user=county_officer, code="abcd2345") is not None
    assert check_code(user=county_officer, code="abcd2345") is None
