"""Demo: the county's thresholds and a full scan of the demo county (idempotent: re-running reconciles)."""

from datetime import date
from decimal import Decimal

from accounts.models import Division
from overlaps.models import OverlapPolicy
from overlaps.services import overlaps_scan

COUNTY_CODE = "370283000000"


def seed(stdout):
    county = Division.objects.filter(code=COUNTY_CODE).first()
    if county is None:
        stdout.write("overlaps: no demo county; skipped")
        return
    OverlapPolicy.objects.get_or_create(county=county, effective_from=date(2020, 1, 1), defaults={
        "income_disagreement_ratio": Decimal("0.50"), "ineligible_multiple": Decimal("1.00"),
        "edge_upper_multiple": Decimal("1.50")})
    results = overlaps_scan(prefix=county.prefix)
    found = {code: counts["found"] for code, counts in results.items() if counts["found"]}
    stdout.write(f"overlaps: scanned {county.name}: {found or 'no findings'}")
