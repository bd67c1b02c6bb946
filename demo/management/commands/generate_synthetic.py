"""manage.py generate_synthetic --households N --seed S: a synthetic province for benchmarks."""

import multiprocessing
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections

from demo import synthetic as builder
from households import crypto
from households.models import Household, Person

# From this size on an empty database, the secondary indexes and foreign keys are dropped for the load and
# built / validated again after it (a COPY into indexed tables updates every index row by row and queues a check
# per foreign key; one sort per index and one join per key at the end are cheaper).
DEFER_INDEXES_FROM = 100_000
_PINYIN: dict = {}  # a worker process's names already converted (a few hundred thousand distinct names)


def _build_counties(job) -> dict[str, int]:
    """One worker's share: whole counties (a forked process opens its own database connection)."""
    groups, seed, users = job
    cipher = crypto.keyring()
    _session_settings()
    totals: dict[str, int] = {}
    for ordinal, villages, plan in groups:
        for chunk in builder.iter_county_chunks(villages, plan, builder.county_seed(seed, ordinal)):
            for key, value in builder.insert_chunk(chunk, _PINYIN, users, cipher).items():
                totals[key] = totals.get(key, 0) + value
    return totals


def _session_settings() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Each chunk's commit need not wait for its WAL flush: a crash loses the last chunks of a
            # benchmark province, which is rebuilt from scratch anyway.
            cursor.execute("SET synchronous_commit = off")


class Command(BaseCommand):
    help = ("Create a synthetic province (divisions, users, households, members, incomes, cases in every state, "
            "a poverty roster with planted overlaps) with set-based inserts (COPY on PostgreSQL).")

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--province", default="52", help="two-digit province code to build under")
        parser.add_argument("--workers", type=int, default=1,
                            help="processes building counties in parallel (PostgreSQL, outside a transaction)")
        parser.add_argument("--defer-indexes", choices=("auto", "yes", "no"), default="auto",
                            help=f"drop the loaded tables' secondary indexes and foreign keys during the load "
                                 "and build / validate them after "
                                 f"(auto: from {DEFER_INDEXES_FROM:,} households into an empty database)")

    def handle(self, *args, households: int, seed: int, province: str, workers: int, defer_indexes: str,
               **options):
        if households < 1 or households > 5_000_000:
            raise CommandError("--households must be between 1 and 5,000,000")
        if not (len(province) == 2 and province.isdigit()):
            raise CommandError("--province must be two digits")
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        if Household.objects.filter(division_code__startswith=province).exists():
            raise CommandError(f"Province {province} already has households; use a fresh database or another --province.")
        postgres = connection.vendor == "postgresql"
        if workers > 1 and (not postgres or connection.in_atomic_block):
            raise CommandError("--workers needs PostgreSQL and no open transaction")
        started = time.monotonic()
        plan = builder.province_plan(households)
        villages = builder.build_divisions(len(plan), province)
        users = builder.ensure_users(villages) if builder.Case is not None else {}
        self.stdout.write(f"divisions: {len(villages)} villages, {len(users)} counties ({time.monotonic() - started:.1f}s)")
        defer = postgres and (defer_indexes == "yes" or (
            defer_indexes == "auto" and households >= DEFER_INDEXES_FROM and not Person.objects.exists()))
        indexes = builder.secondary_indexes() if defer else []
        keys = builder.foreign_keys() if defer else []
        if defer:
            builder.drop_foreign_keys(keys)
            builder.drop_indexes(indexes)
            self.stdout.write(f"dropped {len(indexes)} secondary indexes and {len(keys)} foreign keys for the load")
        try:
            totals = self._load(builder.county_groups(villages, plan), seed, users, workers, started)
        finally:
            if defer:
                index_started = time.monotonic()
                builder.create_indexes(indexes, log=self.stdout.write)
                builder.add_foreign_keys(keys, log=self.stdout.write)
                self.stdout.write(f"indexes built and foreign keys validated again: "
                                  f"{time.monotonic() - index_started:.1f}s")
        _session_settings()
        recipients_started = time.monotonic()
        made = builder.build_recipients(seed, province)
        totals.update(made)
        self.stdout.write(f"recipients: {made['reviews']:,} open reviews, {made['payment_rolls']:,} finalised payment "
                          f"rolls with {made['payment_lines']:,} lines ({time.monotonic() - recipients_started:.1f}s)")
        if postgres:
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

    def _load(self, groups, seed: int, users: dict, workers: int, started: float) -> dict[str, int]:
        totals = {"households": 0, "persons": 0, "cases": 0, "registry_households": 0}

        def report(made: dict[str, int]) -> None:
            for key, value in made.items():
                totals[key] = totals.get(key, 0) + value
            elapsed = time.monotonic() - started
            self.stdout.write(f"  {totals['households']:>9,} households {totals['persons']:>10,} persons "
                              f"{totals['cases']:>8,} cases {totals['registry_households']:>7,} roster  "
                              f"{elapsed:7.1f}s ({totals['persons'] / elapsed:,.0f} persons/s)")

        if workers == 1:
            _session_settings()
            cipher = crypto.keyring()
            cache: dict = {}
            for ordinal, county_villages, counts in groups:
                for chunk in builder.iter_county_chunks(county_villages, counts, builder.county_seed(seed, ordinal)):
                    report(builder.insert_chunk(chunk, cache, users, cipher))
            return totals
        # Whole counties per task (a county's ID-number sequences stay in one process); forked children
        # must not share the parent's connection.
        connections.close_all()
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for made in pool.imap_unordered(_build_counties, [([group], seed, users) for group in groups]):
                report(made)
        return totals
