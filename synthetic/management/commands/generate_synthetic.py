"""manage.py generate_synthetic --households N --seed S: a synthetic province for benchmarks."""

import time

from django.core.management.base import BaseCommand, CommandError

from households.models import Household
from synthetic import builder


class Command(BaseCommand):
    help = "Create a synthetic province (divisions, households, members, incomes) with set-based inserts."

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--province", default="52", help="two-digit province code to build under")

    def handle(self, *args, households: int, seed: int, province: str, **options):
        if households < 1 or households > 5_000_000:
            raise CommandError("--households must be between 1 and 5,000,000")
        if Household.objects.filter(division_code__startswith=province).exists():
            raise CommandError(f"Province {province} already has households; use a fresh database or another --province.")
        started = time.monotonic()
        plan = builder.province_plan(households)
        villages = builder.build_divisions(len(plan), province)
        self.stdout.write(f"divisions: {len(villages)} villages ({time.monotonic() - started:.1f}s)")
        total_h = total_p = 0
        cache: dict = {}
        for chunk in builder.iter_household_chunks(villages, plan, seed):
            h, p = builder.insert_chunk(chunk, cache)
            total_h += h
            total_p += p
            elapsed = time.monotonic() - started
            self.stdout.write(f"  {total_h:>9,} households {total_p:>10,} persons  {elapsed:7.1f}s "
                              f"({total_p / elapsed:,.0f} persons/s)")
        self.stdout.write(self.style.SUCCESS(
            f"done: {total_h:,} households, {total_p:,} persons in {time.monotonic() - started:.1f}s"))
