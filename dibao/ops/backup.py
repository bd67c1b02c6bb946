"""Backups that restore: `make backup` / `make restore` (manage.py backup / restore).

A backup is one folder:
- `database.dump`: pg_dump's custom format (compressed; pg_restore can restore it table by table);
- `files.tar.gz`: the uploaded documents (MEDIA_ROOT) and the generated exports (VAR_DIR/exports);
- `manifest.json`: when, the database's migrations, every table's row count, each file's SHA-256 and
  size, the key versions the encrypted ID numbers need with the configured keys' fingerprints (never
  the keys), the audit chain's head and the dashboard's totals.

Restore checks every checksum and that the configured keys are the ones the backup needs before it
touches anything, restores into an empty database (or, with --force, over an existing one), unpacks
the files, clears the dashboard cache (the restored figures would otherwise be hidden behind cached
ones under the same versions), and then proves the result: the same row counts, every ID number
decrypts, the audit chain verifies and the dashboard totals are the backup's.
"""

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder

from audit import chain
from audit.models import AuditChainLink
from dibao.cache import cache_delete_pattern
from dibao.crypto import HEADER_BYTES, read_header
from households import crypto
from households.models import Person
from reports.dashboard import dashboard_data

FORMAT = 1
DUMP, FILES, MANIFEST = "database.dump", "files.tar.gz", "manifest.json"
DASHBOARD_CACHE_PATTERN = "reports:*"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


# -- helpers ----------------------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fingerprint_bytes(key: bytes) -> str:
    # Enough to tell two keys apart, nothing that helps to guess one (keys are 32 random bytes).
    return hashlib.sha256(b"dibao-key-fingerprint:" + key).hexdigest()[:16]


def _postgres() -> tuple[list[str], dict]:
    """libpq connection arguments and environment of the default database."""
    if connection.vendor != "postgresql":
        raise BackupError("make backup and make restore need PostgreSQL (DATABASE_URL); for the embedded SQLite "
                          "demo, stop the server and copy var/db.sqlite3 and var/files.")
    db = settings.DATABASES["default"]
    args = [f"--dbname={db['NAME']}"]
    if db.get("HOST"):
        args.append(f"--host={db['HOST']}")
    if db.get("PORT"):
        args.append(f"--port={db['PORT']}")
    if db.get("USER"):
        args.append(f"--username={db['USER']}")
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return path


def _run(command: list[str], env: dict) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()[-2000:]}")


def file_roots() -> dict[str, Path]:
    """The folders a backup keeps, by the name they have inside files.tar.gz."""
    return {"files": Path(settings.MEDIA_ROOT), "exports": Path(settings.VAR_DIR) / "exports"}


def encrypted_columns() -> list[tuple[models.Model, str]]:
    """Every encrypted column (a BinaryField whose name says so), for the key versions in use."""
    return [(model, f.name) for model in apps.get_models() for f in model._meta.concrete_fields
            if isinstance(f, models.BinaryField) and "encrypt" in f.name]


def key_versions_in_use() -> list[int]:
    """The field-key versions the stored ciphertexts were made with (their headers, dibao.crypto)."""
    versions = set()
    with connection.cursor() as cursor:
        for model, column in encrypted_columns():
            table, name = model._meta.db_table, model._meta.get_field(column).column
            cursor.execute(f'SELECT DISTINCT substring("{name}" from 1 for {HEADER_BYTES}) FROM "{table}" '
                           f'WHERE length("{name}") > 0')
            for (prefix,) in cursor.fetchall():
                header = read_header(bytes(prefix))
                versions.add(header.version if header is not None else 1)  # pre-keyring ciphertexts: version 1
    return sorted(versions)


def configured_keys() -> dict:
    """The configured key versions with a fingerprint each (never the keys themselves)."""
    ring = crypto.keyring()
    return {"suite": ring.suite,
            "field_keys": {str(v): _fingerprint_bytes(k) for v, k in sorted(ring.field_keys.items())},
            "blind_index_keys": {str(v): _fingerprint_bytes(k) for v, k in sorted(ring.index_keys.items())}}


def row_counts() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    return counts


def dashboard_totals() -> dict:
    """The dashboard's totals over every division, as text (what the restored site must show)."""
    totals = dashboard_data(None)["totals"]
    return json.loads(json.dumps(totals, cls=DjangoJSONEncoder))


def applied_migrations() -> dict[str, str]:
    latest = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        latest[app] = max(latest.get(app, ""), name)
    return dict(sorted(latest.items()))


# -- backup -----------------------------------------------------------------------------------------

def backup(destination: Path | None = None) -> Path:
    """Write a backup folder under BACKUP_DIR (or `destination`) and return it."""
    args, env = _postgres()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = Path(destination) if destination else Path(settings.BACKUP_DIR) / f"dibao-{stamp}"
    folder.mkdir(parents=True, exist_ok=False)
    # Every committed event joins the chain first, so the restored chain is complete.
    chain.seal_pending(everything=True)
    # The dump and every figure of the manifest come from one snapshot: a site in use while the backup
    # runs still gets a manifest that describes exactly what the dump holds.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
              f"--file={folder / DUMP}", *args], env)
        report = chain.verify_chain()
        database = {"vendor": connection.vendor, "server_version": connection.pg_version,
                    "migrations": applied_migrations(), "row_counts": row_counts()}
        versions = key_versions_in_use()
        totals = dashboard_totals()
    with tarfile.open(folder / FILES, "w:gz") as archive:
        for name, root in file_roots().items():
            if root.is_dir():
                archive.add(root, arcname=name)
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "database": database,
        "files": {name: {"sha256": _sha256(folder / name), "bytes": (folder / name).stat().st_size}
                  for name in (DUMP, FILES)},
        "keys": {**configured_keys(), "field_key_versions_in_use": versions},
        "audit_chain": {"intact": report.ok, "links": report.links_checked, "head_seq": report.head_seq,
                        "head_hash": report.head_hash},
        "dashboard_totals": totals,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    return folder


# -- restore ----------------------------------------------------------------------------------------

@dataclass
class RestoreReport:
    ok: bool = True
    problems: list[str] = field(default_factory=list)
    tables: int = 0
    rows: int = 0
    ids_decrypted: int = 0
    audit_links: int = 0
    dashboard_totals: dict = field(default_factory=dict)

    def problem(self, text: str) -> None:
        self.ok = False
        self.problems.append(text)


def read_manifest(folder: Path) -> dict:
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{folder / MANIFEST} cannot be read: {exc}")
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def check_backup(folder: Path, manifest: dict) -> None:
    """Refuse a backup whose files are not the ones its manifest describes, or whose keys are not configured."""
    for name, expected in manifest["files"].items():
        path = Path(folder) / name
        if not path.is_file():
            raise BackupError(f"{name} is missing from the backup.")
        if _sha256(path) != expected["sha256"]:
            raise BackupError(f"{name} does not match its checksum in the manifest: the backup is damaged.")
    keys, have = manifest["keys"], configured_keys()
    for version in keys["field_key_versions_in_use"]:
        wanted = keys["field_keys"].get(str(version))
        if wanted is not None and have["field_keys"].get(str(version)) != wanted:
            raise BackupError(
                f"the backup's ID numbers need field key version {version} with fingerprint {wanted}; the "
                f"configured keys have {have['field_keys'].get(str(version), 'no such version')}. Configure the "
                "keys the backup was made with (DIBAO_FIELD_KEYS).")
    for version, wanted in keys["blind_index_keys"].items():
        if have["blind_index_keys"].get(version) not in (None, wanted):
            raise BackupError(
                f"the backup's lookups need blind-index key version {version} with fingerprint {wanted}; the "
                f"configured one has {have['blind_index_keys'][version]}.")
    current = max(keys["blind_index_keys"], key=int, default=None)
    if current is not None and current not in have["blind_index_keys"]:
        raise BackupError(f"the backup's lookups need blind-index key version {current} with fingerprint "
                          f"{keys['blind_index_keys'][current]}; it is not configured (DIBAO_BLIND_INDEX_KEYS).")


def _database_is_empty() -> bool:
    return not connection.introspection.table_names()


def _clear_dashboard_cache() -> bool:
    # Only the dashboard's keys on Redis (dibao/cache.py), never the whole Redis: the broker shares it.
    return cache_delete_pattern(DASHBOARD_CACHE_PATTERN)


def restore(folder: Path, *, force: bool = False) -> RestoreReport:
    folder = Path(folder)
    manifest = read_manifest(folder)
    check_backup(folder, manifest)
    args, env = _postgres()
    if not force and not _database_is_empty():
        raise BackupError("the target database is not empty: restore into a new database, or pass --force to "
                          "replace what it holds.")
    roots = file_roots()
    if not force and any(root.is_dir() and any(root.iterdir()) for root in roots.values()):
        raise BackupError(f"{', '.join(str(r) for r in roots.values())} already hold files: pass --force to replace.")
    command = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", *args]
    if force:
        command[1:1] = ["--clean", "--if-exists"]
    connection.close()
    _run([*command, str(folder / DUMP)], env)
    with tarfile.open(folder / FILES, "r:gz") as archive:
        for name, root in roots.items():
            members = [m for m in archive.getmembers() if m.name == name or m.name.startswith(name + "/")]
            if force and root.is_dir():
                shutil.rmtree(root)
            root.parent.mkdir(parents=True, exist_ok=True)
            archive.extractall(root.parent, members=_renamed(members, name, root.name), filter="data")
    cleared = _clear_dashboard_cache()
    report = verify_restored(manifest)
    if not cleared:
        report.problem(f"the cache did not answer: delete its {DASHBOARD_CACHE_PATTERN} keys once it is back, or the "
                       f"dashboard may show figures from before the restore")
    return report


def _renamed(members, name: str, target: str):
    # The archive says files/ and exports/; the configured folders may be named otherwise.
    for member in members:
        member.name = target + member.name[len(name):]
        yield member


def verify_restored(manifest: dict) -> RestoreReport:
    report = RestoreReport()
    counts = row_counts()
    report.tables, report.rows = len(counts), sum(counts.values())
    for table, expected in manifest["database"]["row_counts"].items():
        if counts.get(table) != expected:
            report.problem(f"{table}: {counts.get(table)} rows, the backup had {expected}")
    ring = crypto.keyring()
    for pk, id_hash, blob in Person.objects.values_list("pk", "id_hash", "id_encrypted").iterator(chunk_size=2000):
        if not blob:
            continue
        try:
            crypto.decrypt_id(blob, id_hash=id_hash, ring=ring)
        except Exception:  # any failure to decrypt is what this check is for
            report.problem(f"{Person._meta.label} {pk}: the ID number does not decrypt")
            continue
        report.ids_decrypted += 1
    # Events the snapshot caught between the backup's sealing and its dump are chained now.
    chain.seal_pending(everything=True)
    chain_report = chain.verify_chain()
    report.audit_links = chain_report.links_checked
    head = manifest["audit_chain"]
    if not chain_report.ok:
        report.problem(f"audit chain broken at link {chain_report.broken_seq}: {chain_report.reason}")
    elif head["head_seq"] and not AuditChainLink.objects.filter(seq=head["head_seq"], hash=head["head_hash"]).exists():
        report.problem(f"the audit chain's link {head['head_seq']} is not the backup's")
    report.dashboard_totals = dashboard_totals()
    if report.dashboard_totals != manifest["dashboard_totals"]:
        report.problem(f"dashboard totals {report.dashboard_totals} differ from the backup's "
                       f"{manifest['dashboard_totals']}")
    return report
