"""The go-live roster import: dry run, confirm, re-run, corrected file, undo, bad files, round trip."""

import io
import os
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
import time_machine

from audit.models import AuditEvent
from cases.models import Case, CaseStatus
from golive.exports import roster_xlsx
from golive.layout import COLUMNS
from golive.models import BatchStatus, MigratedHousehold, RosterBatch, StagedRow
from golive.services import roster_undo
from households.models import Household, Member, Person
from recipients.models import CaseExit, Review
from recipients.services import payment_roll_generate
from tabular.reading import ImportRefused
from tabular.synonyms import chinese_header
from tests.golive.conftest import csv_bytes, family, ident, member
from tests.households.factories import make_policy, make_standard
from tests.recipients.factories import make_household
from tests.tabular_files import xlsx_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("policies")]
CHINESE = [chinese_header("roster", c) for c in COLUMNS]


def _version(batch) -> int:
    return RosterBatch.objects.get(pk=batch.pk).version


@pytest.fixture
def policies(county):
    make_standard(county)
    make_policy(county)


def nothing_written():
    return Household.objects.count() == 0 and Case.objects.count() == 0 and Person.objects.count() == 0


@time_machine.travel(date(2026, 3, 15), tick=False)
def test_dry_run_writes_nothing_then_confirm_creates_migrated_recipients(county_officer, village, other_village,
                                                                         dry_run, confirm):
    rows = (family("R1", 1) + family("R2", 10, 2, village=other_village.code, category="")
            + [member(20, code="R3", village="370283101999", head=True)])
    batch = dry_run(county_officer, csv_bytes(rows))
    assert batch.status == BatchStatus.CHECKED and batch.dry_run_job.status == "succeeded"
    assert nothing_written()
    totals = batch.summary["totals"]
    assert (totals["create_households"], totals["refused_households"], totals["error_rows"]) == (2, 1, 1)
    by_village = {v["code"]: v for v in batch.summary["villages"]}
    assert by_village[village.code]["create_households"] == 1
    assert batch.dry_run_job.errors == [{"row": 7, "column": "village_code", "reason": batch.dry_run_job.errors[0]["reason"]}]
    assert "370283101999" in batch.dry_run_job.errors[0]["reason"]

    batch = confirm(county_officer, batch)
    assert batch.status == BatchStatus.APPLIED and batch.apply_job.status == "succeeded"
    case = Case.objects.get()
    assert (case.status, case.origin, case.category, case.monthly_amount) == ("active", "migrated", "A",
                                                                               Decimal("900.00"))
    assert case.first_payment_month == date(2023, 6, 1) and case.household.division_code == village.code
    assert case.household.size == 3 and case.household.has_paid_case and case.household.bank_account
    assert not case.visits.exists() and not case.notices.exists()
    # The next review: category A's 12 months from the first payment, the first one not before today.
    assert Review.objects.get(case=case).due_date == date(2026, 6, 1)
    event = AuditEvent.objects.get(action="case.migrated", object_id=str(case.pk))
    assert event.after["file"] == "roster.csv" and event.after["batch"] == batch.pk and event.after["row"] == 2
    edge = Household.objects.get(division_code=other_village.code)
    assert not edge.cases.exists() and edge.size == 2  # an edge household: no case
    assert Member.objects.filter(is_active=True).count() == 5
    person = Person.objects.get(name="成员1")
    assert person.id_number == ident(1)  # encrypted, readable back


@time_machine.travel(date(2026, 3, 15), tick=False)
def test_rerun_changes_nothing_and_a_corrected_file_updates(county_officer, village, dry_run, confirm):
    rows = family("R1", 1)
    confirm(county_officer, dry_run(county_officer, csv_bytes(rows)))
    again = dry_run(county_officer, csv_bytes(rows))
    assert again.summary["totals"]["unchanged_households"] == 1 and again.summary["totals"]["create_households"] == 0
    confirm(county_officer, again)
    assert Household.objects.count() == 1 and Case.objects.count() == 1 and Member.objects.count() == 3
    corrected = family("R1", 1, amount="1000") + [member(30, code="R1", amount="1000")]
    batch = dry_run(county_officer, csv_bytes(corrected))
    assert batch.summary["totals"]["update_households"] == 1
    batch = confirm(county_officer, batch)
    case = Case.objects.get()
    assert case.monthly_amount == Decimal("1000.00") and case.household.members.count() == 4
    assert case.household.size == 4
    # Undo the correction: the amount and members as they were.
    roster_undo(actor=county_officer, batch=batch, version=_version(batch))
    case.refresh_from_db()
    assert case.monthly_amount == Decimal("900.00") and case.household.members.count() == 3


@time_machine.travel(date(2026, 3, 15), tick=False)
def test_a_corrected_file_creates_and_ends_migrated_cases_and_undo_puts_them_back(county_officer, village, web,
                                                                                   dry_run, confirm):
    first = confirm(county_officer, dry_run(county_officer, csv_bytes(
        family("C1", 1) + family("E1", 10, 2, category=""))))
    ending = Case.objects.get()
    ending_review = Review.objects.get(case=ending)
    assert ending.household.migration.household_code == "C1" and first.status == BatchStatus.APPLIED
    # The corrected file: C1 no longer a recipient (empty category), E1 now one (category B).
    corrected = csv_bytes(family("C1", 1, category="") + family("E1", 10, 2, category="B", amount="500"))
    batch = dry_run(county_officer, corrected, name="corrected.csv")
    assert batch.summary["totals"]["update_households"] == 2
    batch = confirm(county_officer, batch)
    assert batch.status == BatchStatus.APPLIED, batch.apply_job.message
    assert (batch.apply_job.counts["cases_created"], batch.apply_job.counts["cases_ended"]) == (1, 1)
    # C1: its migrated case ended through the exit service (kind roster_ended), its review cancelled.
    ending.refresh_from_db()
    assert ending.status == CaseStatus.CLOSED and not ending.household.has_paid_case
    exit_row = CaseExit.objects.get(case=ending)
    assert exit_row.kind == "roster_ended" and exit_row.effective_month == date(2026, 4, 1)
    assert Review.objects.get(pk=ending_review.pk).status == "cancelled"
    event = AuditEvent.objects.get(action="case.exit", object_id=str(ending.pk))
    assert (event.after["file"], event.after["batch"], event.after["row"]) == ("corrected.csv", batch.pk, 2)
    timeline = web(county_officer).get(f"/cases/{ending.pk}/").content.decode()
    assert "corrected.csv" in timeline and f"#{batch.pk}" in timeline
    # E1: a new migrated case (category B, 500), its next review, the link names it; timeline names the row.
    created = Case.objects.get(household__migration__household_code="E1")
    assert (created.status, created.origin, created.category, created.monthly_amount) == (
        "active", "migrated", "B", Decimal("500.00"))
    assert created.household.migration.case_id == created.pk and created.household.has_paid_case
    assert Review.objects.filter(case=created, status="due").count() == 1
    event = AuditEvent.objects.get(action="case.migrated", object_id=str(created.pk))
    assert (event.after["file"], event.after["batch"], event.after["row"]) == ("corrected.csv", batch.pk, 5)
    # The same corrected file again: unchanged, and confirming it changes nothing.
    events = AuditEvent.objects.filter(object_type="cases.case").count()
    rerun = dry_run(county_officer, corrected, name="corrected.csv")
    assert rerun.summary["totals"]["unchanged_households"] == 2
    assert rerun.summary["totals"]["update_households"] == 0
    rerun = confirm(county_officer, rerun)
    assert rerun.apply_job.counts["cases_created"] == rerun.apply_job.counts["cases_ended"] == 0
    assert Case.objects.count() == 2 and CaseExit.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="cases.case").count() == events
    # Undo the correction: C1's case active again with its review due, E1's new case gone.
    counts = roster_undo(actor=county_officer, batch=batch, version=_version(batch))
    assert counts["households_restored"] == 2
    ending.refresh_from_db()
    assert ending.status == CaseStatus.ACTIVE and ending.closed_at is None and ending.household.has_paid_case
    assert not CaseExit.objects.exists() and Review.objects.get(pk=ending_review.pk).status == "due"
    assert not Case.objects.filter(pk=created.pk).exists()
    assert MigratedHousehold.objects.get(household_code="E1").case_id is None
    assert not Household.objects.get(migration__household_code="E1").has_paid_case


@time_machine.travel(date(2026, 3, 15), tick=False)
def test_a_migrated_case_in_gradual_exit_ends_and_its_exit_comes_back_on_undo(county_officer, village, dry_run,
                                                                              confirm):
    confirm(county_officer, dry_run(county_officer, csv_bytes(family("G1", 1, gradual_exit_until="2026-08"))))
    case = Case.objects.get()
    assert case.status == CaseStatus.GRADUAL_EXIT
    schedule = CaseExit.objects.get(case=case).gradual_schedule
    batch = confirm(county_officer, dry_run(county_officer, csv_bytes(family("G1", 1, category=""))))
    case.refresh_from_db()
    exit_row = CaseExit.objects.get(case=case)
    assert case.status == CaseStatus.CLOSED and exit_row.kind == "roster_ended"
    roster_undo(actor=county_officer, batch=batch, version=_version(batch))
    case.refresh_from_db()
    exit_row.refresh_from_db()
    assert case.status == CaseStatus.GRADUAL_EXIT and exit_row.kind == "income_above_line"
    assert exit_row.end_month == date(2026, 9, 1) and exit_row.gradual_schedule == schedule


@time_machine.travel(date(2026, 3, 15), tick=False)
def test_undo_removes_a_batch_and_refuses_once_touched(county_officer, county, village, dry_run, confirm):
    first = confirm(county_officer, dry_run(county_officer, csv_bytes(family("R1", 1))))
    second = confirm(county_officer, dry_run(county_officer, csv_bytes(family("R2", 10, 2) + family(
        "R3", 20, 1, gradual_exit_until="2026-06"))))
    assert Case.objects.count() == 3
    gradual = Case.objects.get(status=CaseStatus.GRADUAL_EXIT)
    assert CaseExit.objects.get(case=gradual).end_month == date(2026, 7, 1)
    counts = roster_undo(actor=county_officer, batch=second, version=_version(second))
    assert counts["households_removed"] == 2 and counts["cases_removed"] == 2
    assert Case.objects.count() == 1 and Household.objects.count() == 1 and Person.objects.count() == 3
    assert AuditEvent.objects.filter(action="case.migration_undone").count() == 2
    second.refresh_from_db()
    assert second.status == BatchStatus.UNDONE
    # The first batch is on a payment roll now: its undo is refused, nothing changes.
    roll = payment_roll_generate(actor=county_officer, county=county, month=date(2026, 2, 1))
    assert roll.line_count == 1 and roll.total_amount == Decimal("900.00")
    with pytest.raises(Exception, match="R1"):
        roster_undo(actor=county_officer, batch=first, version=_version(first))
    assert Case.objects.count() == 1


@time_machine.travel(date(2026, 3, 15), tick=False)
def test_one_active_household_per_person(county_officer, village, dry_run, confirm, village_staff):
    existing = make_household(village, head_name="老户主")
    taken = existing.members.get().person.id_number
    rows = family("R1", 1) + [member(50, code="R2", head=True, id_number=taken)]
    batch = dry_run(county_officer, csv_bytes(rows))
    error = next(e for e in batch.dry_run_job.errors if e["column"] == "id_number")
    assert "another household" in error["reason"] or "另一" in error["reason"] or error["row"] == 5
    assert batch.summary["totals"]["refused_households"] == 1
    confirm(county_officer, batch)
    assert Household.objects.count() == 2  # the existing one and R1


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
@time_machine.travel(date(2026, 3, 15), tick=False)
def test_each_encoding(county_officer, village, dry_run, confirm, encoding):
    name = "张𪚥" if encoding == "gb18030" else "张三"
    rows = family("R1", 1, name=None)
    rows[0]["member_name"] = name
    batch = confirm(county_officer, dry_run(county_officer, csv_bytes(rows, encoding=encoding)))
    assert batch.status == BatchStatus.APPLIED
    assert Member.objects.filter(name=name).exists()


@time_machine.travel(date(2026, 3, 15), tick=False)
def test_chinese_headers_values_title_rows_and_xlsx(county_officer, village, dry_run):
    rows = family("R1", 1)
    data = csv_bytes(rows, header=CHINESE, encoding="gb18030", title_rows=[["平度市低保对象花名册"], ["制表日期：2026年3月"]])
    batch = dry_run(county_officer, data)
    assert batch.summary["totals"]["create_households"] == 1, batch.dry_run_job.message
    assert StagedRow.objects.get(batch=batch, row=4).relationship == "head"
    data = xlsx_bytes([["花名册"], CHINESE + ["备注"], list(COLUMNS) + [""]]
                      + [[r[c] for c in COLUMNS] + ["随便"] for r in family("X1", 40)])
    batch = dry_run(county_officer, data, name="roster.xlsx")
    assert batch.summary["totals"]["create_households"] == 1, batch.dry_run_job.message
    assert batch.unknown_columns == ["备注"] and "备注" in batch.dry_run_job.message


@pytest.mark.parametrize("data,code", [
    (b"", "empty_file"),
    ("随便写点什么\n第二行\n".encode(), "no_header"),
    (b"foo,bar,baz\n1,2,3\n", "no_header"),
    (os.urandom(4096), "not_text"),
])
def test_bad_files_are_refused_with_a_message_and_nothing_written(county_officer, village, dry_run, data, code):
    with pytest.raises(ImportRefused) as info:
        dry_run(county_officer, data)
    assert info.value.code in (code, "bad_encoding") and str(info.value.message)
    assert nothing_written() and not StagedRow.objects.exists()


def test_unknown_columns_are_named(county_officer, village, dry_run):
    with pytest.raises(ImportRefused) as info:
        dry_run(county_officer, "户编号,姓名,奇怪的列\nR1,张三,x\n".encode())
    assert info.value.code == "missing_columns" and "奇怪的列" in str(info.value.message)


@time_machine.travel(date(2026, 3, 15), tick=False)
def test_formula_cells_are_refused_rows(county_officer, village, dry_run):
    row = [family("F1", 1, 1)[0][c] for c in COLUMNS]
    row[COLUMNS.index("monthly_amount")] = "=SUM(1,2)"
    batch = dry_run(county_officer, xlsx_bytes([list(COLUMNS), row]), name="roster.xlsx")
    assert batch.dry_run_job.errors[0]["column"] == "monthly_amount"
    assert "formula" in batch.dry_run_job.errors[0]["reason"] or "公式" in batch.dry_run_job.errors[0]["reason"]
    assert batch.summary["totals"]["refused_households"] == 1


@time_machine.travel(date(2026, 3, 15), tick=False)
def test_ten_megabytes_of_junk_rows(county_officer, village, dry_run, confirm):
    header = ",".join(COLUMNS) + "\n"
    junk = ("垃圾," * 18 + "垃圾\n") * 190_000
    data = (header + junk).encode()
    assert len(data) > 10 * 1024 * 1024
    batch = dry_run(county_officer, data)
    assert batch.summary["totals"]["create_households"] == 0
    assert batch.summary["totals"]["error_rows"] == 190_000 and batch.error_file
    confirm(county_officer, batch)
    assert nothing_written()


@time_machine.travel(date(2026, 3, 15), tick=False)
def test_round_trip_what_goes_in_comes_out(county_officer, village, dry_run, confirm):
    rows = family("R1", 1, next_review_on="2026-09-01") + family("R2", 10, 2, category="")
    rows[1]["individual_inclusion"] = "是"
    rows[2].update(health="残疾", disability_grade="二级")
    confirm(county_officer, dry_run(county_officer, csv_bytes(rows)))
    sheet = openpyxl.load_workbook(io.BytesIO(roster_xlsx(county_officer))).active
    values = [[("" if c is None else str(c)) for c in r] for r in sheet.iter_rows(values_only=True)]
    assert values[0] == CHINESE and values[1] == list(COLUMNS)
    out = sorted(tuple(r) for r in values[2:])
    expected = sorted(tuple(r[c] for c in COLUMNS) for r in rows)
    assert out == expected
    # And the export imports back unchanged.
    again = dry_run(county_officer, roster_xlsx(county_officer), name="roster.xlsx")
    assert again.summary["totals"]["unchanged_households"] == 2, again.dry_run_job.errors


@time_machine.travel(date(2026, 3, 15), tick=False)
def test_a_person_who_joined_a_household_after_the_dry_run_is_refused_at_confirmation(county_officer, village,
                                                                                      dry_run, confirm):
    from households.persons import person_get_or_create

    batch = dry_run(county_officer, csv_bytes(family("R1", 1) + family("R2", 10, 2)))
    assert batch.summary["totals"]["create_households"] == 2
    household = make_household(village, head_name="新户")
    person = person_get_or_create(id_number=ident(10), name="成员10")
    Member.objects.create(household=household, person=person, name="成员10", relationship="spouse", sex=person.sex,
                          birth_date=person.birth_date)
    batch = confirm(county_officer, batch)
    assert batch.status == BatchStatus.APPLIED and batch.apply_job.counts["households_refused"] == 1
    assert MigratedHousehold.objects.filter(household_code="R1").exists()
    assert not MigratedHousehold.objects.filter(household_code="R2").exists()
    assert "1" in batch.apply_job.message
    # The staged rows (encrypted ID numbers) are gone once the batch is in.
    assert not StagedRow.objects.filter(batch=batch).exists()


def test_pinyin_from_the_character_cache_is_the_person_index_key():
    from golive.applying import pinyin_of
    from households.persons import name_to_pinyin

    names = ["成员1", "张三", "单田芳", "曾国藩", "王小明", "𪚥丽", "李a1b", "吕绿", "欧阳娜娜", "解放", "乐乐", "长孙无忌",
             "Anna李", "重庆", "", "成员12 3", "李·四", "张三Li", "银行卡"]
    assert [pinyin_of(n) for n in names] == [name_to_pinyin(n) for n in names]


@time_machine.travel(date(2026, 3, 15), tick=False)
def test_phone_and_bank_account_are_sealed_on_import_and_in_the_undo_snapshot(county_officer, village, dry_run,
                                                                                confirm):
    """New households are written as rows with COPY: their phone and account land as ciphertext with blind
    indexes, each household bound to its own row identity. A corrected file's undo snapshot keeps the old
    values as ciphertext only, and undo puts them back."""
    from django.db import connection

    from golive.models import BatchHousehold

    staged = dry_run(county_officer, csv_bytes(family("P1", 1) + family("P2", 10)))
    with connection.cursor() as cursor:  # waiting for confirmation: the staged rows hold them sealed
        cursor.execute("SELECT contact_encrypted FROM golive_stagedrow WHERE batch_id = %s", [staged.pk])
        blobs = [bytes(b) for (b,) in cursor.fetchall()]
    assert len(blobs) == 6 and not any(b"13800000000" in b or b"6228480000000000" in b for b in blobs)
    assert {f.name for f in StagedRow._meta.fields}.isdisjoint({"phone", "bank_account"})
    confirm(county_officer, staged)
    first, second = Household.objects.order_by("pk")
    assert first.crypto_row != second.crypto_row
    assert (first.contact_phone, first.bank_account) == ("13800000000", "6228480000000000")
    assert Household.objects.filter(bank_account_hash=first.bank_account_hash).count() == 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone_encrypted, bank_account_encrypted FROM households_household")
        for phone, account in cursor.fetchall():
            assert b"13800000000" not in bytes(phone) and b"6228480000000000" not in bytes(account)
    corrected = csv_bytes(family("P1", 1, phone="13900000001", bank_account="6228481111111111") + family("P2", 10))
    batch = confirm(county_officer, dry_run(county_officer, corrected, name="corrected.csv"))
    changed = Household.objects.get(pk=first.pk)
    assert (changed.contact_phone, changed.bank_account) == ("13900000001", "6228481111111111")
    record = BatchHousehold.objects.get(batch=batch, household_id=first.pk)
    text = str(record.before)
    assert "13800000000" not in text and "6228480000000000" not in text and "sealed" in record.before["household"]
    roster_undo(actor=county_officer, batch=batch, version=_version(batch))
    restored = Household.objects.get(pk=first.pk)
    assert (restored.contact_phone, restored.bank_account) == ("13800000000", "6228480000000000")
    assert restored.phone_hash == first.phone_hash and restored.bank_account_hash == first.bank_account_hash
