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


@lru_cache(maxsize=4)
def _aead(raw: str) -> AESGCM:
    # Built once per key: a list page decrypts every member's number to mask it.
    return AESGCM(_key(raw))


def encrypt(plaintext: str) -> bytes:
    aes = _aead(settings.FIELD_ENCRYPTION_KEY)
    nonce = os.urandom(12)
    return bytes([KEY_VERSION]) + nonce + aes.encrypt(nonce, plaintext.encode(), _ASSOCIATED_DATA)


def decrypt(blob: bytes | memoryview) -> str:
    blob = bytes(blob)
    if not blob:
        return ""
    if blob[0] != KEY_VERSION:
        raise ValueError("unknown key version")
    aes = _aead(settings.FIELD_ENCRYPTION_KEY)
    return aes.decrypt(blob[1:13], blob[13:], _ASSOCIATED_DATA).decode()


def blind_index(normalized_id: str) -> str:
    return hmac.new(_key(settings.BLIND_INDEX_KEY), normalized_id.encode(), hashlib.sha256).hexdigest()
