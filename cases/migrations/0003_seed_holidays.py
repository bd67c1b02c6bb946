"""Seed the holiday table from the chinesecalendar package (2004 to the last year it knows).

Admins edit the table afterwards (e.g. when the State Council publishes next year's schedule);
`manage.py seed_holidays` re-runs the same seeding without touching rows already present.
"""

from django.db import migrations


def seed(apps, schema_editor):
    from cases.working_days import seed_holidays

    seed_holidays(apps.get_model("cases", "Holiday"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_workflow")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
