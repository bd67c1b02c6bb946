from datetime import date
from functools import partial

import pytest

from golive.layout import COLUMNS
from households.idnumber import make_id_number
from tests import tabular_files


def ident(n: int, region: str = "370283") -> str:
    return make_id_number(region, date(1950 + n % 50, 1 + n % 12, 1 + n % 28), n % 1000)


def member(n: int, *, code="R1", village="370283101201", head=False, category="A", amount="900",
           approved="2023-05-10", name=None, relationship=None, **extra) -> dict:
    row = {"household_code": code, "village_code": village, "address": f"东关村{code}号", "phone": "13800000000",
           "member_name": name or f"成员{n}", "id_number": ident(n),
           "relationship": relationship or ("户主" if head else "子女"), "is_head": "是" if head else "否",
           "health": "健康", "disability_grade": "", "labour_capacity": "有劳动能力", "category": category,
           "monthly_amount": amount if category else "", "approved_on": approved if category else "",
           "individual_inclusion": "否", "gradual_exit_until": "", "next_review_on": "",
           "bank_name": "农商银行", "bank_account": "6228480000000000"}
    row.update(extra)
    return row


def family(code: str, start: int, size: int = 3, **kw) -> list[dict]:
    return [member(start + i, code=code, head=(i == 0), **kw) for i in range(size)]


csv_bytes = partial(tabular_files.csv_bytes, columns=COLUMNS)


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


@pytest.fixture
def upload():
    return tabular_files.uploader("roster.csv")


@pytest.fixture
def dry_run(upload, django_capture_on_commit_callbacks):
    """dry_run(actor, data, name=...) -> the batch after its dry run (eager Celery)."""
    from golive.models import RosterBatch
    from golive.services import roster_upload

    def make(actor, data: bytes, name: str = "roster.csv"):
        with django_capture_on_commit_callbacks(execute=True):
            batch = roster_upload(actor=actor, uploaded=upload(data, name))
        return RosterBatch.objects.select_related("dry_run_job").get(pk=batch.pk)

    return make


@pytest.fixture
def confirm(django_capture_on_commit_callbacks):
    from golive.models import RosterBatch
    from golive.services import roster_confirm

    def make(actor, batch):
        with django_capture_on_commit_callbacks(execute=True):
            roster_confirm(actor=actor, batch=batch, version=batch.version)
        return RosterBatch.objects.select_related("apply_job").get(pk=batch.pk)

    return make
