import csv
import io
import os
import re
import zipfile
from pathlib import Path

import pytest

from audit.models import AuditEvent
from dibao import filecrypt
from households.models import Person
from households.persons import person_get_or_create
from poverty_registry.importing import writer
from poverty_registry.importing.reader import COLUMNS, ImportRefused, count_rows, inspect_file
from poverty_registry.models import RegistryHousehold, RegistryMember
from poverty_registry.removals import import_removals_confirm
from poverty_registry.services import import_start
from tests.poverty_registry.conftest import csv_bytes, ident, row
from tests.tabular_files import xlsx_bytes

pytestmark = pytest.mark.django_db


def family(code="H1", start=1, size=3, **kw):
    return [row(start + i, code=code, head=(i == 0), relationship="户主" if i == 0 else "子女", **kw)
            for i in range(size)]


def test_utf8_import_creates_households_members_and_persons(county_officer, village, other_village, run_import):
    rows = family("H1", 1, 3) + family("H2", 10, 2, village=other_village.code, status="monitored",
                                       monitoring_type="edge", income="6100.50")
    job = run_import(county_officer, csv_bytes(rows))
    assert job.status == "succeeded", job.message
    assert job.progress == 100
    assert job.counts["rows_read"] == 5 and job.counts["rows_imported"] == 5 and job.counts["rows_failed"] == 0
    assert job.counts["households_created"] == 2 and job.counts["members_created"] == 5
    h2 = RegistryHousehold.objects.get(year=2024, registry_code="H2")
    assert h2.village == other_village and h2.division_code == other_village.code
    assert h2.status == "monitored" and h2.monitoring_type == "edge" and str(h2.annual_income_per_capita) == "6100.50"
    assert h2.import_job_id == job.pk
    assert h2.members.count() == 2 and h2.members.filter(is_head=True).count() == 1
    assert Person.objects.count() == 5
    # one audit event for the whole job, with the counts and file name
    events = AuditEvent.objects.filter(action="poverty_registry.import")
    assert events.count() == 1
    assert events[0].after["file"] == "registry.csv" and events[0].after["rows_imported"] == 5


def test_members_link_to_existing_person_index(county_officer, village, run_import):
    person = person_get_or_create(id_number=ident(1), name="成员1")
    job = run_import(county_officer, csv_bytes(family("H1", 1, 2)))
    assert job.status == "succeeded"
    assert Person.objects.count() == 2
    assert RegistryMember.objects.get(person=person).registry_household.registry_code == "H1"


def test_bom_and_gbk_files(county_officer, village, run_import):
    job = run_import(county_officer, b"\xef\xbb\xbf" + csv_bytes(family("B1", 1, 2)))
    assert job.status == "succeeded" and job.counts["rows_imported"] == 2, job.message
    job = run_import(county_officer, csv_bytes(family("G1", 20, 2, name=None), encoding="gbk"))
    assert job.status == "succeeded" and job.counts["rows_imported"] == 2, job.message
    assert RegistryMember.objects.filter(registry_household__registry_code="G1", name="成员20").exists()


def test_header_in_another_order_and_extra_columns(county_officer, village, run_import):
    columns = ["note", *reversed(COLUMNS)]
    job = run_import(county_officer, csv_bytes(family("H1", 1, 2), columns=columns))
    assert job.status == "succeeded" and job.counts["rows_imported"] == 2


def test_xlsx_import_and_formula_cells_are_row_errors(county_officer, village, run_import):
    good = family("X1", 1, 2)
    data = [list(COLUMNS)] + [[r[c] for c in COLUMNS] for r in good]
    bad = [row(3, code="X2")[c] for c in COLUMNS]
    bad[COLUMNS.index("annual_income_per_capita")] = "=1000*3"
    data.append(bad)
    job = run_import(county_officer, xlsx_bytes(data), name="registry.xlsx")
    assert job.status == "succeeded", job.message
    assert job.counts["rows_imported"] == 2 and job.counts["rows_failed"] == 1
    assert job.errors == [{"row": 4, "column": "annual_income_per_capita", "reason": job.errors[0]["reason"]}]
    assert "formula" in job.errors[0]["reason"].lower() or "公式" in job.errors[0]["reason"]
    assert not RegistryHousehold.objects.filter(registry_code="X2").exists()


def test_xlsx_numeric_cells(county_officer, village, run_import):
    r = row(1)
    values = [r[c] for c in COLUMNS]
    values[0] = 2024
    values[COLUMNS.index("annual_income_per_capita")] = 3500.5
    values[COLUMNS.index("is_head")] = 1
    job = run_import(county_officer, xlsx_bytes([list(COLUMNS), values]), name="r.xlsx")
    assert job.status == "succeeded" and job.counts["rows_imported"] == 1, job.errors


@pytest.mark.parametrize("data,name,code", [
    (b"", "r.csv", "empty_file"),
    (b"\n\n", "r.csv", "empty_file"),
    ("张三,370283197001010011,1\n".encode(), "r.csv", "no_header"),
    (b"year,registry_household_code,member_name\n2024,H1,x\n", "r.csv", "missing_columns"),
    (bytes(range(256)) * 50, "r.csv", "not_text"),
    (b"PK\x03\x04garbage that is not a zip", "r.xlsx", "not_csv_or_xlsx"),
    (b"\xd0\xcf\x11\xe0 old xls", "r.xls", "not_csv_or_xlsx"),
    ("year,名字\n".encode("utf-16"), "r.csv", "not_text"),
])
def test_refused_at_once(county_officer, upload, data, name, code):
    with pytest.raises(ImportRefused) as info:
        import_start(actor=county_officer, uploaded=upload(data, name))
    assert info.value.code == code
    assert RegistryHousehold.objects.count() == 0


def test_missing_columns_are_named(county_officer, upload):
    with pytest.raises(ImportRefused) as info:
        import_start(actor=county_officer, uploaded=upload(b"year,registry_household_code,member_name\n"))
    assert "division_code" in str(info.value.message) and "id_number" in str(info.value.message)


def test_wrong_encoding_refused(county_officer, upload):
    # Shift-JIS / Latin-1 bytes that are neither valid UTF-8 nor GBK
    data = ",".join(COLUMNS).encode() + b"\n2024,H1,370283101201,\x80\xff\xfe,x\n"
    with pytest.raises(ImportRefused) as info:
        import_start(actor=county_officer, uploaded=upload(data))
    assert info.value.code == "bad_encoding"


def test_garbage_file_and_size_limit(county_officer, upload, settings):
    garbage = os.urandom(300_000)
    with pytest.raises(ImportRefused):
        import_start(actor=county_officer, uploaded=upload(garbage, "big.csv"))
    settings.REGISTRY_IMPORT_MAX_BYTES = 1000
    with pytest.raises(ImportRefused) as info:
        import_start(actor=county_officer, uploaded=upload(csv_bytes(family("H", 1, 30))))
    assert info.value.code == "too_large"
    assert list(Path(settings.VAR_DIR).glob("imports/*")) == []


def test_row_errors_are_reported_and_good_rows_kept(county_officer, village, other_county_village, run_import):
    bad_check = ident(5)[:17] + ("0" if ident(5)[17] != "0" else "1")
    rows = family("H1", 1, 2) + [
        row(5, code="H5", id_number=bad_check),
        row(6, code="H6", village=other_county_village.code),
        row(7, code="H7", village="370283101299"),
        row(8, code="H8", status="poor"),
        row(9, code="H9", status="monitored"),
        row(10, code="H10", income="abc"),
        row(11, code="H11", income="-5"),
        row(12, code="H12", year=1999),
        {**row(13, code="H13"), "is_head": "maybe"},
        row(1, code="H1", head=False),  # duplicate of the first row
        row(14, code="H1", head=False, status="lifted", lifted_year="2022"),  # disagrees with row 2
    ]
    job = run_import(county_officer, csv_bytes(rows))
    assert job.status == "succeeded"
    assert job.counts["rows_imported"] == 2 and job.counts["rows_failed"] == 11
    by_row = {e["row"]: e for e in job.errors}
    assert by_row[4]["column"] == "id_number"
    assert by_row[5]["column"] == "division_code" and ("outside" in by_row[5]["reason"] or "范围" in by_row[5]["reason"])
    assert by_row[6]["column"] == "division_code"
    assert by_row[7]["column"] == "status"
    assert by_row[8]["column"] == "monitoring_type"
    assert by_row[9]["column"] == "annual_income_per_capita"
    assert by_row[10]["column"] == "annual_income_per_capita"
    assert by_row[11]["column"] == "year"
    assert by_row[12]["column"] == "is_head"
    assert by_row[13]["column"] == "id_number" and "2" in by_row[13]["reason"]
    assert by_row[14]["column"] == "status"
    assert list(RegistryHousehold.objects.values_list("registry_code", flat=True)) == ["H1"]
    assert RegistryMember.objects.count() == 2
    # the downloadable error CSV has one line per bad row, with the values
    assert job.result_file
    stored = Path(__import__("django.conf").conf.settings.VAR_DIR) / job.result_file
    assert b"reason" not in stored.read_bytes()  # encrypted at rest
    lines = list(csv.reader(io.StringIO(filecrypt.read_bytes(stored).decode("utf-8-sig"))))
    assert lines[0][:3] == ["row", "column", "reason"]
    assert len(lines) == 12 and lines[1][0] == "4"


def test_reimport_updates_and_reports_changes(county_officer, village, run_import):
    first = family("H1", 1, 3) + family("H2", 10, 2) + family("H3", 20, 1)
    job = run_import(county_officer, csv_bytes(first))
    assert job.counts["households_created"] == 3 and job.counts["members_created"] == 6
    second = (family("H1", 1, 3)  # unchanged
              + [r | {"annual_income_per_capita": "4800"} for r in family("H2", 10, 1)]  # income changed, one left
              + [row(20, code="H3", name="改名")]  # member renamed
              + family("H4", 30, 1))  # new
    job = run_import(county_officer, csv_bytes(second))
    assert job.status == "succeeded"
    c = job.counts
    assert (c["households_created"], c["households_updated"], c["households_unchanged"]) == (1, 1, 2)
    assert (c["members_created"], c["members_updated"], c["members_unchanged"], c["members_removed"]) == (1, 1, 4, 0)
    assert c["members_to_remove"] == 1  # waits for the officer's confirmation (tests/poverty_registry/test_removals.py)
    assert RegistryHousehold.objects.count() == 4
    assert RegistryMember.objects.count() == 7
    import_removals_confirm(actor=county_officer, job_id=job.pk)
    assert RegistryMember.objects.count() == 6
    assert RegistryHousehold.objects.get(registry_code="H2").members.count() == 1
    # a third identical import changes nothing
    job = run_import(county_officer, csv_bytes(second))
    c = job.counts
    assert (c["households_created"], c["households_updated"], c["households_unchanged"]) == (0, 0, 4)
    assert (c["members_created"], c["members_updated"], c["members_removed"]) == (0, 0, 0)


def test_failed_rows_do_not_remove_members(county_officer, village, run_import):
    run_import(county_officer, csv_bytes(family("H1", 1, 3)))
    again = family("H1", 1, 3)
    again[2]["id_number"] = "123"
    job = run_import(county_officer, csv_bytes(again))
    assert job.counts["rows_failed"] == 1 and job.counts["members_removed"] == 0
    assert RegistryMember.objects.count() == 3


def test_year_parameter_must_match_rows(county_officer, village, run_import):
    job = run_import(county_officer, csv_bytes(family("H1", 1, 2) + [row(5, code="H5", year=2023)]), year=2024)
    assert job.counts["rows_failed"] == 1 and job.errors[0]["column"] == "year"


def test_import_scope_and_roles(village_staff, auditor, county_officer, other_county_officer, village, upload,
                                run_import):
    from dibao.errors import NotPermitted

    for user in (village_staff, auditor):
        with pytest.raises(NotPermitted):
            import_start(actor=user, uploaded=upload(csv_bytes(family())))
    job = run_import(other_county_officer, csv_bytes(family("H1", 1, 2)))
    assert job.counts["rows_imported"] == 0 and job.counts["rows_failed"] == 2
    assert RegistryHousehold.objects.count() == 0
    # a code registered in another county cannot be taken over by re-import
    run_import(county_officer, csv_bytes(family("H1", 1, 2)))
    job = run_import(other_county_officer, csv_bytes([row(1, code="H1", village="370285101201")]))
    assert job.counts["rows_imported"] == 0
    assert RegistryHousehold.objects.get(registry_code="H1").division_code == village.code


def test_admin_may_import_any_county(admin_user, village, other_county_village, run_import):
    job = run_import(admin_user, csv_bytes(family("H1", 1, 1) + family("H2", 5, 1, village=other_county_village.code)))
    assert job.counts["rows_imported"] == 2


def test_progress_is_reported_per_chunk(county_officer, village, run_import, monkeypatch):
    from jobs import services as job_services

    seen = []
    real = job_services.job_progress

    def spy(**kw):
        seen.append(kw)
        real(**kw)

    monkeypatch.setattr(writer, "CHUNK_SIZE", 4)
    monkeypatch.setattr("poverty_registry.services.job_progress", spy)
    rows = [row(i, code=f"H{i}") for i in range(1, 11)]
    job = run_import(county_officer, csv_bytes(rows))
    assert [s["counts"]["rows_read"] for s in seen] == [4, 8, 10]
    assert [s["progress"] for s in seen] == [40, 80, 99]
    assert job.progress == 100 and job.status == "succeeded"
    assert RegistryHousehold.objects.count() == 10


def test_household_across_chunks_counts_once(county_officer, village, run_import, monkeypatch):
    monkeypatch.setattr(writer, "CHUNK_SIZE", 2)
    job = run_import(county_officer, csv_bytes(family("H1", 1, 5)))
    assert job.counts["households_created"] == 1 and job.counts["members_created"] == 5


def test_nul_byte_refused_at_once(county_officer, village, upload):
    data = csv_bytes(family("H1", 1, 2)) + b'2024,H9,370283101201,"unterminated\x00,\n'
    with pytest.raises(ImportRefused):
        import_start(actor=county_officer, uploaded=upload(data))


def test_broken_past_the_sniffed_part_fails_cleanly_with_nothing_written(county_officer, village, run_import):
    rows = [row(i, code=f"H{i}") for i in range(1, 1200)]  # well past the 64 KB checked at upload
    data = csv_bytes(rows) + b"2024,HX,370283101201,\xff\xfe\xfa,x,y,1,3,registered,,\n"
    job = run_import(county_officer, data)
    assert job.status == "failed"
    assert "1201" in job.message
    assert RegistryHousehold.objects.count() == 0


def test_unterminated_quote_fails_cleanly(county_officer, village, run_import):
    data = csv_bytes(family("H1", 1, 2)) + b'2024,H9,370283101201,"unterminated\n'
    job = run_import(county_officer, data)
    assert job.status in ("failed", "succeeded")
    assert job.message
    assert RegistryHousehold.objects.filter(registry_code="H9").count() == 0


def test_crash_marks_job_failed(county_officer, village, run_import, monkeypatch):
    def boom(self, good):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(writer.ImportRun, "_resolve_persons", boom)
    job = run_import(county_officer, csv_bytes(family("H1", 1, 2)))
    assert job.status == "failed" and "RuntimeError" in job.message
    assert AuditEvent.objects.filter(action="poverty_registry.import").count() == 1


def test_upload_deleted_after_job_and_error_csv_masks_valid_ids(county_officer, village, run_import, settings):
    valid = ident(3)
    job = run_import(county_officer, csv_bytes([row(1), row(3, code="H3", status="poor")]))
    assert not (Path(settings.VAR_DIR) / job.params["path"]).exists()
    text = filecrypt.read_bytes(Path(settings.VAR_DIR) / job.result_file).decode("utf-8-sig")
    assert valid not in text and valid[:6] + "********" + valid[14:] in text


class WorkerKilled(BaseException):
    """A SIGKILL seen from inside: the run stops between two statements and no handler runs."""


def test_a_repeated_run_after_a_killed_attempt_reports_what_the_file_did(county_officer, village, run_import, upload,
                                                                         monkeypatch):
    from jobs.models import Job
    from jobs.services import job_start
    from poverty_registry import services

    run_import(county_officer, csv_bytes(family("H1", 1, 3)))
    data = csv_bytes(family("H1", 1, 3, income="4000") + family("H2", 10, 3) + family("H3", 20, 3))
    monkeypatch.setattr(writer, "CHUNK_SIZE", 4)  # chunks of rows 1-4, 5-8, 9

    # What an uninterrupted run of this file reports (on a copy of the data, rolled back after).
    from django.db import transaction

    class Rollback(Exception):
        pass

    reference = import_start(actor=county_officer, uploaded=upload(data))
    try:
        with transaction.atomic():
            services.import_run(job_id=reference.pk)
            expected = Job.objects.get(pk=reference.pk).counts
            raise Rollback
    except Rollback:
        pass
    assert expected["households_updated"] == 1 and expected["households_created"] == 2
    assert expected["members_unchanged"] == 3 and expected["members_created"] == 6

    # The first attempt is killed once the first chunk has committed.
    job = import_start(actor=county_officer, uploaded=upload(data))
    calls = []
    original = writer.ImportRun._validate

    def validate(self, chunk):
        calls.append(len(chunk))
        if len(calls) == 2:
            raise WorkerKilled
        return original(self, chunk)

    monkeypatch.setattr(writer.ImportRun, "_validate", validate)
    assert job_start(job_id=job.pk)
    with pytest.raises(WorkerKilled):
        services._import_run(Job.objects.get(pk=job.pk))
    job.refresh_from_db()
    first_started = job.started_at
    assert job.status == "running" and job.counts["rows_read"] == 4 and job.counts["rows_imported"] == 4
    assert RegistryHousehold.objects.get(registry_code="H2").import_job_id == job.pk  # H2's head was written

    # Redelivered: the job runs again from the first row.
    monkeypatch.setattr(writer.ImportRun, "_validate", original)
    services.import_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.message
    assert job.counts == expected
    assert job.started_at == first_started
    assert RegistryMember.objects.filter(import_job=job).count() == 9
    assert AuditEvent.objects.filter(action="poverty_registry.import", object_id=str(job.pk)).count() == 1


def test_a_task_redelivered_after_its_job_failed_does_not_rerun_it_and_deletes_the_upload(
        county_officer, village, upload, settings):
    from jobs.models import Job
    from jobs.services import job_fail, job_start
    from poverty_registry import services

    job = import_start(actor=county_officer, uploaded=upload(csv_bytes(family("H1", 1, 2))))
    path = Path(settings.VAR_DIR) / job.params["path"]
    assert job_start(job_id=job.pk) and path.exists()
    job_fail(job_id=job.pk, message="The worker stopped answering")  # what the stale sweep does
    services.import_run(job_id=job.pk)
    job = Job.objects.get(pk=job.pk)
    assert job.status == "failed" and job.message == "The worker stopped answering"
    assert not RegistryHousehold.objects.exists()
    assert not path.exists()


def with_dimension(data: bytes, ref: str) -> bytes:
    """The same workbook with its first sheet's <dimension ref=...> tag rewritten (stale or forged)."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content, replaced = re.subn(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), content)
                assert replaced == 1
            target.writestr(item, content)
    return out.getvalue()


@pytest.mark.parametrize("ref", ["A1:K3", "A1:C3", "A1"])
def test_xlsx_is_read_whole_whatever_its_dimension_tag(county_officer, village, run_import, ref, tmp_path):
    members = family("D1", 1, 4) + family("D2", 10, 3) + family("D3", 20, 3)
    data = with_dimension(xlsx_bytes([list(COLUMNS)] + [[r[c] for c in COLUMNS] for r in members]), ref)
    path = tmp_path / "forged.xlsx"
    path.write_bytes(data)
    info = inspect_file(path, "forged.xlsx")
    assert info.header == list(COLUMNS) and count_rows(path, info) == 10  # the progress total is the file's
    job = run_import(county_officer, data, name="registry.xlsx")
    assert job.status == "succeeded", job.message
    assert job.counts["rows_read"] == 10 and job.counts["rows_imported"] == 10 and job.counts["rows_failed"] == 0
    assert job.counts["households_created"] == 3 and job.counts["members_created"] == 10
    assert RegistryMember.objects.count() == 10
    # A re-import of the same file removes nobody: every member listed is read.
    again = run_import(county_officer, data, name="registry.xlsx")
    assert again.counts["rows_read"] == 10 and again.counts["members_removed"] == 0
    assert RegistryMember.objects.count() == 10


# -- the other department's file as it comes (Chinese headers and values, title rows, GB18030, synonyms) ------
CHINESE_HEADER = ["年度", "户编号", "行政区划代码", "姓名", "证件号码", "与户主关系", "是否户主", "人均纯收入", "状态",
                  "监测类型", "脱贫年度"]


def chinese_csv(rows, *, encoding="gb18030", header=CHINESE_HEADER, titles=(["2024年脱贫人口名单"], [""])):
    out = io.StringIO()
    w = csv.writer(out)
    for t in titles:
        w.writerow(t)
    w.writerow(header)
    for r in rows:
        w.writerow([r[c] for c in COLUMNS])
    return out.getvalue().encode(encoding)


def test_chinese_headers_values_under_title_rows_in_gb18030(county_officer, village, run_import):
    rows = family("C1", 1, 2, status="监测对象", monitoring_type="边缘易致贫户")
    rows[0]["member_name"] = "王𪚥"
    rows[1]["relationship"] = "配偶"
    rows[1]["is_head"] = "否"
    job = run_import(county_officer, chinese_csv(rows))
    assert job.status == "succeeded" and job.counts["rows_imported"] == 2, (job.message, job.errors)
    household = RegistryHousehold.objects.get(registry_code="C1")
    assert household.status == "monitored" and household.monitoring_type == "edge"
    assert set(household.members.values_list("name", "relationship")) == {("王𪚥", "head"), (rows[1]["member_name"],
                                                                                              "spouse")}


def test_a_synonym_added_in_the_table_is_read_and_unmatched_headers_are_named(county_officer, village, run_import):
    from tabular.models import Synonym

    header = list(CHINESE_HEADER)
    header[8] = "户状态"  # another department's word for 状态
    rows = family("S1", 1, 1, status="已脱贫", lifted_year="2020")
    with pytest.raises(ImportRefused) as info:
        run_import(county_officer, chinese_csv(rows, header=header + ["备注"]))
    assert info.value.code == "missing_columns" and "户状态" in str(info.value.message)
    assert not RegistryHousehold.objects.exists()
    Synonym.objects.create(file_kind="poverty_registry", column="status", synonym="户状态")
    Synonym.objects.create(file_kind="poverty_registry", column="status", value="lifted", synonym="稳定脱贫")
    rows[0]["status"] = "稳定脱贫"
    job = run_import(county_officer, chinese_csv(rows, header=header + ["备注"]))
    assert job.status == "succeeded" and RegistryHousehold.objects.get().status == "lifted", job.errors
    assert "备注" in job.message


def test_error_rows_found_across_rows_carry_the_files_cells_and_copy_reserved_characters(county_officer, village,
                                                                                          run_import, settings):
    """The staged path writes each row's cells into the staging table (COPY's text format) and the error report
    from there: a row refused by a check across rows (a second head, found in SQL) comes back with the cells as
    the file gave them, tab, backslash and all; the good rows keep those characters in the database."""
    odd_relationship = "子女\\备注\t甲"
    rows = [row(1, code="H1", head=True, relationship="户主"),
            row(2, code="H1", head=False, relationship=odd_relationship, name="王\\二"),
            row(3, code="H1", head=True, relationship=odd_relationship)]  # a second head: refused in SQL
    job = run_import(county_officer, csv_bytes(rows))
    assert job.status == "succeeded"
    assert job.counts["rows_imported"] == 2 and job.counts["rows_failed"] == 1
    assert [(e["row"], e["column"]) for e in job.errors] == [(4, "is_head")]
    lines = list(csv.reader(io.StringIO(
        filecrypt.read_bytes(Path(settings.VAR_DIR) / job.result_file).decode("utf-8-sig"))))
    assert len(lines) == 2
    cells = dict(zip(["row", "column", "reason", *COLUMNS], lines[1], strict=True))
    assert cells["row"] == "4" and cells["relationship"] == odd_relationship
    assert cells["registry_household_code"] == "H1" and cells["id_number"] == ident(3)[:6] + "********" + ident(3)[14:]
    member = RegistryMember.objects.get(relationship=odd_relationship)
    assert member.name == "王\\二" and not member.is_head
