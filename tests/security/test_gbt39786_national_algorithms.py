"""GB/T 39786 (commercial cryptography, 密评): SM4 and SM3 for personal data at rest, on request.

Known-answer tests against the published vectors prove the primitives this build of `cryptography`
provides are the standard ones; the rest proves DIBAO_CRYPTO=sm puts them to work for fields, files
and the blind index, and that each ciphertext records its suite and key version.
"""

import base64
import hashlib
import hmac
import os
from datetime import date

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from dibao import crypto, filecrypt
from households import crypto as id_crypto
from households.idnumber import make_id_number
from households.persons import person_get_or_create

KEY_A = base64.b64encode(b"A" * 32).decode()
KEY_B = base64.b64encode(b"B" * 32).decode()


def test_sm4_block_known_answer_gbt_32907():
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    assert (encryptor.update(key) + encryptor.finalize()).hex() == "681edf34d206965e86b3e94f536e4246"


def test_sm3_known_answer_gbt_32905():
    digest = hashes.Hash(hashes.SM3())
    digest.update(b"abc")
    assert digest.finalize().hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_sm4_gcm_known_answer_rfc_8998():
    """RFC 8998 appendix A.1: the SM4-GCM the keyring uses is the standard mode."""
    aead = crypto.SM4GCM(bytes.fromhex("0123456789ABCDEFFEDCBA9876543210"))
    nonce = bytes.fromhex("00001234567800000000ABCD")
    associated = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plaintext = bytes.fromhex("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
                              "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA")
    sealed = aead.encrypt(nonce, plaintext, associated)
    assert sealed[:-16].hex().upper() == (
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D")
    assert sealed[-16:].hex().upper() == "83DE3541E4C2B58177E065A9BF7B62EC"
    assert aead.decrypt(nonce, sealed, associated) == plaintext


@pytest.fixture
def sm(settings):
    settings.FIELD_KEYS = {1: KEY_A}
    settings.BLIND_INDEX_KEYS = {1: KEY_B}
    settings.CRYPTO_ALGORITHM = "sm"
    return settings


def test_sm_suite_seals_fields_with_sm4_and_indexes_with_hmac_sm3(sm):
    ring = crypto.keyring()
    blob = ring.encrypt(b"370283197005010012", context="t.c:1")
    assert blob[:4] == bytes([0xD2, 2, 0, 1])  # format, suite 2 = SM4-GCM, key version 1
    # Nothing else than SM4-GCM under the derived key opens it.
    sm4_key = crypto.sm3_hmac(b"A" * 32, b"dibao sm4-gcm")[:16]
    assert crypto.SM4GCM(sm4_key).decrypt(blob[4:16], blob[16:], blob[:4] + b"t.c:1") == b"370283197005010012"
    mac = hmac.new(b"B" * 32, b"370283197005010012", "sm3") if "sm3" in hashlib.algorithms_available else None
    expected = mac.hexdigest() if mac else crypto.sm3_hmac(b"B" * 32, b"370283197005010012").hex()
    assert ring.blind_index("370283197005010012") == expected
    assert ring.blind_index("370283197005010012") != hmac.new(b"B" * 32, b"370283197005010012", "sha256").hexdigest()


def test_aes_is_the_default_suite(settings):
    settings.FIELD_KEYS, settings.BLIND_INDEX_KEYS, settings.CRYPTO_ALGORITHM = {3: KEY_A}, {1: KEY_B}, "aes"
    blob = crypto.keyring().encrypt(b"x", context="t.c:1")
    assert blob[:4] == bytes([0xD2, 1, 0, 3])
    assert hmac.new(b"B" * 32, b"x", "sha256").hexdigest() == crypto.keyring().blind_index("x")


@pytest.mark.django_db
def test_person_written_under_sm_is_read_after_switching_back_to_aes(sm, village):
    number = make_id_number("370283", date(1970, 5, 1), 1)
    person = person_get_or_create(id_number=number, name="张三")
    assert person.key_state == "sm:1:1" and bytes(person.id_encrypted)[1] == 2
    sm.CRYPTO_ALGORITHM = "aes"
    person.refresh_from_db()
    assert person.id_number == number  # every suite reads
    # and the lookup still finds the row stored under the SM3 index (no second person)
    assert person_get_or_create(id_number=number, name="张三").pk == person.pk
    assert id_crypto.blind_index(number) != person.id_hash


def test_files_under_sm_are_sealed_with_sm4(sm, tmp_path):
    sm.VAR_DIR = tmp_path
    data = os.urandom(70_000) + "身份证复印件".encode()
    path = tmp_path / "documents" / "x.pdf"
    filecrypt.write_bytes(path, data)
    raw = path.read_bytes()
    assert raw[:4] == b"DBF1" and raw[4:8] == bytes([0xD2, 2, 0, 1])
    assert "身份证复印件".encode() not in raw
    assert filecrypt.read_bytes(path) == data
