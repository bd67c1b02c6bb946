"""Encryption at rest for resident ID numbers: AES-256-GCM plus an HMAC-SHA256 blind index.

The ciphertext (nonce + ciphertext + tag, with a key-version byte in front) is what the
database holds; the blind index is a keyed hash for exact lookups and uniqueness, useless
without the key. Keys come from the environment (DIBAO_FIELD_KEY, DIBAO_BLIND_INDEX_KEY).
"""

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

KEY_VERSION = 1
_ASSOCIATED_DATA = b"dibao:id_number"


@lru_cache(maxsize=4)
def _key(raw: str, length: int = 32) -> bytes:
    decoded = base64.b64decode(raw)
    if len(decoded) < length:
        # Stretch a short development key deterministically; production keys are 32 bytes.
        decoded = hashlib.sha256(decoded).digest()
    return decoded[:length]


class Cipher:
    """The field key and the blind-index key, each prepared once.

    `encrypt`, `decrypt` and `blind_index` below go through the cipher of the configured keys; a bulk
    writer (an import, the synthetic province) holds one with `cipher()` and calls it per row.
    """

    def __init__(self, field_key: str, index_key: str):
        self._aes = AESGCM(_key(field_key))
        self._hmac = hmac.new(_key(index_key), digestmod=hashlib.sha256)

    def encrypt(self, plaintext: str) -> bytes:
        nonce = os.urandom(12)
        return bytes([KEY_VERSION]) + nonce + self._aes.encrypt(nonce, plaintext.encode(), _ASSOCIATED_DATA)

    def decrypt(self, blob: bytes | memoryview) -> str:
        blob = bytes(blob)
        if not blob:
            return ""
        if blob[0] != KEY_VERSION:
            raise ValueError("unknown key version")
        return self._aes.decrypt(blob[1:13], blob[13:], _ASSOCIATED_DATA).decode()

    def blind_index(self, normalized_id: str) -> str:
        mac = self._hmac.copy()
        mac.update(normalized_id.encode())
        return mac.hexdigest()


@lru_cache(maxsize=4)
def _cipher(field_key: str, index_key: str) -> Cipher:
    # Built once per key pair: a list page decrypts every member's number to mask it.
    return Cipher(field_key, index_key)


def cipher() -> Cipher:
    """The cipher of the configured keys."""
    return _cipher(settings.FIELD_ENCRYPTION_KEY, settings.BLIND_INDEX_KEY)


def encrypt(plaintext: str) -> bytes:
    return cipher().encrypt(plaintext)


def decrypt(blob: bytes | memoryview) -> str:
    return cipher().decrypt(blob)


def blind_index(normalized_id: str) -> str:
    return cipher().blind_index(normalized_id)
