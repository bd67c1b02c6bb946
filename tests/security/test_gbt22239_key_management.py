"""GB/T 22239 level 3 (cryptographic key management) and ASVS V6.4: keys are versioned, checked at
start, bound to their row, and a wrong key gives a clear answer instead of a 500."""

import base64
import logging
import os
import subprocess
import sys
from datetime import date

import pytest
from django.db import connection

from dibao import crypto
from households import crypto as id_crypto
from households.idnumber import make_id_number
from households.models import Person
from households.persons import person_find, person_get_or_create
from tests.test_settings import ROOT, manage, production_env

K1, K2, K3 = (base64.b64encode(bytes([n]) * 32).decode() for n in (1, 2, 3))


def number(n: int) -> str:
    return make_id_number("370283", date(1970, 5, 1), n)


@pytest.fixture(autouse=True)
def fresh_alerts():
    crypto._alerted.clear()  # the alert is logged once a minute per key version; each test starts anew


def test_the_alert_is_logged_once_a_minute_with_the_count(caplog, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(crypto.time, "monotonic", lambda: clock[0])
    ring = crypto.Keyring({1: K1}, {1: K3}, "aes")
    blob = crypto.Keyring({1: K2}, {1: K3}, "aes").encrypt(b"x", context="t.c:1")
    with caplog.at_level(logging.ERROR, logger="dibao.security"):
        for _ in range(500):
            with pytest.raises(crypto.DecryptionFailed):
                ring.decrypt(blob, context="t.c:1")
        clock[0] += 61
        with pytest.raises(crypto.DecryptionFailed):
            ring.decrypt(blob, context="t.c:1")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert lines[0].startswith("decryption failed (1 times): field t.c made with aes key version 1")
    assert lines[1].startswith("decryption failed (500 times)")


# -- the start in production -----------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("overrides,named", [
    ({"DIBAO_FIELD_KEY": "c2VjcmV0"}, "DIBAO_FIELD_KEY must decode to 32 bytes, not 6"),
    ({"DIBAO_BLIND_INDEX_KEY": "not base64!"}, "DIBAO_BLIND_INDEX_KEY is not valid base64"),
    ({"DIBAO_FIELD_KEY": "ZGliYW8tZGV2ZWxvcG1lbnQtZmllbGQta2V5LTMyYiE="}, "DIBAO_FIELD_KEY is a development key"),
    ({"DIBAO_FIELD_KEY": K1, "DIBAO_BLIND_INDEX_KEY": K1}, "DIBAO_BLIND_INDEX_KEY is the same key as DIBAO_FIELD_KEY"),
    ({"DIBAO_FIELD_KEYS": f"2:{K2},1:{K2}"}, "DIBAO_FIELD_KEYS (version 2) is the same key as DIBAO_FIELD_KEYS (version 1)"),
    ({"DIBAO_FIELD_KEYS": "two:" + K2}, "DIBAO_FIELD_KEYS must read"),
    ({"DIBAO_CRYPTO": "des"}, "DIBAO_CRYPTO must be"),
])
def test_production_start_refuses_weak_or_repeated_keys_naming_the_variable(tmp_path, overrides, named):
    env = production_env(tmp_path, **{"DIBAO_FIELD_KEYS": None, **overrides})
    if "DIBAO_FIELD_KEYS" in overrides and "DIBAO_FIELD_KEY" not in overrides:
        env.pop("DIBAO_FIELD_KEY")
    result = manage(env, "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and named in result.stderr
    for value in overrides.values():
        if len(value) >= 32:
            assert value not in result.stderr  # never a key in the message


@pytest.mark.slow
def test_production_start_reads_a_keyring_from_a_key_file(tmp_path):
    key_file = tmp_path / "keys.env"
    key_file.write_text(f"# dibao keys\nDIBAO_FIELD_KEYS=2:{K2},1:{K1}\nDIBAO_BLIND_INDEX_KEYS=1:{K3}\n")
    env = production_env(tmp_path, DIBAO_FIELD_KEY=None, DIBAO_BLIND_INDEX_KEY=None, DIBAO_KEY_FILE=str(key_file),
                         DIBAO_CRYPTO="sm")
    code = ("import django; django.setup(); from dibao.crypto import keyring; r = keyring(); "
            "print(sorted(r.field_keys), r.field_version, r.index_version, r.suite)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[1,", "2]", "2", "1", "sm"]
    key_file.write_text(f"DIBAO_FIELD_KEYS=1:{K1}\nDIBAO_BLIND_INDEX_KEYS=1:c2VjcmV0\n")
    result = manage(env, "check")
    assert result.returncode != 0 and "DIBAO_BLIND_INDEX_KEYS in DIBAO_KEY_FILE (version 1) must decode to 32" \
        in result.stderr


# -- versions, associated data -----------------------------------------------------------------------

@pytest.fixture
def keys(settings):
    settings.FIELD_KEYS, settings.BLIND_INDEX_KEYS, settings.CRYPTO_ALGORITHM = {1: K1}, {1: K3}, "aes"
    return settings


@pytest.mark.django_db
def test_old_versions_read_the_current_one_writes(keys, village):
    old = person_get_or_create(id_number=number(1), name="张三")
    keys.FIELD_KEYS = {1: K1, 2: K2}
    new = person_get_or_create(id_number=number(3), name="李四")
    assert bytes(old.id_encrypted)[2:4] == b"\x00\x01" and bytes(new.id_encrypted)[2:4] == b"\x00\x02"
    assert [p.id_number for p in Person.objects.order_by("pk")] == [number(1), number(3)]
    assert new.key_state == "aes:2:1" and old.key_state == "aes:1:1"


@pytest.mark.django_db
def test_swapped_ciphertexts_do_not_decrypt(keys, village, caplog):
    a = person_get_or_create(id_number=number(1), name="张三")
    b = person_get_or_create(id_number=number(3), name="李四")
    Person.objects.filter(pk=a.pk).update(id_encrypted=b.id_encrypted)
    a.refresh_from_db()
    with caplog.at_level(logging.ERROR, logger="dibao.security"), pytest.raises(crypto.DecryptionFailed):
        _ = a.id_number
    assert "households_person.id_encrypted" in caplog.text  # the alert names the column, not the number
    assert number(3) not in caplog.text
    # Another table or column is another context as well.
    ring = crypto.keyring()
    with pytest.raises(crypto.DecryptionFailed):
        ring.decrypt(bytes(b.id_encrypted), context=f"other_table.id_encrypted:{b.id_hash}")


@pytest.mark.django_db
def test_pre_keyring_ciphertexts_still_read(keys, village):
    """Rows written before the keyring (version byte 1, AES-GCM, constant associated data)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    person = person_get_or_create(id_number=number(1), name="张三")
    nonce = os.urandom(12)
    legacy = b"\x01" + nonce + AESGCM(bytes([1]) * 32).encrypt(nonce, number(1).encode(), b"dibao:id_number")
    Person.objects.filter(pk=person.pk).update(id_encrypted=legacy, key_state="")
    person.refresh_from_db()
    assert person.id_number == number(1)


@pytest.mark.django_db
def test_a_new_blind_index_key_does_not_let_one_person_into_two_households(keys, village, other_village,
                                                                            village_staff, other_village_staff):
    """The issue's finding: after the index key changed, a second household with the same ID number was
    accepted. Lookups try every configured version, so the refusal holds before rotation too."""
    from dibao.errors import InvalidInput
    from households import services
    from tests.households.factories import household_data, make_standard

    make_standard(village.parent.parent)
    services.household_create(actor=village_staff, village=village, data=household_data(
        [{"id_number": number(1), "name": "张三", "relationship": "head"}]))
    keys.BLIND_INDEX_KEYS = {1: K3, 2: K2}
    with pytest.raises(InvalidInput):
        services.household_create(actor=other_village_staff, village=other_village, data=household_data(
            [{"id_number": number(1), "name": "张三", "relationship": "head"}]))
    assert Person.objects.count() == 1
    assert person_find(number(1)) is not None


# -- a wrong key -------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_wrong_field_key_gives_a_clear_503_page_and_json_not_a_500(keys, village, village_staff, web, api,
                                                                     caplog):
    from households import services
    from tests.households.factories import household_data, make_standard

    make_standard(village.parent.parent)
    household = services.household_create(actor=village_staff, village=village, data=household_data(
        [{"id_number": number(1), "name": "张三", "relationship": "head"}]))
    keys.FIELD_KEYS = {1: K2}  # the operator configured the wrong key
    with caplog.at_level(logging.ERROR, logger="dibao.security"):
        page = web(village_staff).get(f"/households/{household.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
        body = api(village_staff).get(f"/api/v1/households/{household.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 503 and page["Retry-After"] == "300"
    assert "安全管理员" in page.content.decode()
    assert body.status_code == 503 and body.json()["code"] == "decryption_failed"
    assert "安全管理员" in body.json()["detail"]
    assert "decryption failed" in caplog.text
    # The rest of the site keeps answering.
    assert web(village_staff).get("/households/new/").status_code == 200
    keys.FIELD_KEYS = {1: K1}
    assert web(village_staff).get(f"/households/{household.pk}/").status_code == 200


def test_no_key_material_reaches_the_database_or_the_log(keys, caplog):
    assert connection.vendor in ("postgresql", "sqlite")
    blob = crypto.keyring().encrypt(b"x", context="t.c:1")
    assert bytes([1]) * 32 not in blob
    assert id_crypto.ID_CONTEXT == "households_person.id_encrypted"
