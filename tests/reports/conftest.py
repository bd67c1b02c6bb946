from datetime import date, timedelta

import pytest
from django.utils import timezone

from tests.reports.factories import make_case


def _register_replica_alias():
    """A "replica" connection alias mirroring the test database (TEST MIRROR), registered before the
    test databases are set up. It is only in `connections`, not in settings.DATABASES, so
    `reporting_db()` keeps answering "default" except in tests that use the `replica` fixture."""
    from django.db import connections

    if "replica" not in connections.settings:
        # connections.settings is settings.DATABASES itself: give the handler its own dict.
        default = connections.settings["default"]
        mirror = {**default, "TEST": {**default.get("TEST", {}), "MIRROR": "default"}}
        connections.__dict__["settings"] = {**connections.settings, "replica": mirror}


_register_replica_alias()


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def worked_example(village, other_village, other_county_village, county_officer, today):
    """A small area whose figures are counted by hand in the tests.

    village (东关村, population set to 1000):
      A active, size 4, accepted 20 days ago, decided 10 days ago (10 days), 800 yuan
      B active, size 2, accepted 40 days ago, decided 10 days ago (30 days), 400 yuan, staff relative
      C rejected, accepted 25 days ago, decided 5 days ago (20 days)
      D submitted, deadline yesterday (overdue)
      E under investigation, deadline in 10 days
    other_village (西王家村, population 500):
      F gradual exit, size 1, accepted 60 days ago, decided 20 days ago (40 days), 300 yuan
      G draft (not pending, not counted)
    other county village: H active, size 5 (never visible to the county auditor)
    """
    village.population = 1000
    village.save()
    other_village.population = 500
    other_village.save()
    d = lambda n: today - timedelta(days=n)  # noqa: E731
    cases = {
        "A": make_case(village, county_officer, status="active", size=4, submitted=d(25), accepted=d(20),
                       decided=d(10), amount="800.00", head="甲"),
        "B": make_case(village, county_officer, status="active", size=2, submitted=d(45), accepted=d(40),
                       decided=d(10), amount="400.00", staff_relative=True, head="乙"),
        "C": make_case(village, county_officer, status="rejected", submitted=d(30), accepted=d(25), decided=d(5),
                       head="丙"),
        "D": make_case(village, county_officer, status="submitted", submitted=d(3), deadline=d(1), head="丁"),
        "E": make_case(village, county_officer, status="under_investigation", submitted=d(4), accepted=d(3),
                       deadline=today + timedelta(days=10), head="戊"),
        "F": make_case(other_village, county_officer, status="gradual_exit", size=1, submitted=d(65), accepted=d(60),
                       decided=d(20), amount="300.00", head="己"),
        "G": make_case(other_village, county_officer, status="draft", head="庚"),
        "H": make_case(other_county_village, county_officer, status="active", size=5, submitted=d(30),
                       accepted=d(28), decided=d(15), amount="999.00", head="辛"),
    }
    return cases


def first_of_month(day: date) -> date:
    return day.replace(day=1)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The users made by the shared fixtures need no strong hash here; keeps these tests quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache():
    """Payment figures are cached by finalised rolls; start every test from an empty cache."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
