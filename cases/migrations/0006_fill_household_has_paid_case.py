from django.db import migrations
from django.db.models import Exists, OuterRef

PAID_STATES = ("active", "gradual_exit")


def fill(apps, schema_editor):
    Household = apps.get_model("households", "Household")
    Case = apps.get_model("cases", "Case")
    Household.objects.update(has_paid_case=Exists(
        Case.objects.filter(household=OuterRef("pk"), status__in=PAID_STATES)))


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0005_case_status_division"),
        ("households", "0005_household_has_paid_case"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
