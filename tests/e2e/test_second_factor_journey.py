"""A county officer logs in through the page with OTP_REQUIRED on: enrols the authenticator (QR code and
key on the page), sees the recovery codes, reaches the work queue; logs in again with a code."""

import base64

import pytest
from django_otp.oath import totp

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def current_code(secret_b32: str) -> str:
    return f"{totp(base64.b32decode(secret_b32)):06d}"


def test_officer_enrols_and_logs_in_with_the_second_factor(browser, settings, county_officer):
    settings.OTP_REQUIRED = True
    b = browser
    b.log_in("county1", PASSWORD)
    b.wait_for(lambda: "/accounts/otp/enrol/" in b.path)
    assert b.find("img.otp-qr").get_attribute("src").startswith("data:image/svg+xml;base64,")
    secret = b.find("#otp-secret").text
    b.shot("enrol")
    b.fill("#id_otp", current_code(secret))
    b.click("main button.btn-primary")
    b.wait_for(lambda: b.find_all("#recovery-codes li"))
    assert len(b.find_all("#recovery-codes li")) == 10
    code = b.find_all("#recovery-codes li")[0].text.strip()  # the table keeps only their keyed hashes
    b.shot("recovery-codes")
    b.click("main a.btn-primary")
    b.wait_for(lambda: "待办工作" in b.html)
    b.log_out()
    # Next time: password, then the code page. The code of the same 30 s step was used at enrolment, so a
    # recovery code is typed here.
    b.log_in("county1", PASSWORD)
    b.wait_for(lambda: "/accounts/otp/" in b.path)
    b.fill("#id_otp", code)
    b.shot("verify")
    b.click("main button.btn-primary")
    b.wait_for(lambda: "待办工作" in b.html)
    b.get("/cases/")
    assert "/accounts/otp" not in b.path
