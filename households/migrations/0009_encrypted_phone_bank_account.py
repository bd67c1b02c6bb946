"""The contact phone and bank account encrypted at rest (households.crypto), with blind indexes for search.

The plaintext columns are read row by row in batches, sealed with the configured keys (DIBAO_CRYPTO, the
current field key) bound to each row's new random `crypto_row`, and then dropped. Reversible: going back
decrypts them into the restored plaintext columns.
"""

import uuid

from django.db import migrations, models

BATCH = 1000


def encrypt_rows(apps, schema_editor):
    from households import crypto

    Household = apps.get_model("households", "Household")
    ring = crypto.keyring()
    last = 0
    while True:
        batch = list(Household.objects.filter(pk__gt=last).order_by("pk")
                     .only("id", "contact_phone", "bank_account")[:BATCH])
        if not batch:
            return
        for household in batch:
            household.crypto_row = uuid.uuid4()
            for name, value in crypto.household_key_fields(household.contact_phone, household.bank_account,
                                                           household.crypto_row, ring).items():
                setattr(household, name, value)
        Household.objects.bulk_update(batch, ["crypto_row", "phone_encrypted", "phone_hash", "phone_last4_hash",
                                              "bank_account_encrypted", "bank_account_hash", "key_state"])
        last = batch[-1].pk


def decrypt_rows(apps, schema_editor):
    from households import crypto

    Household = apps.get_model("households", "Household")
    last = 0
    while True:
        batch = list(Household.objects.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not batch:
            return
        for h in batch:
            h.contact_phone = crypto.unseal(h.phone_encrypted, context=crypto.PHONE_CONTEXT, row=h.crypto_row)
            h.bank_account = crypto.unseal(h.bank_account_encrypted, context=crypto.BANK_ACCOUNT_CONTEXT,
                                           row=h.crypto_row)
        Household.objects.bulk_update(batch, ["contact_phone", "bank_account"])
        last = batch[-1].pk


class Migration(migrations.Migration):

    dependencies = [
        ('households', '0008_person_blocking_key'),
    ]

    operations = [
        migrations.AddField(
            model_name='household',
            name='bank_account_encrypted',
            field=models.BinaryField(blank=True, default=b'', editable=False, verbose_name='bank account (encrypted)'),
        ),
        migrations.AddField(
            model_name='household',
            name='bank_account_hash',
            field=models.CharField(blank=True, db_index=True, default='', editable=False, max_length=64,
                                   verbose_name='bank account blind index'),
        ),
        migrations.AddField(
            model_name='household',
            name='crypto_row',
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.AddField(
            model_name='household',
            name='key_state',
            field=models.CharField(blank=True, default='', editable=False, max_length=20, verbose_name='key state'),
        ),
        migrations.AddField(
            model_name='household',
            name='phone_encrypted',
            field=models.BinaryField(blank=True, default=b'', editable=False,
                                     verbose_name='contact phone (encrypted)'),
        ),
        migrations.AddField(
            model_name='household',
            name='phone_hash',
            field=models.CharField(blank=True, db_index=True, default='', editable=False, max_length=64,
                                   verbose_name='contact phone blind index'),
        ),
        migrations.AddField(
            model_name='household',
            name='phone_last4_hash',
            field=models.CharField(blank=True, db_index=True, default='', editable=False, max_length=64,
                                   verbose_name='contact phone last digits blind index'),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False),
        migrations.RemoveField(
            model_name='household',
            name='bank_account',
        ),
        migrations.RemoveField(
            model_name='household',
            name='contact_phone',
        ),
    ]
