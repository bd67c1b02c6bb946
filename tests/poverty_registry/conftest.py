from datetime import date
from functools import partial

import pytest

from households.idnumber import make_id_number
from poverty_registry.importing.reader import COLUMNS
from tests import tabular_files


def ident(n: int, region: str = "370283") -> str:
    return make_id_number(region, date(1970 + n % 40, 1 + n % 12, 1 + n % 28), n % 1000)


def row(n: int = 1, *, code: str = "H1", village: str = "370283101201", year: int = 2024, head: bool = True,
        status: str = "registered", monitoring_type: str = "", lifted_year: str = "", income: str = "3500",
        name: str | None = None, id_number: str | None = None, relationship: str = "户主") -> dict:
    return {"year": str(year), "registry_household_code": code, "division_code": village,
            "member_name": name or f"成员{n}", "id_number": id_number or ident(n), "relationship": relationship,
            "is_head": "1" if head else "0", "annual_income_per_capita": income, "status": status,
            "monitoring_type": monitoring_type, "lifted_year": lifted_year}


csv_bytes = partial(tabular_files.csv_bytes, columns=COLUMNS)


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


@pytest.fixture
def upload():
    return tabular_files.uploader("registry.csv")


@pytest.fixture
def run_import(upload, django_capture_on_commit_callbacks):
    """run_import(actor, data, name=..., year=...) -> the finished Job (eager Celery)."""
    from jobs.models import Job
    from poverty_registry.services import import_start

    def make(actor, data: bytes, name: str = "registry.csv", year=None):
        with django_capture_on_commit_callbacks(execute=True):
            job = import_start(actor=actor, uploaded=upload(data, name), year=year)
        return Job.objects.get(pk=job.pk)

    return make
