"""GB/T 39786 / GB/T 22239 level 3 (personal data at rest): contact phones and bank account numbers are
stored encrypted with the keyring, like the ID numbers, bound to their table, column and row, and are
found only through blind indexes (a whole phone number, its last four digits, a whole bank account).
"""

import base64

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from dibao.crypto import DecryptionFailed
from dibao.errors import InvalidInput
from households import crypto, services
from households.models import Household
from tests.households.factories import household_data, member_row

pytestmark = pytest.mark.django_db

PHONE, ACCOUNT = "13805321234", "6228480012345678"


@pytest.fixture
def household(village, village_staff):
    return services.household_create(actor=village_staff, village=village, data=household_data(
        [member_row()], contact_phone=PHONE, bank_account=ACCOUNT, bank_name="农商银行"))


def stored_row(pk: int) -> str:
    """Every column of the household row as the database holds it (bytes as hex and as text)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM households_household WHERE id = %s", [pk])
        values = cursor.fetchone()
    out = []
    for value in values:
        if isinstance(value, bytes | memoryview):
            out += [bytes(value).hex(), bytes(value).decode("latin-1")]
        else:
            out.append(str(value))
    return " ".join(out)


def test_the_table_holds_no_phone_or_account_digits(household):
    text = stored_row(household.pk)
    for secret in (PHONE, ACCOUNT, PHONE[-7:], ACCOUNT[-8:], PHONE.encode().hex(), ACCOUNT.encode().hex()):
        assert secret not in text
    fresh = Household.objects.get(pk=household.pk)
    assert (fresh.contact_phone, fresh.bank_account, fresh.masked_bank_account) == (
        PHONE, ACCOUNT, "************5678")
    assert fresh.phone_hash == crypto.phone_hashes(PHONE)[0] and len(fresh.phone_last4_hash) == 64
    assert fresh.bank_account_hash == crypto.bank_account_hashes(ACCOUNT)[0]
    assert bytes(fresh.bank_account_encrypted)[0] == 0xD2  # the keyring's format: suite and key version


def test_sm_suite_seals_them_with_sm4(settings, village, village_staff):
    settings.CRYPTO_ALGORITHM = "sm"
    household = services.household_create(actor=village_staff, village=village, data=household_data(
        [member_row()], contact_phone=PHONE, bank_account=ACCOUNT))
    fresh = Household.objects.get(pk=household.pk)
    assert bytes(fresh.phone_encrypted)[:2] == bytes([0xD2, 2]) and bytes(fresh.bank_account_encrypted)[1] == 2
    assert fresh.key_state.startswith("sm:") and fresh.bank_account == ACCOUNT


def test_a_ciphertext_moved_to_another_row_or_column_does_not_open(household, village, village_staff):
    other = services.household_create(actor=village_staff, village=village, data=household_data(
        [member_row(name="李四")], contact_phone="13900000000", bank_account="6228489999999999"))
    Household.objects.filter(pk=other.pk).update(bank_account_encrypted=household.bank_account_encrypted)
    with pytest.raises(DecryptionFailed):
        _ = Household.objects.get(pk=other.pk).bank_account
    Household.objects.filter(pk=household.pk).update(phone_encrypted=household.bank_account_encrypted)
    with pytest.raises(DecryptionFailed):
        _ = Household.objects.get(pk=household.pk).contact_phone
    # the page says so in plain words (503), never a 500
    assert Household.objects.get(pk=household.pk).bank_account == ACCOUNT


def test_bad_values_are_refused_and_nothing_is_stored(village, village_staff):
    for field, value in (("contact_phone", "call me"), ("bank_account", "12AB"), ("bank_account", "1" * 31)):
        with pytest.raises(InvalidInput) as refused:
            services.household_create(actor=village_staff, village=village, data=household_data(
                [member_row()], **{field: value}))
        assert field in refused.value.fields
    assert Household.objects.count() == 0


def test_update_reseals_and_the_audit_log_keeps_the_account_masked(household, village_staff):
    from audit.models import AuditEvent

    services.household_update(actor=village_staff, household=household, version=household.version,
                              data={"bank_account": "6228480087654321", "contact_phone": "0532-87654321"})
    fresh = Household.objects.get(pk=household.pk)
    assert (fresh.bank_account, fresh.contact_phone) == ("6228480087654321", "0532-87654321")
    assert Household.objects.filter(bank_account_hash__in=crypto.bank_account_hashes(ACCOUNT)).count() == 0
    event = AuditEvent.objects.filter(object_type="households.household", object_id=str(household.pk)).latest("id")
    assert ACCOUNT not in str(event.before) and "6228480087654321" not in str(event.after)


def test_search_by_blind_index_on_the_page_and_api(household, web, api, village_staff, other_village_staff):
    page_client, api_client = web(village_staff), api(village_staff)
    for q in (PHONE, "1234", "138-0532-1234", ACCOUNT):
        page = page_client.get(reverse("households:list"), {"q": q})
        assert page.status_code == 200 and household.address in page.content.decode(), q
        answer = api_client.get("/api/v1/households/", {"q": q})
        assert [h["id"] for h in answer.json()["results"]] == [household.pk], q
    for q in ("13805", "5678", ACCOUNT[:-1]):  # part of a number, an account's last four: not found
        assert api_client.get("/api/v1/households/", {"q": q}).json()["results"] == [], q
    # another village's staff does not find it by its number
    assert api(other_village_staff).get("/api/v1/households/", {"q": PHONE}).json()["results"] == []


KEYS = {n: base64.b64encode(bytes([n]) * 32).decode() for n in range(1, 4)}


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_encrypts_existing_plaintext_rows(settings, village):
    """Back to the schema with plaintext columns (the reverse decrypts), a row written there in clear,
    forward again: the row is sealed, indexed, and the plaintext columns are gone."""
    executor = MigrationExecutor(connection)
    executor.migrate([("households", "0008_person_blocking_key"), ("recipients", "0003_review_second_approval")])
    with connection.cursor() as cursor:
        cursor.execute("""INSERT INTO households_household (village_id, division_code, address, registration_type,
                              contact_phone, bank_name, bank_account, head_name, version, size, counted_members,
                              elderly_count, minor_count, disabled_count, seriously_ill_count, monthly_counted_income,
                              per_capita_monthly_income, is_active, has_paid_case, created_at, updated_at)
                          VALUES (%s, %s, '旧户', 'rural', %s, '', %s, '', 1, 0, 0, 0, 0, 0, 0, 0, 0, true, false,
                                  CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)""", [village.pk, village.code, PHONE, ACCOUNT])
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    household = Household.objects.get(address="旧户")
    assert (household.contact_phone, household.bank_account) == (PHONE, ACCOUNT)
    assert household.key_state == crypto.keyring().state
    assert PHONE not in stored_row(household.pk) and ACCOUNT not in stored_row(household.pk)
    columns = [c.name for c in connection.introspection.get_table_description(connection.cursor(),
                                                                             "households_household")]
    assert "contact_phone" not in columns and "bank_account" not in columns
    call_command("rotate_keys", "--check-only", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_plain_column_writers_get_sealed_values_bound_to_a_fresh_row(village):
    """What COPY writers (the go-live import, the synthetic data) write: households.crypto.household_contact_columns."""
    first, second = crypto.household_contact_columns(PHONE, ACCOUNT), crypto.household_contact_columns(PHONE, "")
    assert first["crypto_row"] != second["crypto_row"] and second["bank_account_encrypted"] == b""
    Household.objects.bulk_create([Household(village=village, division_code=village.code, address=f"{n}号", **cols)
                                   for n, cols in enumerate((first, second))])
    one, two = Household.objects.order_by("address")
    assert (one.contact_phone, one.bank_account, two.contact_phone, two.bank_account) == (PHONE, ACCOUNT, PHONE, "")
    assert set(Household.objects.filter(phone_hash__in=crypto.phone_hashes(PHONE)).values_list("pk", flat=True)) \
        == {one.pk, two.pk}


def test_rows_with_nothing_sealed_are_not_waiting_for_rotation(household, village, settings):
    from households import rotation

    empty = Household.objects.create(village=village, division_code=village.code, address="空户")
    assert empty.key_state == "" and rotation.stale_rows(Household, crypto.keyring()).count() == 0
    settings.FIELD_KEYS = {**settings.FIELD_KEYS, 9: KEYS[3]}  # a new key version: the sealed row is stale
    assert list(rotation.stale_rows(Household, crypto.keyring()).values_list("pk", flat=True)) == [household.pk]
