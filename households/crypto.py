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
from collections.abc import Callable
from functools import cache
from typing import Any

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


# -- one shape for every sealed value ----------------------------------------------------------------
def _stripped(value) -> str:
    return (value or "").strip()


def _row_identity(row) -> str:
    return ":".join(str(part) for part in row)


class SealedValue(property):
    """A model attribute whose value is kept encrypted in one binary column: plaintext in, plaintext out.

    The ciphertext is `seal(text, context=context, row=<row identity>)`, the row identity being the row's
    `row_fields` joined by ":" (a household's or payment line's `crypto_row`; a staged go-live row's batch and
    row number). `indexes` names the blind-index columns written beside it, each with the prefixed value it
    indexes. On a model with a `key_state` column, that column names the keys of all its sealed values: setting
    one on a row still on older keys seals the others anew too. `to_text` turns a value into the text sealed
    ("" for nothing: the column then holds `empty`), `from_text` turns the text back.

    Writers of plain columns (COPY, bulk SQL, migrations) call `seal_columns` / `unseal` with the row identity;
    model instances set and read the attribute (decrypted once per stored ciphertext). A property, so
    Model(**kwargs) and get_or_create(defaults=...) take it like a field.
    """

    def __init__(self, context: str, *, column: str, indexes: dict[str, Callable[[str], str]] | None = None,
                 row_fields: tuple[str, ...] = ("crypto_row",), to_text: Callable[[Any], str] = _stripped,
                 from_text: Callable[[str], Any] = str, empty: bytes | None = b"", doc: str | None = None):
        super().__init__(self._get, self._set, doc=doc)
        self.context, self.column, self.indexes, self.row_fields = context, column, indexes or {}, row_fields
        self.to_text, self.from_text, self.empty = to_text, from_text, empty

    def seal_columns(self, value, *row, ring: keys.Keyring | None = None) -> dict:
        """The stored columns of `value` (ciphertext and blind indexes) for the row whose row_fields are `row`."""
        ring = ring or keys.keyring()
        text = self.to_text(value)
        if not text:
            return {self.column: self.empty, **dict.fromkeys(self.indexes, "")}
        return {self.column: seal(text, context=self.context, row=_row_identity(row), ring=ring),
                **{name: ring.blind_index(indexed(text)) for name, indexed in self.indexes.items()}}

    def unseal(self, blob: bytes | memoryview | None, *row, ring: keys.Keyring | None = None):
        """The value stored as `blob` for the row whose row_fields are `row`."""
        return self.from_text(unseal(blob, context=self.context, row=_row_identity(row), ring=ring))

    def _row(self, obj) -> list:
        return [getattr(obj, name) for name in self.row_fields]

    def _get(self, obj):
        blob = getattr(obj, self.column)
        unsealed = obj.__dict__.setdefault("_unsealed", {})
        hit = unsealed.get(self.column)
        if hit is not None and hit[0] == bytes(blob or b""):
            return hit[1]
        value = self.unseal(blob, *self._row(obj))
        unsealed[self.column] = (bytes(blob or b""), value)
        return value

    def _set(self, obj, value) -> None:
        seal_row(obj, {self: value})

    def _store(self, obj, value, ring: keys.Keyring) -> None:
        columns = self.seal_columns(value, *self._row(obj), ring=ring)
        for name, column_value in columns.items():
            setattr(obj, name, column_value)
        obj.__dict__.setdefault("_unsealed", {})[self.column] = (bytes(columns[self.column] or b""),
                                                                  self.from_text(self.to_text(value)))


@cache
def sealed_values(model: type) -> tuple[SealedValue, ...]:
    """The sealed values of a model, in the order they are defined."""
    return tuple(attribute for klass in reversed(model.__mro__) for attribute in vars(klass).values()
                 if isinstance(attribute, SealedValue))


def seal_row(obj, values: dict, ring: keys.Keyring | None = None) -> None:
    """Seal `values` ({SealedValue: value}) into `obj` with the current keys. A row with a key_state on older
    keys has its other sealed values sealed anew too, so key_state names the keys of every one of them."""
    ring = ring or keys.keyring()
    has_key_state = hasattr(type(obj), "key_state")
    if has_key_state and obj.key_state != ring.state:
        values = {**{sealed: sealed._get(obj) for sealed in sealed_values(type(obj))}, **values}
    for sealed, value in values.items():
        sealed._store(obj, value, ring)
    if has_key_state:
        obj.key_state = ring.state


def reseal(obj, ring: keys.Keyring | None = None) -> None:
    """Seal every sealed value of `obj` anew with the current keys (what rotate_keys asks of a row)."""
    seal_row(obj, {sealed: sealed._get(obj) for sealed in sealed_values(type(obj))}, ring)


# The household's contact phone and bank account (Household.contact_phone / bank_account).
CONTACT_PHONE = SealedValue(PHONE_CONTEXT, column="phone_encrypted",
                            indexes={"phone_hash": _phone_value, "phone_last4_hash": _phone_last4_value})
BANK_ACCOUNT = SealedValue(BANK_ACCOUNT_CONTEXT, column="bank_account_encrypted",
                           indexes={"bank_account_hash": _account_value},
                           doc="The full account. Show it only after a reveal (masked_bank_account otherwise).")


def household_key_fields(phone: str, account: str, row, ring: keys.Keyring | None = None) -> dict:
    """Every key-dependent column of a household row (what bulk writers and rotate_keys write)."""
    ring = ring or keys.keyring()
    return {**CONTACT_PHONE.seal_columns(phone, row, ring=ring), **BANK_ACCOUNT.seal_columns(account, row, ring=ring),
            "key_state": ring.state}


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
