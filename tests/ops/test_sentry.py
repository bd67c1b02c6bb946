"""Error reports (sentry-sdk, SENTRY_DSN) leave without ID numbers, names in locals, request bodies,
query strings, cookies or SQL parameters: a fake transport receives exactly what would be sent."""

import logging

import pytest
import sentry_sdk
from django.db import IntegrityError
from django.test import Client, override_settings
from sentry_sdk.transport import Transport

from dibao.ops.sentry import init_sentry

ID_NUMBER = "370283198005010011"
NAME = "王小明"


class CapturingTransport(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.sent: list[bytes] = []

    def capture_envelope(self, envelope):
        self.sent.append(envelope.serialize())


@pytest.fixture
def sent():
    transport = CapturingTransport()
    init_sentry("https://public@sentry.example.invalid/1", environment="test", transport=transport)
    yield transport.sent
    sentry_sdk.get_client().close()
    sentry_sdk.init(dsn=None)


def everything(sent) -> str:
    sentry_sdk.flush()
    return b"\n".join(sent).decode()


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="tests.ops.sentry_urls", DEBUG_PROPAGATE_EXCEPTIONS=False)
def test_an_exception_in_a_request_reaches_the_transport_without_personal_data(sent, village_staff):
    client = Client(raise_request_exception=False)
    client.force_login(village_staff)
    client.cookies["note"] = ID_NUMBER
    response = client.post(f"/boom/?q={ID_NUMBER}", {"id_number": ID_NUMBER, "name": NAME})
    assert response.status_code == 500
    text = everything(sent)
    assert "ValueError" in text and "no household for [redacted]" in text  # the report did leave
    assert ID_NUMBER not in text
    assert '"vars"' not in text  # no local variables (the name lives in one)
    assert village_staff.username not in text
    assert "sessionid" not in text and "csrftoken" not in text


def test_log_messages_breadcrumbs_and_database_details_are_scrubbed(sent):
    logger = logging.getLogger("dibao.test.sentry")
    logger.info("looked up %s", ID_NUMBER)  # a breadcrumb
    try:
        raise IntegrityError(f'duplicate key value violates unique constraint\nDETAIL:  Key (name, id)=({NAME}, '
                             f'{ID_NUMBER}) already exists.\nFailing row contains (7, {NAME}, x).')
    except IntegrityError as exc:
        sentry_sdk.capture_exception(exc)
    logger.error("import row for %s failed", ID_NUMBER)  # an event of its own
    text = everything(sent)
    assert ID_NUMBER not in text and NAME not in text
    assert "Key (name, id)=([redacted])" in text and "Failing row contains ([redacted])" in text


def test_without_a_dsn_nothing_is_set_up(settings):
    assert settings.SENTRY_DSN == ""
    assert getattr(sentry_sdk.get_client(), "transport", None) is None  # nothing would be sent
