"""The probable-duplicate blocking key (birth date, sex, name pinyin) indexed; it covers (birth_date, sex)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('households', '0007_person_key_state'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='person',
            index=models.Index(fields=['birth_date', 'sex', 'name_pinyin'], name='person_blocking_key'),
        ),
        migrations.RemoveIndex(
            model_name='person',
            name='person_birth_sex',
        ),
    ]
