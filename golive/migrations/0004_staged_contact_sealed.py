"""Staged go-live rows keep their phone and bank account sealed (one ciphertext bound to batch and row), not
in clear while the batch waits for its confirmation. Rows staged before are sealed, then the clear columns go."""

import json

from django.db import migrations, models

BATCH = 2000


def seal_staged(apps, schema_editor):
    from households import crypto

    StagedRow = apps.get_model("golive", "StagedRow")
    ring = crypto.keyring()
    last = 0
    while True:
        rows = list(StagedRow.objects.filter(pk__gt=last).order_by("pk")
                    .only("id", "batch_id", "row", "phone", "bank_account")[:BATCH])
        if not rows:
            return
        for r in rows:
            if r.phone or r.bank_account:
                r.contact_encrypted = crypto.seal(json.dumps([r.phone, r.bank_account]),
                                                  context="golive_stagedrow.contact", row=f"{r.batch_id}:{r.row}",
                                                  ring=ring)
        StagedRow.objects.bulk_update(rows, ["contact_encrypted"])
        last = rows[-1].pk


class Migration(migrations.Migration):

    dependencies = [
        ('golive', '0003_snapshot_sealed'),
    ]

    operations = [
        migrations.AddField(
            model_name='stagedrow',
            name='contact_encrypted',
            field=models.BinaryField(null=True),
        ),
        migrations.RunPython(seal_staged, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='stagedrow',
            name='bank_account',
        ),
        migrations.RemoveField(
            model_name='stagedrow',
            name='phone',
        ),
    ]
