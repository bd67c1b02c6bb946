"""manage.py generate_synthetic --households N --seed S: a synthetic province for benchmarks."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from demo import synthetic as builder
from households import crypto
from households.models import Household


class Command(BaseCommand):
    help = ("Create a synthetic province (divisions, users, households, members, incomes, cases in every state, "
            "a poverty roster with planted overlaps) with set-based inserts (COPY on PostgreSQL).")

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--province", default="52", help="two-digit province code to build under")

    def handle(self, *args, households: int, seed: int, province: str, **options):
        if households < 1 or households > 5_000_000:
            raise CommandError("--households must be between 1 and 5,000,000")
        if not (len(province) == 2 and province.isdigit()):
            raise CommandError("--province must be two digits")
        if Household.objects.filter(division_code__startswith=province).exists():
            raise CommandError(f"Province {province} already has households; use a fresh database or another --province.")
        started = time.monotonic()
        plan = builder.province_plan(households)
        villages = builder.build_divisions(len(plan), province)
        users = builder.ensure_users(villages) if builder.Case is not None else {}
        self.stdout.write(f"divisions: {len(villages)} villages, {len(users)} counties ({time.monotonic() - started:.1f}s)")
        if builder.Case is None:
            self.stdout.write("note: cases.models is not importable; no cases generated")
        if builder.RegistryHousehold is None:
            self.stdout.write("note: poverty_registry.models is not importable; no poverty roster generated")
        totals: dict[str, int] = {}
        cache: dict = {}
        cipher = crypto.keyring()
        for chunk in builder.iter_household_chunks(villages, plan, seed):
            for key, value in builder.insert_chunk(chunk, cache, users, cipher).items():
                totals[key] = totals.get(key, 0) + value
            elapsed = time.monotonic() - started
            self.stdout.write(f"  {totals['households']:>9,} households {totals['persons']:>10,} persons "
                              f"{totals['cases']:>8,} cases {totals['registry_households']:>7,} roster  "
                              f"{elapsed:7.1f}s ({totals['persons'] / elapsed:,.0f} persons/s)")
        recipients_started = time.monotonic()
        made = builder.build_recipients(seed, province)
        totals.update(made)
        self.stdout.write(f"recipients: {made['reviews']:,} open reviews, {made['payment_rolls']:,} finalised payment "
                          f"rolls with {made['payment_lines']:,} lines ({time.monotonic() - recipients_started:.1f}s)")
        if connection.vendor == "postgresql":
            analyze_started = time.monotonic()
            with connection.cursor() as cursor:
                # VACUUM too: it sets the visibility map, so counts can be index-only scans at once
                # (not possible inside a transaction, e.g. in tests: ANALYZE alone then).
                command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
                cursor.execute(command)
            self.stdout.write(f"{command} {time.monotonic() - analyze_started:.1f}s")
        self.stdout.write(self.style.SUCCESS(
            f"done: {totals['households']:,} households, {totals['persons']:,} persons, {totals['cases']:,} cases, "
            f"{totals['registry_households']:,} roster households in {time.monotonic() - started:.1f}s"))
