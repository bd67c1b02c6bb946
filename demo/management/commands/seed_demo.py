"""Idempotent demo data: a county, its villages, one user per role, then each part's demo history."""

import unicodedata

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from demo.seed import accounts, cases, evidence, households, overlaps, poverty_registry, recipients
from jobs import outbox

# Order follows the apps' dependencies: households before their cases, the registry file before the scan.
SEEDERS = [households, cases, recipients, evidence, poverty_registry, overlaps]


class Command(BaseCommand):
    help = "Create demo data (refuses to run with DEBUG off unless --force)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="run even when DEBUG is off")
        parser.add_argument("--accounts-only", action="store_true", help="only divisions and users")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("DEBUG is off: demo data would go into a real database. Use --force if you mean it.")
        with transaction.atomic():
            accounts.seed_divisions()
            rows = accounts.seed_users()
        if not options["accounts_only"]:
            for seeder in SEEDERS:
                # The workflow queues an overlap check of the household after every step; within
                # one part's seed each distinct check is sent once, when that seed is done.
                with outbox.coalescing():
                    seeder.seed(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo logins (password for all: %s):" % accounts.DEMO_PASSWORD))
        width = max(_display_width(role) for _username, role, _code in rows) + 2
        for username, role, code in rows:
            padding = " " * (width - _display_width(role))
            self.stdout.write(f"  {username:<10} {role}{padding}{code}")


def _display_width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
