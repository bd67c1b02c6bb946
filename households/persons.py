"""The shared person index: find or create the Person for a resident ID number.

Every app that records a person by ID number (household members, poverty-registry members)
goes through here so one real person is one row, joined on the blind index.
"""

from django.db import IntegrityError, transaction
from pypinyin import lazy_pinyin

from households import crypto
from households.idnumber import normalize, parse_id_number
from households.models import Person


def name_to_pinyin(name: str) -> str:
    return "".join(lazy_pinyin(name or "")).lower()


def id_hash_for(id_number: str) -> str:
    """The blind index a new row gets (current key); look rows up with `id_hashes_for`."""
    return crypto.blind_index(normalize(id_number))


def id_hashes_for(id_number: str) -> list[str]:
    """Every blind index the number may be stored under: during a key rotation some rows still carry
    the previous key's, and a lookup that missed them would let one person become two rows."""
    return crypto.blind_indexes(normalize(id_number))


def person_find(id_number: str) -> Person | None:
    return Person.objects.filter(id_hash__in=id_hashes_for(id_number)).first()


def person_get_or_create(*, id_number: str, name: str) -> Person:
    """Validate the number (ValidationError says what is wrong) and return its Person.

    The name is the latest one recorded; a differing name does not create a second person.
    """
    info = parse_id_number(id_number)
    digests = crypto.blind_indexes(info.number)
    person = Person.objects.filter(id_hash__in=digests).first()
    if person:
        if name and person.name != name:
            suffix = crypto.suffix_hash(info.number, name)
            Person.objects.filter(pk=person.pk).update(name=name, name_pinyin=name_to_pinyin(name),
                                                       id_suffix_hash=suffix)
            person.name, person.name_pinyin, person.id_suffix_hash = name, name_to_pinyin(name), suffix
        return person
    try:
        with transaction.atomic():
            return Person.objects.create(
                **crypto.person_key_fields(info.number, name), name=name,
                name_pinyin=name_to_pinyin(name), birth_date=info.birth_date, sex=info.sex,
                region_code=info.region,
            )
    except IntegrityError:
        # Another transaction created the same person a moment ago.
        return Person.objects.get(id_hash__in=digests)
