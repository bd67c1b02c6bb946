"""Fixtures of the demo's tests. The demo's history is laid out back from today, so every test here
runs on a pinned day (test_history.py seeds the whole demo on several more); the demo writes files
(the registry file, documents) under VAR_DIR."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.evidence.conftest import make_case, make_household
from tests.overlaps import builders


# A Wednesday in June 2026: no holiday near, mid-month.
PINNED_NOW = datetime(2026, 6, 17, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def pinned_clock():
    with time_machine.travel(PINNED_NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def private_var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    return settings.VAR_DIR


@pytest.fixture
def std(county):
    return builders.standard(county)


@pytest.fixture
def household(village, village_staff):
    return make_household(village, user=village_staff)


@pytest.fixture
def case(household, village_staff):
    return make_case(household, entered_by=village_staff)
