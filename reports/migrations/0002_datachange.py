"""reports_datachange and the triggers that fill it (PostgreSQL only; see reports/changes.py)."""

from django.db import migrations, models

XACT = "pg_current_xact_id()::text::bigint"

CREATE = f"""
CREATE OR REPLACE FUNCTION reports_cases_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO reports_datachange (division_code, changes, xact)
        SELECT division_code, COUNT(*), {XACT} FROM reports_new_rows GROUP BY division_code;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO reports_datachange (division_code, changes, xact)
        SELECT division_code, COUNT(*), {XACT}
        FROM (SELECT division_code FROM reports_old_rows
              UNION ALL SELECT division_code FROM reports_new_rows) AS touched
        GROUP BY division_code;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO reports_datachange (division_code, changes, xact)
        SELECT division_code, COUNT(*), {XACT} FROM reports_old_rows GROUP BY division_code;
    ELSE
        INSERT INTO reports_datachange (division_code, changes, xact) VALUES ('', 1, {XACT});
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION reports_household_size_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reports_datachange (division_code, changes, xact)
    SELECT c.division_code, COUNT(*), {XACT}
    FROM reports_new_rows n JOIN reports_old_rows o ON o.id = n.id JOIN cases_case c ON c.household_id = n.id
    WHERE n.size IS DISTINCT FROM o.size
    GROUP BY c.division_code;
    RETURN NULL;
END $$;

CREATE TRIGGER reports_cases_inserted AFTER INSERT ON cases_case
    REFERENCING NEW TABLE AS reports_new_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_cases_changed();
CREATE TRIGGER reports_cases_updated AFTER UPDATE ON cases_case
    REFERENCING OLD TABLE AS reports_old_rows NEW TABLE AS reports_new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_cases_changed();
CREATE TRIGGER reports_cases_deleted AFTER DELETE ON cases_case
    REFERENCING OLD TABLE AS reports_old_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_cases_changed();
CREATE TRIGGER reports_cases_truncated AFTER TRUNCATE ON cases_case
    FOR EACH STATEMENT EXECUTE FUNCTION reports_cases_changed();
CREATE TRIGGER reports_household_size_updated AFTER UPDATE ON households_household
    REFERENCING OLD TABLE AS reports_old_rows NEW TABLE AS reports_new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_household_size_changed();

INSERT INTO reports_datachange (division_code, changes, xact)
SELECT division_code, COUNT(*), {XACT} FROM cases_case GROUP BY division_code;
"""

DROP = """
DROP TRIGGER IF EXISTS reports_cases_inserted ON cases_case;
DROP TRIGGER IF EXISTS reports_cases_updated ON cases_case;
DROP TRIGGER IF EXISTS reports_cases_deleted ON cases_case;
DROP TRIGGER IF EXISTS reports_cases_truncated ON cases_case;
DROP TRIGGER IF EXISTS reports_household_size_updated ON households_household;
DROP FUNCTION IF EXISTS reports_cases_changed();
DROP FUNCTION IF EXISTS reports_household_size_changed();
"""


def _run(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0001_initial'),
        ('cases', '0004_percent_labels'),
        ('households', '0004_member_name_prefix_covering'),
    ]

    operations = [
        migrations.CreateModel(
            name='DataChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('division_code', models.CharField(db_index=True, max_length=12)),
                ('changes', models.BigIntegerField()),
                ('xact', models.BigIntegerField()),
            ],
            options={
                'default_permissions': (),
            },
        ),
        migrations.RunPython(_run(CREATE), _run(DROP)),
    ]
