"""Second-factor recovery codes stored as keyed hashes (accounts.otp.recovery_code_hashes), not as the codes.

Every stored plaintext code (django-otp keeps 8 characters) is replaced by the first 16 hex characters of
its HMAC with the current blind-index key; stored hashes (16 characters) are left as they are. Not
reversible: the codes cannot be recovered from their hashes (the reverse is a no-op; users keep theirs).
"""

from django.db import migrations

BATCH = 1000


def hash_codes(apps, schema_editor):
    from accounts.otp import RECOVERY_HASH_LENGTH, recovery_code_hashes

    StaticToken = apps.get_model("otp_static", "StaticToken")
    last = 0
    while True:
        batch = list(StaticToken.objects.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not batch:
            return
        plain = [t for t in batch if len(t.token) != RECOVERY_HASH_LENGTH]
        for token in plain:
            token.token = recovery_code_hashes(token.token)[0]
        StaticToken.objects.bulk_update(plain, ["token"])
        last = batch[-1].pk


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_three_admins_api_tokens"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(hash_codes, migrations.RunPython.noop, elidable=False)]
