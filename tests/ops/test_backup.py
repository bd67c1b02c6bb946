"""make backup / make restore: a populated database backed up, restored into a fresh database by the real
command in another process, and proved: the same row counts, every ID number decrypts, the audit chain
verifies, the dashboard totals and the files are the same. Damaged backups and the wrong key are refused."""

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from django.core.cache import cache
from django.db import connection

from audit import services as audit
from dibao.ops import backup as backups
from households.crypto import decrypt_id
from households.models import Person
from reports.dashboard import dashboard_data
from tests.reports.factories import make_case

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def populated(settings, tmp_path, village, other_village, county_officer):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "var" / "files"
    settings.BACKUP_DIR = tmp_path / "backups"
    documents = Path(settings.MEDIA_ROOT) / "documents" / "2026" / "证明.pdf"
    documents.parent.mkdir(parents=True)
    documents.write_bytes(b"%PDF-1.4 income certificate")
    export = Path(settings.VAR_DIR) / "exports" / "case_register.csv"
    export.parent.mkdir(parents=True)
    export.write_text("户主,金额\n张三,300\n", encoding="utf-8")
    cases = [make_case(village, county_officer, status="active", size=2, amount="300"),
             make_case(village, county_officer, status="active", size=3, amount="450"),
             make_case(other_village, county_officer, status="submitted")]
    for case in cases:
        audit.record(actor=county_officer, action="case.test", obj=case, division_code=case.division_code,
                     after={"status": case.status})
    return {"cases": cases, "files": {"files/documents/2026/证明.pdf": documents.read_bytes(),
                                      "exports/case_register.csv": export.read_bytes()}}


@pytest.fixture
def fresh_database():
    name = f"{connection.settings_dict['NAME']}_restored"
    admin = psycopg2.connect(host=connection.settings_dict["HOST"] or "127.0.0.1",
                             port=connection.settings_dict["PORT"] or 5432,
                             user=connection.settings_dict["USER"], password=connection.settings_dict["PASSWORD"],
                             dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    settings_dict = connection.settings_dict
    url = (f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD'] or ''}@{settings_dict['HOST'] or '127.0.0.1'}:"
           f"{settings_dict['PORT'] or 5432}/{name}")
    yield name, url
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def manage(*args, database_url, var_dir, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS"))}
    environment.update({"DJANGO_DEBUG": "1", "DATABASE_URL": database_url, "DIBAO_VAR_DIR": str(var_dir),
                        "REDIS_URL": "", "LOG_LEVEL": "ERROR", **env})
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=300)


def count(database, table):
    with psycopg2.connect(dbname=database, host=connection.settings_dict["HOST"] or "127.0.0.1",
                          port=connection.settings_dict["PORT"] or 5432, user=connection.settings_dict["USER"],
                          password=connection.settings_dict["PASSWORD"]) as db, db.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        return cursor.fetchone()[0]


def test_a_backup_restores_into_a_fresh_database_and_proves_itself(populated, fresh_database, tmp_path):
    name, url = fresh_database
    totals = dashboard_data(None)["totals"]
    assert (totals["recipient_households"], totals["recipient_persons"]) == (2, 5)  # what was planted
    persons = Person.objects.count()
    assert persons == 3

    folder = backups.backup()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert sorted(p.name for p in folder.iterdir()) == ["database.dump", "files.tar.gz", "manifest.json"]
    assert manifest["database"]["row_counts"]["households_person"] == 3
    assert manifest["database"]["row_counts"]["audit_auditevent"] == 3
    assert manifest["keys"]["field_key_versions_in_use"] == [1]
    assert "ZGliYW8" not in (folder / "manifest.json").read_text()  # a fingerprint, never the key
    assert manifest["audit_chain"]["links"] == 3 and manifest["audit_chain"]["intact"] is True
    assert manifest["dashboard_totals"]["recipient_households"] == 2

    target_var = tmp_path / "restored-var"
    done = manage("restore", str(folder), database_url=url, var_dir=target_var)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["ok"] is True and report["problems"] == []
    assert (report["ids_decrypted"], report["audit_links"]) == (3, 3)
    assert report["dashboard_totals"] == manifest["dashboard_totals"]
    assert report["dashboard_totals"]["recipient_households"] == 2
    for table, expected in (("households_person", 3), ("cases_case", 3), ("audit_auditevent", 3),
                            ("audit_auditchainlink", 3)):
        assert count(name, table) == expected, table
    for relative, content in populated["files"].items():
        assert (target_var / relative).read_bytes() == content

    # The restored site's own check agrees (a separate process, its own cache).
    verify = manage("verify_audit_chain", database_url=url, var_dir=target_var)
    assert verify.returncode == 0, verify.stderr
    assert "3 links" in verify.stdout

    # Restoring again over it is refused without --force, and replaces it with --force.
    again = manage("restore", str(folder), database_url=url, var_dir=target_var)
    assert again.returncode == 1 and "not empty" in again.stderr
    forced = manage("restore", str(folder), "--force", database_url=url, var_dir=target_var)
    assert forced.returncode == 0, forced.stderr
    assert count(name, "households_person") == 3


def test_the_wrong_key_and_a_damaged_backup_are_refused_before_anything_is_touched(populated, fresh_database,
                                                                                  tmp_path):
    name, url = fresh_database
    folder = backups.backup(tmp_path / "b1")
    other_key = "b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktMzI="
    wrong = manage("restore", str(folder), database_url=url, var_dir=tmp_path / "v1", DIBAO_FIELD_KEY=other_key)
    assert wrong.returncode == 1
    assert "DIBAO_FIELD_KEY" in wrong.stderr and "fingerprint" in wrong.stderr

    dump = folder / "database.dump"
    dump.write_bytes(dump.read_bytes()[:-10] + b"0123456789")
    damaged = manage("restore", str(folder), database_url=url, var_dir=tmp_path / "v2")
    assert damaged.returncode == 1 and "checksum" in damaged.stderr

    with psycopg2.connect(dbname=name, host=connection.settings_dict["HOST"] or "127.0.0.1",
                          port=connection.settings_dict["PORT"] or 5432, user=connection.settings_dict["USER"],
                          password=connection.settings_dict["PASSWORD"]) as db, db.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        assert cursor.fetchone()[0] == 0  # untouched
    assert not (tmp_path / "v1").exists() and not (tmp_path / "v2").exists()


def test_every_id_number_is_checked_on_restore(populated):
    """verify_restored decrypts every encrypted column: one unreadable number is a problem by name."""
    manifest = {"database": {"row_counts": backups.row_counts()}, "audit_chain": {"head_seq": None, "head_hash": ""},
                "dashboard_totals": backups.dashboard_totals()}
    assert backups.verify_restored(manifest).ok
    person = Person.objects.first()
    assert decrypt_id(person.id_encrypted, id_hash=person.id_hash)
    Person.objects.filter(pk=person.pk).update(id_encrypted=b"\x01" + b"\x00" * 40)
    report = backups.verify_restored(manifest)
    assert report.problems == [f"households.Person {person.pk}: the ID number does not decrypt"]


def test_restore_clears_only_the_dashboard_cache():
    cache.set("reports:cases:default:370283:1-1:x", {"stale": True})
    cache.set("accounts:other", 1)
    assert backups._clear_dashboard_cache() is True
    assert cache.get("reports:cases:default:370283:1-1:x") is None
    if hasattr(cache, "delete_pattern"):  # Redis: the broker and other keys share it
        assert cache.get("accounts:other") == 1
