"""Resident ID numbers at rest: encrypted with the keyring (dibao.crypto), found by blind indexes.

- `id_encrypted`: the number sealed with the current suite and field key; its associated data names
  the table, the column and the row (the row's blind index, unique per person), so two persons'
  ciphertexts swapped in the database do not decrypt.
- `id_hash`: keyed hash of the whole number, for exact lookups and "one person, one row".
- `id_suffix_hash`: keyed hash of the last six characters together with the name, so a clerk can find
  "张三 + 12345X" without the digits ever being stored or searched in clear.
- `key_state`: the suite and key versions the row was written with; `rotate_keys` rewrites the rows
  whose state is not the current one.
"""

from dibao import crypto as keys
from households.idnumber import normalize

ID_CONTEXT = "households_person.id_encrypted"
SUFFIX_LENGTH = 6


def keyring() -> keys.Keyring:
    return keys.keyring()


def blind_index(normalized_id: str, ring: keys.Keyring | None = None) -> str:
    """The current blind index of a (normalized) ID number."""
    return (ring or keys.keyring()).blind_index(normalized_id)


def blind_indexes(normalized_id: str, ring: keys.Keyring | None = None) -> list[str]:
    """Every blind index the number may be stored under (the current one first)."""
    return (ring or keys.keyring()).blind_indexes(normalized_id)


def _suffix_value(suffix: str, name: str) -> str:
    return f"id-suffix:{normalize(suffix)[-SUFFIX_LENGTH:]}\x1f{(name or '').strip()}"


def suffix_hash(id_number: str, name: str, ring: keys.Keyring | None = None) -> str:
    """The blind index of (last six characters, name)."""
    return (ring or keys.keyring()).blind_index(_suffix_value(id_number, name))


def suffix_hashes(suffix: str, name: str, ring: keys.Keyring | None = None) -> list[str]:
    return (ring or keys.keyring()).blind_indexes(_suffix_value(suffix, name))


def encrypt_id(number: str, *, id_hash: str, ring: keys.Keyring | None = None) -> bytes:
    return (ring or keys.keyring()).encrypt(number.encode(), context=f"{ID_CONTEXT}:{id_hash}")


def decrypt_id(blob: bytes | memoryview | None, *, id_hash: str, ring: keys.Keyring | None = None) -> str:
    """The number; raises dibao.crypto.DecryptionFailed (a 503 page) when the keys cannot open it."""
    blob = bytes(blob or b"")
    if not blob:
        return ""
    return (ring or keys.keyring()).decrypt(blob, context=f"{ID_CONTEXT}:{id_hash}").decode()


def person_key_fields(number: str, name: str, ring: keys.Keyring | None = None) -> dict:
    """The key-dependent columns of a new Person row for a normalized `number`."""
    ring = ring or keys.keyring()
    digest = ring.blind_index(number)
    return {"id_hash": digest, "id_encrypted": encrypt_id(number, id_hash=digest, ring=ring),
            "id_suffix_hash": suffix_hash(number, name, ring), "key_state": ring.state}
