"""A payment line's bank account encrypted at rest, like the household's (households.crypto).

Existing lines are sealed in batches with the configured keys, bound to each line's new `crypto_row`;
then the plaintext column is dropped. Reversible.
"""

import uuid

from django.db import migrations, models

BATCH = 2000


def encrypt_rows(apps, schema_editor):
    from households import crypto

    PaymentLine = apps.get_model("recipients", "PaymentLine")
    ring = crypto.keyring()
    last = 0
    while True:
        batch = list(PaymentLine.objects.filter(pk__gt=last).order_by("pk").only("id", "bank_account")[:BATCH])
        if not batch:
            return
        for line in batch:
            line.crypto_row = uuid.uuid4()
            line.bank_account_encrypted = crypto.seal(line.bank_account.strip(), context=crypto.PAYMENT_ACCOUNT_CONTEXT,
                                                      row=line.crypto_row, ring=ring)
            line.key_state = ring.state
        PaymentLine.objects.bulk_update(batch, ["crypto_row", "bank_account_encrypted", "key_state"])
        last = batch[-1].pk


def decrypt_rows(apps, schema_editor):
    from households import crypto

    PaymentLine = apps.get_model("recipients", "PaymentLine")
    last = 0
    while True:
        batch = list(PaymentLine.objects.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not batch:
            return
        for line in batch:
            line.bank_account = crypto.unseal(line.bank_account_encrypted, context=crypto.PAYMENT_ACCOUNT_CONTEXT,
                                              row=line.crypto_row)
        PaymentLine.objects.bulk_update(batch, ["bank_account"])
        last = batch[-1].pk


class Migration(migrations.Migration):

    dependencies = [
        ('recipients', '0003_review_second_approval'),
    ]

    operations = [
        migrations.AddField(
            model_name='paymentline',
            name='bank_account_encrypted',
            field=models.BinaryField(blank=True, default=b'', editable=False, verbose_name='bank account (encrypted)'),
        ),
        migrations.AddField(
            model_name='paymentline',
            name='crypto_row',
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.AddField(
            model_name='paymentline',
            name='key_state',
            field=models.CharField(blank=True, default='', editable=False, max_length=20, verbose_name='key state'),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False),
        migrations.RemoveField(
            model_name='paymentline',
            name='bank_account',
        ),
    ]
