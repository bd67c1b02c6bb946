"""Shared fixtures: a small division tree with two counties, one user per role and clients."""

import os

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import DivisionFactory, UserFactory


def pytest_configure(config):
    from django.conf import settings

    # Tasks run in-process unless a test starts a real worker; cache keys never leak between runs.
    from dibao.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    settings.CACHES["default"]["KEY_PREFIX"] = f"test{os.getpid()}"
    _own_services_per_worker(settings, app)
    _empty_tables_by_delete()
    # Long jobs too run eagerly, in the test's thread; tests of the embedded job thread turn it on.
    settings.JOBS_RUN_IN_THREAD = False
    # A fast hasher: every user fixture hashes a password (PBKDF2 costs ~0.3 s each).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _own_services_per_worker(settings, app):
    """`make test` runs the suite in parallel workers (pytest-xdist, one per core). pytest-django gives each
    worker its own test database (test_<name>_gw<N>); here each worker also gets its own Redis database (a
    test that clears the cache or the broker must not clear another worker's) and its own folder for files
    (exports and documents are named after row ids, which repeat between the workers' databases)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return
    index = int(worker[2:])
    if settings.REDIS_URL and index:
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(settings.REDIS_URL)
        base = int(parts.path.strip("/") or 0)
        # Redis has 16 databases; 6 and 7 belong to the real-worker tests (tests/overlaps/test_worker.py,
        # tests/recipients/test_celery_worker.py), which run in one worker at a time.
        free = [n for n in range(16) if n not in (base, 6, 7)]
        url = urlunsplit(parts._replace(path=f"/{free[(base + index - 1) % len(free)]}"))
        settings.REDIS_URL = settings.CELERY_BROKER_URL = url
        settings.CACHES["default"]["LOCATION"] = url
        app.conf.broker_url = url
        os.environ["REDIS_URL"] = url
    var_dir = settings.BASE_DIR / "var" / f"test-{worker}"
    var_dir.mkdir(parents=True, exist_ok=True)
    settings.VAR_DIR = var_dir
    settings.MEDIA_ROOT = var_dir / "files"
    settings.BACKUP_DIR = var_dir / "backups"
    settings.STORAGES["default"]["OPTIONS"]["location"] = str(var_dir / "files")


def _empty_tables_by_delete():
    """A transactional test ends by emptying every table (Django's flush). PostgreSQL's TRUNCATE makes new
    files for each of the ~130 tables and their indexes: 2-3 s per test, a sixth of the suite. The tables
    hold a few rows by then, which DELETE removes in milliseconds. Foreign keys and the append-only triggers
    are set aside for the flush's own transaction (session_replication_role, which needs a superuser; without
    one the flush stays TRUNCATE). Sequences are reset by TRUNCATE only when a test asks for it."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if not tables or reset_sequences or not _is_superuser(self.connection):
            return truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return ["SET LOCAL session_replication_role = replica",
                *(f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(t))}" for t in tables)]

    DatabaseOperations.sql_flush = sql_flush


def _is_superuser(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        return bool(cursor.fetchone()[0])


def pytest_collection_modifyitems(config, items):
    vendor = None
    for item in items:
        if item.get_closest_marker("postgres"):
            if vendor is None:
                from django.conf import settings

                vendor = "postgresql" if "postgres" in settings.DATABASES["default"]["ENGINE"] else "sqlite"
            if vendor != "postgresql":
                item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); running on SQLite"))


@pytest.fixture(autouse=True)
def holidays(request):
    """The migration seeds the holiday table, but a transactional test's flush empties it: re-seed."""
    if "db" in request.fixturenames or request.node.get_closest_marker("django_db"):
        from cases.models import Holiday
        from cases.working_days import seed_holidays

        if not request.node.get_closest_marker("django_db"):
            request.getfixturevalue("db")
        if not Holiday.objects.exists():
            seed_holidays()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Login-failure counters and throttle histories live in the cache: each test starts with none."""
    from django.core.cache import cache

    try:
        if hasattr(cache, "delete_pattern"):
            for pattern in ("login-failures:*", "throttle_*"):
                cache.delete_pattern(pattern)
        else:
            cache.clear()
    except Exception:  # a test that stopped the cache server: nothing to clear
        pass


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture
def province(db):
    return DivisionFactory(code="370000000000", name="山东省", level="province", parent=None)


@pytest.fixture
def city(province):
    return DivisionFactory(code="370200000000", name="青岛市", level="city", parent=province)


@pytest.fixture
def county(city):
    return DivisionFactory(code="370283000000", name="平度市", level="county", parent=city)


@pytest.fixture
def township(county):
    return DivisionFactory(code="370283101000", name="南村镇", level="township", parent=county)


@pytest.fixture
def village(township):
    return DivisionFactory(code="370283101201", name="东关村", level="village", parent=township)


@pytest.fixture
def other_village(township):
    return DivisionFactory(code="370283101202", name="西王家村", level="village", parent=township)


@pytest.fixture
def other_county(city):
    return DivisionFactory(code="370285000000", name="莱西市", level="county", parent=city)


@pytest.fixture
def other_county_village(other_county):
    township = DivisionFactory(code="370285101000", name="水集街道", level="township", parent=other_county)
    return DivisionFactory(code="370285101201", name="河头村", level="village", parent=township)


@pytest.fixture
def village_staff(village):
    return UserFactory(username="village1", role="village_staff", division=village)


@pytest.fixture
def other_village_staff(other_village):
    return UserFactory(username="village2", role="village_staff", division=other_village)


@pytest.fixture
def township_staff(township):
    return UserFactory(username="township1", role="township_staff", division=township)


@pytest.fixture
def county_officer(county):
    return UserFactory(username="county1", role="county_officer", division=county)


@pytest.fixture
def county_officer2(county):
    return UserFactory(username="county2", role="county_officer", division=county)


@pytest.fixture
def other_county_officer(other_county):
    return UserFactory(username="othercounty", role="county_officer", division=other_county)


@pytest.fixture
def auditor(city):
    return UserFactory(username="auditor", role="auditor", division=city)


@pytest.fixture
def county_auditor(county):
    return UserFactory(username="countyauditor", role="auditor", division=county)


@pytest.fixture
def admin_user(db):
    """The system administrator (role admin). Not a superuser: production has none (accounts.E001)."""
    return UserFactory(username="admin", role="admin", division=None, is_staff=True)


@pytest.fixture
def security_admin(db):
    return UserFactory(username="secadmin", role="security_admin", division=None, is_staff=True)


@pytest.fixture
def audit_admin(db):
    return UserFactory(username="auditadmin", role="audit_admin", division=None, is_staff=True)


@pytest.fixture
def api():
    """api(user) -> an APIClient authenticated as that user (or anonymous with None)."""

    def make(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def web(client):
    """web(user) -> a Django test client logged in as that user."""
    from django.test import Client

    def make(user=None):
        c = Client()
        if user is not None:
            c.force_login(user)
        return c

    return make
