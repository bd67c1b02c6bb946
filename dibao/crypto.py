"""The keyring: versioned keys and two algorithm suites for data at rest (fields and files).

Suites: "aes" = AES-256-GCM + HMAC-SHA256 (the default), "sm" = SM4-GCM (GB/T 32907) + HMAC-SM3
(GB/T 32905), chosen by settings.CRYPTO_ALGORITHM for new writes; stored data of either suite and any
configured key version stays readable, and `manage.py rotate_keys` moves it to the current one.

A field ciphertext records how it was made:
    0xD2 | suite (1 = aes, 2 = sm) | key version (2 bytes) | 12-byte nonce | ciphertext + 16-byte tag
and its associated data is that header plus a context naming its table, column and row, so a
ciphertext copied to another row or column does not decrypt. Ciphertexts written before the keyring
(first byte 0x01: AES-GCM with key version 1 and a constant associated data) stay readable.

A key is 32 random bytes (settings refuse anything else in production). SM4 takes 16: its key is
HMAC-SM3(key, "dibao sm4-gcm")[:16], so one configured key serves both suites.
"""

import base64
import hashlib
import hmac
import logging
import os
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from dibao.errors import DomainError

logger = logging.getLogger("dibao.security")

AES, SM = "aes", "sm"
SUITE_CODES = {AES: 1, SM: 2}
SUITE_NAMES = {code: name for name, code in SUITE_CODES.items()}
FORMAT = 0xD2
LEGACY_FORMAT = 0x01
LEGACY_ASSOCIATED_DATA = b"dibao:id_number"
HEADER_BYTES = 4
NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionFailed(DomainError):
    """Stored data that the configured keys cannot open: a wrong or missing key, or tampered data.

    Answered 503 (the page says so in plain words; the API {"code": "decryption_failed"}) and logged
    as an alert for the security administrator, never a 500.
    """

    status_code = 503
    default_code = "decryption_failed"
    default_message = _("Protected personal data cannot be opened with the keys this system is configured "
                        "with. The security administrator has been alerted; please try again later.")


def key_bytes(encoded: str) -> bytes:
    """32 key bytes from base64. Production keys are exactly 32 (settings); a short development key is
    stretched with SHA-256, as before the keyring, so existing development data stays readable."""
    decoded = base64.b64decode(encoded)
    return decoded[:32] if len(decoded) >= 32 else hashlib.sha256(decoded).digest()


def sm3_hmac(key: bytes, data: bytes) -> bytes:
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


class SM4GCM:
    """SM4 in GCM mode with the AESGCM interface (cryptography has the mode, not an AEAD class)."""

    def __init__(self, key: bytes):
        self._key = key

    def encrypt(self, nonce: bytes, data: bytes, associated: bytes) -> bytes:
        encryptor = Cipher(algorithms.SM4(self._key), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(associated)
        return encryptor.update(data) + encryptor.finalize() + encryptor.tag

    def decrypt(self, nonce: bytes, data: bytes, associated: bytes) -> bytes:
        if len(data) < TAG_BYTES:
            raise InvalidTag()
        decryptor = Cipher(algorithms.SM4(self._key), modes.GCM(nonce, data[-TAG_BYTES:])).decryptor()
        decryptor.authenticate_additional_data(associated)
        return decryptor.update(data[:-TAG_BYTES]) + decryptor.finalize()


def _aead(suite: str, key: bytes):
    if suite == SM:
        return SM4GCM(sm3_hmac(key, b"dibao sm4-gcm")[:16])
    return AESGCM(key)


def _mac(suite: str, key: bytes, data: bytes) -> str:
    if suite == SM:
        return sm3_hmac(key, data).hex()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Header:
    suite: str
    version: int

    def pack(self) -> bytes:
        return bytes([FORMAT, SUITE_CODES[self.suite]]) + self.version.to_bytes(2, "big")


def read_header(blob: bytes) -> Header | None:
    """The suite and key version a ciphertext was made with (None: a pre-keyring ciphertext)."""
    if len(blob) >= HEADER_BYTES and blob[0] == FORMAT and blob[1] in SUITE_NAMES:
        return Header(SUITE_NAMES[blob[1]], int.from_bytes(blob[2:4], "big"))
    return None


class Keyring:
    """The configured keys. `current` writes; every configured version of either suite reads."""

    def __init__(self, field_keys: dict[int, str], index_keys: dict[int, str], suite: str):
        self.suite = suite
        self.field_keys = {version: key_bytes(key) for version, key in field_keys.items()}
        self.index_keys = {version: key_bytes(key) for version, key in index_keys.items()}
        self.field_version = max(self.field_keys)
        self.index_version = max(self.index_keys)
        self.current = Header(suite, self.field_version)
        self._aeads = {}

    @property
    def state(self) -> str:
        """What a row encrypted and indexed with the current keys records (Person.key_state)."""
        return f"{self.suite}:{self.field_version}:{self.index_version}"

    def aead(self, header: Header):
        cached = self._aeads.get(header)
        if cached is None:
            key = self.field_keys.get(header.version)
            if key is None:
                raise DecryptionFailed(code="key_version_missing")
            cached = self._aeads[header] = _aead(header.suite, key)
        return cached

    # -- fields ---------------------------------------------------------------------------------
    def encrypt(self, plaintext: bytes, *, context: str) -> bytes:
        header = self.current.pack()
        nonce = os.urandom(NONCE_BYTES)
        return header + nonce + self.aead(self.current).encrypt(nonce, plaintext, header + context.encode())

    def decrypt(self, blob: bytes, *, context: str) -> bytes:
        header = read_header(blob)
        try:
            if header is None:
                if not blob or blob[0] != LEGACY_FORMAT or 1 not in self.field_keys:
                    raise InvalidTag()
                return self.aead(Header(AES, 1)).decrypt(blob[1:13], blob[13:], LEGACY_ASSOCIATED_DATA)
            nonce = blob[HEADER_BYTES:HEADER_BYTES + NONCE_BYTES]
            return self.aead(header).decrypt(nonce, blob[HEADER_BYTES + NONCE_BYTES:],
                                             blob[:HEADER_BYTES] + context.encode())
        except (InvalidTag, ValueError) as exc:
            alert("field", context, header)
            raise DecryptionFailed() from exc
        except DecryptionFailed:
            alert("field", context, header)
            raise

    def is_current(self, blob: bytes) -> bool:
        return read_header(blob) == self.current

    # -- blind indexes ---------------------------------------------------------------------------
    def blind_index(self, value: str) -> str:
        """The keyed hash of `value` with the current suite and index key (hex, 64 characters)."""
        return _mac(self.suite, self.index_keys[self.index_version], value.encode())

    def blind_indexes(self, value: str) -> list[str]:
        """Every hash `value` may be stored under: current first, then the other versions and suite.

        Lookups use all of them, so a row not yet rotated is still found (and never created twice).
        """
        found = [self.blind_index(value)]
        for version in sorted(self.index_keys, reverse=True):
            for suite in (self.suite, SM if self.suite == AES else AES):
                digest = _mac(suite, self.index_keys[version], value.encode())
                if digest not in found:
                    found.append(digest)
        return found


ALERT_EVERY_SECONDS = 60
_alerted: dict[tuple, list] = {}  # (kind, suite, version) -> [last logged, failures since]
_alert_lock = threading.Lock()


def alert(kind: str, context: str, header: Header | None) -> None:
    """An alert for the security administrator (the log's ERROR level reaches monitoring).

    At most one line a minute per kind of data and key version, with the number of failures since, so a
    wrong key on a list page or a rotation of a million rows does not flood the log.
    """
    key = (kind, header.suite if header else "legacy", header.version if header else 1)
    now = time.monotonic()
    with _alert_lock:
        last = _alerted.setdefault(key, [float("-inf"), 0])
        last[1] += 1
        if now - last[0] < ALERT_EVERY_SECONDS:
            return
        failures, last[0], last[1] = last[1], now, 0
    logger.error("decryption failed (%d times): %s %s made with %s; check DIBAO_FIELD_KEYS / DIBAO_CRYPTO",
                 failures, kind, context.rpartition(":")[0] if kind == "field" else context,
                 f"{header.suite} key version {header.version}" if header else "the pre-keyring format")


@lru_cache(maxsize=8)
def _keyring(field_keys: tuple, index_keys: tuple, suite: str) -> Keyring:
    return Keyring(dict(field_keys), dict(index_keys), suite)


def keyring() -> Keyring:
    """The keyring of the configured keys (built once per configuration)."""
    return _keyring(tuple(sorted(settings.FIELD_KEYS.items())), tuple(sorted(settings.BLIND_INDEX_KEYS.items())),
                    settings.CRYPTO_ALGORITHM)
