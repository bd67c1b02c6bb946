"""Demo poverty-registry file for the demo county (平度市), imported through the real import service.

Built from the demo dibao households when there are any, overlapping them in each way DOMAIN.md
("What the shared registry compares") lists, plus registry-only households:
- dibao recipients whose registry household is marked lifted out of poverty;
- dibao recipients whose two income figures disagree widely;
- dibao households without a case that the registry monitors as edge households;
- consistent registrations of dibao households;
- registry-only: registered poor households with low income and no dibao case, monitored edge and
  sudden-hardship households, and ordinary registered households.
Idempotent: the same database gives the same file, and re-importing it changes nothing.
"""

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from accounts.models import Division, Level, User
from households.idnumber import make_id_number
from poverty_registry.importing.reader import COLUMNS

COUNTY_CODE = "370283000000"
DEMO_IMPORTER = "county1"
RELATIONSHIP_LABELS = {"head": "户主", "spouse": "配偶", "child": "子女", "parent": "父母", "grandchild": "孙子女",
                       "grandparent": "祖父母", "sibling": "兄弟姐妹", "child_in_law": "儿媳/女婿", "other": "其他"}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["建华", "秀兰", "国强", "桂英", "志明", "玉梅", "海涛", "春燕", "德福", "淑珍", "文斌", "小红"]


def _standard_monthly(county) -> Decimal:
    from households.models import Standard

    standard = Standard.objects.filter(county=county, effective_from__lte=timezone.localdate()).order_by(
        "-effective_from").first()
    return standard.monthly_amount if standard else Decimal("800")


def _dibao_rows(year: int, standard: Decimal) -> list[list]:
    from cases.models import OPEN_STATES, PAID_STATES, Case
    from households.models import Household

    households = list(Household.objects.filter(division_code__startswith=COUNTY_CODE[:6], is_active=True)
                      .prefetch_related("members__person").order_by("id")[:60])
    paid = set(Case.objects.filter(household__in=households, status__in=PAID_STATES)
               .values_list("household_id", flat=True))
    any_case = set(Case.objects.filter(household__in=households, status__in=OPEN_STATES).values_list("household_id", flat=True))
    rows = []
    recipients = [h for h in households if h.pk in paid]
    no_case = [h for h in households if h.pk not in any_case]  # no open or paid case
    plan = []
    for i, h in enumerate(recipients):
        if i % 4 == 0:
            plan.append((h, "lifted", "", year - 3, (standard * 12 * Decimal("1.8")).quantize(Decimal("1"))))
        elif i % 4 == 1:
            # The registry's income is several times what dibao counted.
            counted = h.per_capita_monthly_income * 12
            plan.append((h, "registered", "", None, (counted * 3 + 9000).quantize(Decimal("1"))))
        elif i % 4 == 2:
            plan.append((h, "monitored", "unstable", year - 4, (h.per_capita_monthly_income * 12).quantize(Decimal("1"))))
    for i, h in enumerate(no_case[:8]):
        if i % 2 == 0:
            plan.append((h, "monitored", "edge", None, (standard * 12 * Decimal("1.25")).quantize(Decimal("1"))))
        else:
            plan.append((h, "registered", "", None, (standard * 12 * Decimal("0.6")).quantize(Decimal("1"))))
    for h, status, mtype, lifted, income in plan:
        members = [m for m in h.members.all() if m.is_active]
        if not members:
            continue
        code = f"FP{h.division_code[6:]}D{h.pk:05d}"
        for m in members:
            rows.append([year, code, h.division_code, m.name, m.person.id_number,
                         RELATIONSHIP_LABELS.get(m.relationship, m.relationship), int(m.relationship == "head"),
                         income, status, mtype, lifted or ""])
    return rows


def _registry_only_rows(year: int, standard: Decimal, villages: list[str]) -> list[list]:
    annual = standard * 12
    kinds = [("registered", "", None, annual * Decimal("0.45")),  # poor, below the dibao standard, no case
             ("registered", "", None, annual * Decimal("0.7")),
             ("monitored", "edge", None, annual * Decimal("1.3")),
             ("monitored", "sudden", None, annual * Decimal("0.8")),
             ("lifted", "", year - 4, annual * Decimal("2.2")),
             ("registered", "", None, annual * Decimal("1.6"))]
    rows = []
    for n in range(18):
        status, mtype, lifted, income = kinds[n % len(kinds)]
        village = villages[n % len(villages)]
        code = f"FP{village[6:]}R{n + 1:03d}"
        surname = SURNAMES[n % len(SURNAMES)]
        size = 1 + n % 4
        for k in range(size):
            birth = date(1948 + (n * 3 + k * 17) % 60, 1 + (n + k) % 12, 1 + (n * 7 + k) % 28)
            rows.append([year, code, village, surname + GIVEN[(n + k * 5) % len(GIVEN)],
                         make_id_number("370283", birth, 901 + (n * 4 + k) % 99), "户主" if k == 0 else "家庭成员",
                         int(k == 0), income.quantize(Decimal("1")), status, mtype, lifted or ""])
    return rows


def build_file(year: int | None = None) -> Path | None:
    county = Division.objects.filter(code=COUNTY_CODE).first()
    if county is None:
        return None
    year = year or timezone.localdate().year
    villages = list(Division.objects.filter(level=Level.VILLAGE, code__startswith=county.prefix)
                    .order_by("code").values_list("code", flat=True))
    if not villages:
        return None
    standard = _standard_monthly(county)
    rows = _dibao_rows(year, standard) + _registry_only_rows(year, standard, villages)
    path = Path(settings.VAR_DIR) / "demo" / f"poverty-registry-{year}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return path


def seed(stdout) -> None:
    from jobs.models import Job
    from jobs.services import job_create
    from poverty_registry.services import IMPORT_KIND, import_run

    importer = User.objects.filter(username=DEMO_IMPORTER).first()
    path = build_file()
    if importer is None or path is None:
        stdout.write("poverty registry: no demo county or importer; skipped")
        return
    job = job_create(actor=importer, kind=IMPORT_KIND, division_code=importer.division.code if importer.division else "",
                     params={"path": str(path.relative_to(settings.VAR_DIR)), "filename": path.name, "year": None})
    import_run(job_id=job.pk)  # synchronously, through the same service as an upload
    job = Job.objects.get(pk=job.pk)
    c = job.counts
    stdout.write(f"poverty registry: {path.name} {job.status}: {c.get('rows_imported', 0)} rows imported, "
                 f"{c.get('rows_failed', 0)} failed; households created {c.get('households_created', 0)}, "
                 f"updated {c.get('households_updated', 0)}, unchanged {c.get('households_unchanged', 0)}")
