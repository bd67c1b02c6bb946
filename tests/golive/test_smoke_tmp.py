import pytest

from cases.models import Case
from tests.golive.conftest import csv_bytes, family, member

pytestmark = pytest.mark.django_db

def test_smoke(county_officer, village, other_village, dry_run, confirm):
    rows = family("R1", 1) + family("R2", 10, 2, village=other_village.code, category="") + [member(20, code="R3", village="370283101999", head=True)]
    batch = dry_run(county_officer, csv_bytes(rows))
    print(batch.dry_run_job.message, batch.summary, batch.dry_run_job.errors)
    assert batch.status == "checked"
    batch = confirm(county_officer, batch)
    print(batch.apply_job.message, batch.apply_job.status)
    assert batch.status == "applied"
    print(list(Case.objects.values("status", "origin", "category", "first_payment_month")))
    again = dry_run(county_officer, csv_bytes(rows))
    print(again.dry_run_job.message)
