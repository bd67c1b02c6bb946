"""Dry runs never confirmed leave nothing behind: superseded by a newer one, discarded, or expired."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from audit.models import AuditEvent
from golive.models import BatchStatus, RosterBatch, StagedRow
from golive.services import roster_confirm, roster_dry_runs_expire
from households.models import Household
from tests.golive.conftest import csv_bytes, family, member
from tests.households.factories import make_policy, make_standard

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("policies")]


@pytest.fixture
def policies(county):
    make_standard(county)
    make_policy(county)


def with_errors():
    """Two good households and a row outside the county (an error row: the dry run writes an error list)."""
    return csv_bytes(family("D1", 1) + family("D2", 10) + [member(30, code="D3", village="370283101999", head=True)])


@time_machine.travel(date(2026, 3, 15), tick=False)
def test_a_newer_dry_run_supersedes_the_unconfirmed_one(county_officer, village, dry_run, confirm, var_dir):
    old = dry_run(county_officer, with_errors())
    assert StagedRow.objects.filter(batch=old).count() == 7 and old.error_file
    error_file = Path(var_dir) / old.error_file
    assert error_file.exists()
    new = dry_run(county_officer, csv_bytes(family("D1", 1)))
    old.refresh_from_db()
    assert old.status == BatchStatus.DISCARDED and old.error_file == "" and not error_file.exists()
    assert not StagedRow.objects.filter(batch=old).exists() and StagedRow.objects.filter(batch=new).count() == 3
    event = AuditEvent.objects.get(action="golive.superseded", object_id=str(old.pk))
    assert event.after["by"] == new.pk and event.before["status"] == BatchStatus.CHECKED
    # The superseded batch can no longer be confirmed (409); the newer one can.
    with pytest.raises(Exception) as refused:
        roster_confirm(actor=county_officer, batch=old, version=old.version)
    assert getattr(refused.value, "status_code", None) == 409
    confirm(county_officer, new)
    assert Household.objects.count() == 1


@time_machine.travel(date(2026, 3, 15), tick=False)
def test_a_failed_dry_run_keeps_no_staged_rows(county_officer, village, dry_run, settings, monkeypatch):
    from golive import staging

    def summary_fails(self):
        assert StagedRow.objects.exists()  # rows were staged before the failure
        raise RuntimeError("boom")

    monkeypatch.setattr(staging.DryRun, "_summary", summary_fails)
    batch = dry_run(county_officer, csv_bytes(family("F1", 1)))
    assert batch.status == BatchStatus.REFUSED and not StagedRow.objects.exists()


@time_machine.travel(date(2026, 3, 15), tick=False)
@pytest.mark.parametrize("via", ["page", "api"])
def test_discard_by_page_and_api(via, web, api, county_officer, auditor, other_county_officer, village, dry_run,
                                 confirm):
    batch = dry_run(county_officer, with_errors())
    client = web(county_officer) if via == "page" else api(county_officer)
    url = f"/golive/{batch.pk}/discard/" if via == "page" else f"/api/v1/roster-imports/{batch.pk}/discard/"

    def post(who, data):
        if via == "page":
            return web(who).post(url, data)
        return api(who).post(url, data, format="json")

    assert post(auditor, {"version": batch.version}).status_code == 403
    assert post(other_county_officer, {"version": batch.version}).status_code == 404
    assert post(county_officer, {}).status_code == 400
    assert post(county_officer, {"version": batch.version + 1}).status_code == 409
    assert StagedRow.objects.filter(batch=batch).count() == 7  # refused: nothing deleted
    response = client.post(url, {"version": batch.version}, **({} if via == "page" else {"format": "json"}))
    assert response.status_code == (302 if via == "page" else 200)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DISCARDED and batch.error_file == ""
    assert not StagedRow.objects.filter(batch=batch).exists()
    assert AuditEvent.objects.filter(action="golive.discarded", object_id=str(batch.pk), actor=county_officer).exists()
    # The wrong state: a discarded batch, or an imported one, cannot be discarded (409).
    assert post(county_officer, {"version": batch.version}).status_code == 409
    applied = confirm(county_officer, dry_run(county_officer, csv_bytes(family("D9", 40))))
    other_url = url.replace(str(batch.pk), str(applied.pk))
    response = (web(county_officer).post(other_url, {"version": applied.version}) if via == "page"
                else api(county_officer).post(other_url, {"version": applied.version}, format="json"))
    assert response.status_code == 409 and RosterBatch.objects.get(pk=applied.pk).status == BatchStatus.APPLIED


def test_the_sweep_discards_dry_runs_left_unconfirmed(county_officer, village, dry_run, settings, var_dir):
    settings.ROSTER_DRY_RUN_EXPIRY_DAYS = 3
    with time_machine.travel(date(2026, 3, 1), tick=False):
        old = dry_run(county_officer, with_errors())
    with time_machine.travel(date(2026, 3, 3), tick=False):
        # A batch of two days ago, left unconfirmed (made directly: a dry run would supersede the older one).
        recent = RosterBatch.objects.create(county_code=old.county_code, filename="recent.csv",
                                            created_by=county_officer, status=BatchStatus.CHECKED)
        StagedRow.objects.create(batch=recent, row=2, household_code="X")
    with time_machine.travel(datetime(2026, 3, 4, 12, tzinfo=UTC), tick=False):
        assert roster_dry_runs_expire() == 1
        assert roster_dry_runs_expire() == 0  # idempotent
        assert roster_dry_runs_expire(now=timezone.now() + timedelta(days=5)) == 1
    old.refresh_from_db()
    assert old.status == BatchStatus.DISCARDED and not (Path(var_dir) / f"imports/roster-errors-{old.pk}.csv").exists()
    assert not StagedRow.objects.exists()
    event = AuditEvent.objects.get(action="golive.dry_run_expired", object_id=str(old.pk))
    assert event.actor is None and event.after["days"] == 3
