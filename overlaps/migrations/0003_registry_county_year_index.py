"""The shared registry's lookup of the latest roster year per county (overlaps.rules.base.latest_year_sql).

An expression index on the registry household table, (substr(division_code, 1, 6), year): MAX(year) of one
county is one backward index step, so the rules no longer aggregate the whole roster to find it. It lives
here, with the rules that read it; the expression is the rules' own `substr(...)` (the planner matches
the index by that expression), written in SQL that PostgreSQL and SQLite both accept.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('overlaps', '0002_application_roster_conflict'),
        ('poverty_registry', '0002_fill_person_on_poverty_roster'),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS registry_county_year "
            "ON poverty_registry_registryhousehold (substr(division_code, 1, 6), year)",
            "DROP INDEX IF EXISTS registry_county_year",
        ),
    ]
