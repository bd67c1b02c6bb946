"""manage.py backup [--to FOLDER]: database dump, documents and exports, manifest (dibao/ops/backup.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dibao.ops.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database (pg_dump custom format), the documents and exports, with a checksummed manifest."

    def add_arguments(self, parser):
        parser.add_argument("--to", dest="destination", help="Folder to create (default: BACKUP_DIR/dibao-<time>).")

    def handle(self, *args, destination=None, **options):
        try:
            folder = backup(Path(destination) if destination else None)
        except BackupError as exc:
            raise CommandError(f"Backup failed: {exc}")
        self.stdout.write(str(folder))
