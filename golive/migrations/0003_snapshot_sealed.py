"""Undo snapshots of households a corrected roster file changed keep the phone and bank account as their
stored ciphertexts, not in clear (households 0009 encrypted the household columns; the snapshots written
before it held the values in clear). Each such snapshot is rewritten with the values sealed to its household's
row identity and the current keys; the clear values are removed."""

from django.db import migrations

BATCH = 500


def seal_snapshots(apps, schema_editor):
    from households import crypto

    BatchHousehold = apps.get_model("golive", "BatchHousehold")
    Household = apps.get_model("households", "Household")
    ring = crypto.keyring()
    last = 0
    while True:
        batch = list(BatchHousehold.objects.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not batch:
            return
        changed = []
        for record in batch:
            kept = (record.before or {}).get("household") or {}
            if "contact_phone" not in kept and "bank_account" not in kept:
                continue
            row = Household.objects.filter(pk=record.household_id).values_list("crypto_row", flat=True).first()
            phone, account = kept.pop("contact_phone", ""), kept.pop("bank_account", "")
            if row is not None:
                columns = crypto.household_key_fields(phone, account, row, ring)
                kept["sealed"] = {"crypto_row": str(row), **{
                    name: bytes(value).hex() if isinstance(value, bytes | memoryview) else value
                    for name, value in columns.items()}}
            changed.append(record)
        BatchHousehold.objects.bulk_update(changed, ["before"])
        last = batch[-1].pk


class Migration(migrations.Migration):

    dependencies = [
        ("golive", "0002_batch_discarded"),
        ("households", "0009_encrypted_phone_bank_account"),
    ]

    operations = [
        migrations.RunPython(seal_snapshots, migrations.RunPython.noop),
    ]
