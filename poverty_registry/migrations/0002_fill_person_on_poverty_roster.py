from django.db import migrations
from django.db.models import Exists, OuterRef


def fill(apps, schema_editor):
    Person = apps.get_model("households", "Person")
    RegistryMember = apps.get_model("poverty_registry", "RegistryMember")
    Person.objects.update(on_poverty_roster=Exists(RegistryMember.objects.filter(person=OuterRef("pk"))))


class Migration(migrations.Migration):

    dependencies = [
        ("poverty_registry", "0001_initial"),
        ("households", "0006_person_on_poverty_roster"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
