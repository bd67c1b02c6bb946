"""Shared set-up for the overlap benchmarks: Django, an emptied database, the demo-like division tree."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dibao.settings")

import django  # noqa: E402

django.setup()

from datetime import date  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

TABLES = ["overlaps_overlapflag_persons", "overlaps_overlapflag_households", "overlaps_overlapflag_cases",
          "overlaps_overlapflag_registry_households", "overlaps_overlapflag", "poverty_registry_registrymember",
          "poverty_registry_registryhousehold", "cases_case", "households_member", "households_household",
          "households_person"]


def prepare(drop_unique_membership=False):
    """Migrate, empty the tables this benchmark fills, and return (villages, user, county)."""
    if connection.vendor != "postgresql":
        sys.exit("Run with DATABASE_URL=postgres://... (your own database: its tables are emptied).")
    name = settings.DATABASES["default"]["NAME"]
    if "overlap" not in name and os.environ.get("OVERLAP_BENCH_OK") != "1":
        sys.exit(f"Refusing to empty database {name!r}; use dibao_overlaps or set OVERLAP_BENCH_OK=1.")
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(TABLES) + " RESTART IDENTITY CASCADE")
        if drop_unique_membership:
            cursor.execute("DROP INDEX IF EXISTS member_one_active_household_per_person")
    from accounts.models import Division, Level, User
    from households.models import Standard

    def div(code, name, level, parent):
        return Division.objects.get_or_create(code=code, defaults={"name": name, "level": level,
                                                                   "parent": parent})[0]

    province = div("370000000000", "山东省", Level.PROVINCE, None)
    city = div("370200000000", "青岛市", Level.CITY, province)
    county = div("370283000000", "平度市", Level.COUNTY, city)
    villages = []
    for t in range(1, 5):
        town = div(f"370283{100 + t:03d}000", f"镇{t}", Level.TOWNSHIP, county)
        for v in range(1, 6):
            villages.append(div(f"{town.code[:9]}{200 + v:03d}", f"村{t}-{v}", Level.VILLAGE, town))
    user = User.objects.filter(username="bench_overlaps").first() or User.objects.create_user(
        username="bench_overlaps", password="x-bench-only-x", role="county_officer", division=county)
    Standard.objects.get_or_create(county=county, effective_from=date(2020, 1, 1),
                                   defaults={"monthly_amount": Decimal("800")})
    return villages, user, county


def restore_unique_membership():
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM households_member a USING households_member b WHERE a.is_active AND "
                       "b.is_active AND a.person_id = b.person_id AND a.id > b.id")
        cursor.execute("CREATE UNIQUE INDEX IF NOT EXISTS member_one_active_household_per_person "
                       "ON households_member (person_id) WHERE is_active")
