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

import uuid

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


# -- phone and bank account numbers ------------------------------------------------------------------
# Sealed like the ID numbers, with associated data naming the table, the column and the row (the row's
# `crypto_row`, a random UUID given when the row is built, so bulk writers need no primary key first),
# and found by blind indexes of the digits: the whole phone number, its last four digits, the whole
# bank account. Indexed values carry a prefix so a phone number and an ID number never share a digest.
PHONE_CONTEXT = "households_household.contact_phone"
BANK_ACCOUNT_CONTEXT = "households_household.bank_account"
PHONE_SUFFIX_LENGTH = 4


def digits(value: str) -> str:
    return "".join(c for c in (value or "") if c.isdigit())


def _phone_value(phone: str) -> str:
    return f"phone:{digits(phone)}"


def _phone_last4_value(last4: str) -> str:
    return f"phone-last4:{digits(last4)[-PHONE_SUFFIX_LENGTH:]}"


def _account_value(account: str) -> str:
    return f"bank-account:{digits(account)}"


def seal(value: str, *, context: str, row, ring: keys.Keyring | None = None) -> bytes:
    """`value` encrypted for column `context` of row `row` (b"" for an empty value)."""
    if not value:
        return b""
    return (ring or keys.keyring()).encrypt(value.encode(), context=f"{context}:{row}")


def unseal(blob: bytes | memoryview | None, *, context: str, row, ring: keys.Keyring | None = None) -> str:
    """The value; raises dibao.crypto.DecryptionFailed (a 503 page) when the keys cannot open it."""
    blob = bytes(blob or b"")
    if not blob:
        return ""
    return (ring or keys.keyring()).decrypt(blob, context=f"{context}:{row}").decode()


def phone_fields(phone: str, row, ring: keys.Keyring | None = None) -> dict:
    """The stored columns of a household's contact phone (ciphertext and blind indexes)."""
    ring = ring or keys.keyring()
    phone = (phone or "").strip()
    if not phone:
        return {"phone_encrypted": b"", "phone_hash": "", "phone_last4_hash": ""}
    return {"phone_encrypted": seal(phone, context=PHONE_CONTEXT, row=row, ring=ring),
            "phone_hash": ring.blind_index(_phone_value(phone)),
            "phone_last4_hash": ring.blind_index(_phone_last4_value(phone))}


def bank_account_fields(account: str, row, ring: keys.Keyring | None = None) -> dict:
    """The stored columns of a household's bank account (ciphertext and blind index)."""
    ring = ring or keys.keyring()
    account = (account or "").strip()
    if not account:
        return {"bank_account_encrypted": b"", "bank_account_hash": ""}
    return {"bank_account_encrypted": seal(account, context=BANK_ACCOUNT_CONTEXT, row=row, ring=ring),
            "bank_account_hash": ring.blind_index(_account_value(account))}


def household_key_fields(phone: str, account: str, row, ring: keys.Keyring | None = None) -> dict:
    """Every key-dependent column of a household row (what bulk writers and rotate_keys write)."""
    ring = ring or keys.keyring()
    return {**phone_fields(phone, row, ring), **bank_account_fields(account, row, ring), "key_state": ring.state}


def household_contact_columns(phone: str, account: str, ring: keys.Keyring | None = None) -> dict:
    """For writers of household rows as plain columns (COPY, bulk SQL): the contact phone and bank account
    sealed to a fresh row identity - {crypto_row, phone_encrypted, phone_hash, phone_last4_hash,
    bank_account_encrypted, bank_account_hash, key_state}. Model instances need none of this: setting
    Household.contact_phone / bank_account seals them."""
    row = uuid.uuid4()
    return {"crypto_row": row, **household_key_fields(phone, account, row, ring)}


def phone_hashes(phone: str, ring: keys.Keyring | None = None) -> list[str]:
    """Every blind index a whole phone number may be stored under."""
    return (ring or keys.keyring()).blind_indexes(_phone_value(phone))


def phone_last4_hashes(last4: str, ring: keys.Keyring | None = None) -> list[str]:
    return (ring or keys.keyring()).blind_indexes(_phone_last4_value(last4))


def bank_account_hashes(account: str, ring: keys.Keyring | None = None) -> list[str]:
    return (ring or keys.keyring()).blind_indexes(_account_value(account))


# -- payment lines: the roll's copy of the bank account ---------------------------------------------
PAYMENT_ACCOUNT_CONTEXT = "recipients_paymentline.bank_account"
