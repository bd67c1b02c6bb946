"""manage.py restore FOLDER [--force]: checks, restores, then proves the result (dibao/ops/backup.py)."""

import json
from dataclasses import asdict
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dibao.ops.backup import BackupError, restore


class Command(BaseCommand):
    help = ("Restore a backup made by `manage.py backup` into an empty database, then check row counts, ID "
            "decryption, the audit chain and the dashboard totals against its manifest.")

    def add_arguments(self, parser):
        parser.add_argument("folder")
        parser.add_argument("--force", action="store_true",
                            help="Replace what the database and the file folders already hold.")

    def handle(self, *args, folder, force=False, **options):
        try:
            report = restore(Path(folder), force=force)
        except BackupError as exc:
            raise CommandError(f"Restore refused: {exc}")
        self.stdout.write(json.dumps(asdict(report), ensure_ascii=False, default=str))
        if not report.ok:
            raise CommandError("Restored, but the checks failed: " + "; ".join(report.problems))
