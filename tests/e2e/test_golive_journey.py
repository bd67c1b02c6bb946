"""Go-live in headless Chromium: a county officer brings the county's existing recipients in.

Downloads the roster template, fills it with two households and a bad row, uploads it, reads the dry run
(per village, the row error named), confirms, finds the migrated recipients in the case register and on the
month's payment roll; then uploads a second file (GB18030 CSV under a title row, 𪚥 in a name), confirms it
and undoes it: the second batch's household is gone, the first batch's are still there.
"""

import csv
import io
import re
from datetime import date

import openpyxl
import pytest
from django.utils import timezone

from cases.models import Case
from golive.layout import COLUMNS
from households.models import Household
from tabular.synonyms import chinese_header
from tests.factories import PASSWORD
from tests.golive.conftest import family, member
from tests.households.factories import make_policy, make_standard

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def upload(b, path, shot):
    b.get("/golive/")
    b.find("#id_file").send_keys(str(path))
    b.shot(shot)
    b.click("#roster-upload-form button[type=submit]")
    b.wait_for(lambda: b.path.rstrip("/").split("/")[-1].isdigit(), timeout=20)
    return b.path


def wait_for_status(b, path, element, timeout=60):
    def ready():
        b.get(path)
        return bool(b.find_all(element))
    b.wait_for(ready, timeout=timeout)


def test_county_officer_brings_the_roster_in_and_undoes_a_second_batch(browser, county, village, other_village,
                                                                     county_officer, tmp_path):
    make_standard(county)
    make_policy(county)
    b = browser
    b.log_in(county_officer.username, PASSWORD)

    # 1. The template: Chinese headers, the code names under them, drop-downs, instructions.
    b.get("/golive/")
    b.shot("golive-page")
    b.click("#roster-template")
    template = b.wait_for_download(".xlsx")
    wb = openpyxl.load_workbook(template)
    sheet = wb.worksheets[0]
    assert [c.value for c in sheet[1]] == [chinese_header("roster", c) for c in COLUMNS]
    assert [c.value for c in sheet[2]] == list(COLUMNS)
    assert any('"户主,配偶' in (v.formula1 or "") for v in sheet.data_validations.dataValidation)
    assert len(wb.worksheets) == 2 and wb.worksheets[1].max_row > len(COLUMNS)

    # 2. Filled in: two households (one an edge household without a case) and a row with a bad ID number.
    sheet.delete_rows(3)
    rows = family("Z1", 1, 3) + family("Z2", 10, 2, village=other_village.code, category="")
    bad = member(20, code="Z3", head=True)
    bad["id_number"] = "110105194912310021"
    for r in [*rows, bad]:
        sheet.append([r[c] for c in COLUMNS])
    first_file = tmp_path / "roster-first.xlsx"
    wb.save(first_file)
    batch_path = upload(b, first_file, "upload-first")

    # 3. The dry run: per village, the refused row named; nothing written yet.
    wait_for_status(b, batch_path, "#confirm-batch")
    b.shot("dry-run")
    assert b.find("#total-create").text == "2" and b.find("#total-refused").text == "1"
    assert "id_number" in b.find("#row-errors").text and village.name in b.find("#dry-run-summary").text
    assert Household.objects.count() == 0

    # 4. Confirmed: the migrated recipients are in.
    b.click("#confirm-batch")
    wait_for_status(b, batch_path, "#undo-batch")
    b.shot("imported")
    case = Case.objects.get()
    assert case.origin == "migrated" and case.status == "active"
    b.get("/cases/?status=active")
    b.shot("case-register")
    assert "成员1" in b.html
    b.get(f"/cases/{case.pk}/")
    b.shot("case-timeline")
    assert "roster-first.xlsx" in b.html and "从原系统迁移" in b.html

    # 5. The month's payment roll pays them.
    b.get("/recipients/payment-rolls/")
    b.set_value("#id_month", f"{timezone.localdate():%Y-%m}")
    b.click("form.row button[type=submit]")
    # Generating a roll is a job: its page links the roll once it is made.
    b.wait_for(lambda: "/jobs/" in b.path)
    roll_link = re.compile(r'href="(/recipients/payment-rolls/\d+/)"')
    b.wait_for(lambda: roll_link.search(b.html), timeout=30)
    b.get(roll_link.search(b.html).group(1))
    b.shot("payment-roll")
    assert "成员1" in b.html and "900" in b.html

    # 6. A second batch (GB18030 CSV under a title row), confirmed, then undone.
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["平度市低保对象花名册（第二批）"])
    writer.writerow([chinese_header("roster", c) for c in COLUMNS])
    second = family("Z9", 40, 2, approved=date(2024, 1, 5).isoformat())
    second[0]["member_name"] = "王𪚥"
    for r in second:
        writer.writerow([r[c] for c in COLUMNS])
    second_file = tmp_path / "roster-second.csv"
    second_file.write_bytes(out.getvalue().encode("gb18030"))
    second_path = upload(b, second_file, "upload-second")
    wait_for_status(b, second_path, "#confirm-batch")
    assert b.find("#total-create").text == "1"
    b.click("#confirm-batch")
    wait_for_status(b, second_path, "#undo-batch")
    assert Household.objects.filter(head_name="王𪚥").exists()
    b.click("#undo-batch")
    b.wait_for(lambda: not b.find_all("#undo-batch"))
    b.shot("undone")
    assert not Household.objects.filter(head_name="王𪚥").exists()
    assert Household.objects.count() == 2 and Case.objects.count() == 1
