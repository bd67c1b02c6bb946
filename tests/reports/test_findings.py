import pytest
from django.utils import timezone

from overlaps.models import OverlapFlag
from reports.dashboard import dashboard_data
from tests.reports.test_reports import run

pytestmark = pytest.mark.django_db


@pytest.fixture
def flags(village, other_village, other_county_village):
    def flag(division, rule, status="open", n=[0]):  # noqa: B006 - a counter for unique subjects
        n[0] += 1
        return OverlapFlag.objects.create(rule=rule, severity="high", subject_key=f"s{n[0]}", data_fingerprint="x",
                                          division_code=division.code, division=division, status=status,
                                          last_seen_at=timezone.now())

    return [
        flag(village, "DOUBLE_DIBAO"),
        flag(village, "DOUBLE_DIBAO"),
        flag(village, "STAFF_RELATIVE"),
        flag(other_village, "PROTECTION_GAP"),
        flag(other_village, "PROTECTION_GAP", status="explained"),  # resolved: not open
        flag(other_county_village, "DOUBLE_DIBAO"),  # another county
    ]


def test_dashboard_open_findings_by_rule(flags, county, township, village, other_village):
    findings = dashboard_data(county)["findings"]
    assert {r["rule"]: r["count"] for r in findings["by_rule"]} == {"DOUBLE_DIBAO": 2, "STAFF_RELATIVE": 1,
                                                                    "PROTECTION_GAP": 1}
    assert findings["total"] == 4
    rows = {r["code"]: r for r in dashboard_data(township)["rows"]}
    assert rows[village.code]["open_findings"] == 3 and rows[other_village.code]["open_findings"] == 1


def test_findings_report(flags, county_auditor, other_county_officer, village):
    assert len(run("findings", county_auditor)) == 5
    assert len(run("findings", county_auditor, status="open")) == 4
    assert len(run("findings", county_auditor, division=village.code)) == 3
    assert [r["division_code"] for r in run("findings", other_county_officer)] == ["370285101201"]
