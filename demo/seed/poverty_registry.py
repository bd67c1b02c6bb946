"""Demo poverty-registry file for the demo county (平度市), imported through the real import service.

Built from the demo dibao households when there are any, overlapping them in each way DOMAIN.md
("What the shared registry compares") lists, plus registry-only households:
- dibao recipients paid in full whose registry household is marked lifted out of poverty with an
  income above the standard (STATUS_CONFLICT);
- accepted applications (under investigation and later, not yet decided) whose household the registry
  marks lifted out of poverty with an income several times the standard and the declared one
  (APPLICATION_ROSTER_CONFLICT: the home visits verify it);
- dibao recipients the registry records as registered poor with an income far above the standard
  and far from dibao's figure (INELIGIBLE_RECIPIENT);
- dibao households without a case that the registry monitors as edge households, or registers as
  poor below the standard (PROTECTION_GAP);
- consistent registrations of dibao households, every fifth with one member's ID number mistyped
  (two digits swapped): the registry's record of that person is a probable duplicate (PROBABLE_DUPLICATE);
- registry-only: registered poor households with low income and no dibao case, monitored edge and
  sudden-hardship households, and ordinary registered households.
Idempotent: the same database gives the same file, and re-importing it changes nothing.
"""

from datetime import date
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from accounts.models import Division, Level, User
from cases.models import ACCEPTED_PENDING_STATES, OPEN_STATES, PAID_STATES, Case, CaseStatus
from dibao.spreadsheets import CsvRows, spreadsheet_writer
from households.idnumber import check_char, make_id_number
from households.models import Household, Standard
from jobs.models import Job
from jobs.services import job_create
from poverty_registry.importing.reader import COLUMNS
from poverty_registry.models import RegistryHousehold
from poverty_registry.services import IMPORT_KIND, import_run

COUNTY_CODE = "370283000000"
DEMO_IMPORTER = "county1"
RELATIONSHIP_LABELS = {"head": "户主", "spouse": "配偶", "child": "子女", "parent": "父母", "grandchild": "孙子女",
                       "grandparent": "祖父母", "sibling": "兄弟姐妹", "child_in_law": "儿媳/女婿", "other": "其他"}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
LIFTED = 2  # recipients the registry marks lifted out of poverty
INELIGIBLE = 2  # recipients the registry records with a much higher income
APPLICATIONS = 2  # accepted applications the registry contradicts (lifted, income far above the standard)
TYPO_EVERY = 5  # every fifth dibao registration has one ID number mistyped
GIVEN = ["建华", "秀兰", "国强", "桂英", "志明", "玉梅", "海涛", "春燕", "德福", "淑珍", "文斌", "小红"]


def _standard_monthly(county) -> Decimal:
    standard = Standard.objects.filter(county=county, effective_from__lte=timezone.localdate()).order_by(
        "-effective_from").first()
    return standard.monthly_amount if standard else Decimal("800")


def _dibao_rows(year: int, standard: Decimal) -> list[list]:
    """Registry rows for dibao households, planted so that each comparison of the shared registry
    has something to find (see the module docstring) and most registrations agree with dibao."""
    paid = dict(Case.objects.filter(division_code__startswith=COUNTY_CODE[:6], status__in=PAID_STATES)
                .values_list("household_id", "status"))
    recipients = list(Household.objects.filter(pk__in=paid, is_active=True).prefetch_related("members__person")
                      .order_by("id"))
    households = list(Household.objects.filter(division_code__startswith=COUNTY_CODE[:6], is_active=True)
                      .prefetch_related("members__person").order_by("id")[:60])
    any_case = set(Case.objects.filter(household__in=households, status__in=OPEN_STATES)
                   .values_list("household_id", flat=True))
    no_case = [h for h in households if h.pk not in any_case]  # no open or paid case
    annual = standard * 12
    plan = []
    # Lifted out of poverty with an income just above the standard while dibao still pays in full on
    # a recorded income below it (STATUS_CONFLICT). Recorded incomes of at least 0.6 x the standard
    # keep the two figures within the disagreement ratio, so these are not INELIGIBLE_RECIPIENT too.
    active = [h for h in recipients if paid[h.pk] == CaseStatus.ACTIVE]
    lifted = [h for h in active if standard * Decimal("0.6") <= h.per_capita_monthly_income < standard][:LIFTED]
    lifted += [h for h in active if h not in lifted][:LIFTED - len(lifted)]
    for h in lifted:
        plan.append((h, "lifted", "", year - 3, (annual * Decimal("1.1")).quantize(Decimal("1")), False))
    # Applicants the registry lists as lifted out with about five times the standard (an annual
    # per-capita income like 60,000 yuan against a few hundred a month declared).
    accepted = Case.objects.filter(division_code__startswith=COUNTY_CODE[:6], status__in=ACCEPTED_PENDING_STATES,
                                   household__is_active=True, household__per_capita_monthly_income__lt=standard)
    applicants = list(Household.objects.filter(pk__in=accepted.values("household_id")).prefetch_related(
        "members__person").order_by("id")[:APPLICATIONS])
    for h in applicants:
        plan.append((h, "lifted", "", year - 2, (annual * 5).quantize(Decimal("1")), False))
    rest = [h for h in recipients if h not in lifted]
    for i, h in enumerate(rest):
        if i < INELIGIBLE:
            # Registered poor, but the registry's income is several times what dibao counted
            # (INELIGIBLE_RECIPIENT: above the standard, and the figures disagree).
            counted = h.per_capita_monthly_income * 12
            plan.append((h, "registered", "", None, (counted * 3 + 9000).quantize(Decimal("1")), False))
        elif i % 2 == 0:
            # Monitored as unstable, with the same income as dibao: consistent, nothing to find.
            plan.append((h, "monitored", "unstable", year - 4,
                         (h.per_capita_monthly_income * 12).quantize(Decimal("1")), True))
    for i, h in enumerate(no_case[:8]):
        if i % 2 == 0:
            plan.append((h, "monitored", "edge", None, (annual * Decimal("1.25")).quantize(Decimal("1")), True))
        else:
            plan.append((h, "registered", "", None, (annual * Decimal("0.6")).quantize(Decimal("1")), True))
    rows = []
    candidates = 0
    for h, status, mtype, lifted_year, income, may_mistype in plan:
        members = [m for m in h.members.all() if m.is_active]
        if not members:
            continue
        code = f"FP{h.division_code[6:]}D{h.pk:05d}"
        candidates += may_mistype
        for k, m in enumerate(members):
            number = m.person.id_number
            if k == 0 and may_mistype and candidates % TYPO_EVERY == 0:
                # The other department typed this member's ID number with a slip (PROBABLE_DUPLICATE).
                number = mistyped(number)
            rows.append([year, code, h.division_code, m.name, number,
                         RELATIONSHIP_LABELS.get(m.relationship, m.relationship), int(m.relationship == "head"),
                         income, status, mtype, lifted_year or ""])
    return rows


def mistyped(number: str) -> str:
    """The ID number with the first two sequence digits swapped, or the first one changed when they are
    equal, and a correct check character: a typing slip that still passes validation. The birth date
    and sex (the third sequence digit) are unchanged."""
    digits = list(number[:17])
    if digits[14] != digits[15]:
        digits[14], digits[15] = digits[15], digits[14]
    else:
        digits[14] = str((int(digits[14]) + 1) % 10)
    return "".join(digits) + check_char("".join(digits))


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


@spreadsheet_writer("demo.poverty_registry_file")
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
        writer = CsvRows(fh)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return path


def seed(stdout) -> None:
    importer = User.objects.filter(username=DEMO_IMPORTER).first()
    if importer is not None and importer.division and RegistryHousehold.objects.filter(
            division_code__startswith=importer.division.prefix).exists():
        stdout.write("poverty registry: demo roster already imported")
        return
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
