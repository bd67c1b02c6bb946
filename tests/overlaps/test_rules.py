from datetime import date
from decimal import Decimal

import pytest

from households.idnumber import make_id_number
from overlaps.models import RuleCode
from overlaps.rules import RULES
from overlaps.rules.persons import probable_duplicate_reason
from tests.overlaps import builders as b

pytestmark = pytest.mark.django_db


def keys(code, prefix=""):
    return {f.subject_key for f in RULES[code].scan(prefix)}


def test_duplicate_person_households_positive_and_negative(village, other_village):
    p, q = b.person(), b.person(name="李四")
    h1 = b.household(village, [p, q])
    h2 = b.household(other_village, [b.person(name="王五")])
    b.member(h2, q, is_active=False)  # left: not a duplicate
    assert keys(RuleCode.DUPLICATE_PERSON_HOUSEHOLDS) == set()
    b.drop_unique_membership()
    b.member(h2, p)
    found = list(RULES[RuleCode.DUPLICATE_PERSON_HOUSEHOLDS].scan(""))
    assert [f.subject_key for f in found] == [f"p:{p.pk}"]
    assert sorted(found[0].household_ids) == sorted([h1.pk, h2.pk])
    assert found[0].division_code == village.code[:9] + "000"  # the common township
    assert keys(RuleCode.DUPLICATE_PERSON_HOUSEHOLDS, "370299") == set()


def test_duplicate_person_households_reads_only_the_catalogue_while_the_index_forbids_them(village):
    """The unique membership index makes the rule's finding impossible: it asks the catalogue once and reads no
    membership; without the index (legacy data) it groups the memberships again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    b.household(village, [b.person()])
    with CaptureQueriesContext(connection) as ctx:
        assert list(RULES[RuleCode.DUPLICATE_PERSON_HOUSEHOLDS].scan("")) == []
    assert len(ctx.captured_queries) == 1 and "households_member" not in ctx.captured_queries[0]["sql"]
    b.drop_unique_membership()
    with CaptureQueriesContext(connection) as ctx:
        assert list(RULES[RuleCode.DUPLICATE_PERSON_HOUSEHOLDS].scan("")) == []
    assert "households_member" in ctx.captured_queries[-1]["sql"]


def test_double_dibao(village, other_village, county_officer):
    p = b.person()
    h1 = b.household(village, [p])
    h2 = b.household(other_village, [b.person(name="李四")])
    b.member(h2, p, is_active=False)
    c1 = b.case(h1, county_officer)
    c2 = b.case(h2, county_officer, status="rejected")
    assert keys(RuleCode.DOUBLE_DIBAO) == set()
    c2.status = "submitted"
    c2.save()
    found = list(RULES[RuleCode.DOUBLE_DIBAO].scan(""))
    assert [f.subject_key for f in found] == [f"p:{p.pk}"]
    assert sorted(found[0].case_ids) == [c1.pk, c2.pk]


@pytest.mark.parametrize("a,b_,expected", [
    ("370283198005010011", "370283198005010031", "one_digit"),
    ("370283198005010011", "370283198005010101", "transposition"),
    ("370283198005010011", "370283198005012211", None),
])
def test_probable_duplicate_reason(a, b_, expected):
    from households.idnumber import check_char
    a = a[:17] + check_char(a[:17])
    b_ = b_[:17] + check_char(b_[:17])
    assert probable_duplicate_reason(a, b_) == expected


def test_probable_duplicate_positives_and_near_misses(village):
    birth = date(1975, 3, 9)
    a = b.person("王伟", birth, "M", sequence=11)
    typo = b.person("王伟", birth, "M", sequence=13)  # one digit
    swap_a = b.person("刘洋", birth, "M", sequence=123)
    swap_b = b.person("刘洋", birth, "M", sequence=213)  # adjacent transposition
    good = make_id_number("370283", birth, 556)
    bad = good[:17] + ("0" if good[17] != "0" else "1")  # same digits, wrong check character
    bad_a = b.person("陈静", birth, "F", number=good)
    bad_b = b.person("陈静", birth, "F", number=bad)
    # near misses: same name far apart; twins (sequential ids, different names); other sex; other birth
    b.person("王伟", birth, "M", sequence=771)
    b.person("王芳", birth, "M", sequence=15)
    b.person("王伟", birth, "F", sequence=12)
    b.person("王伟", date(1975, 3, 10), "M", sequence=11)
    b.person("汪伟", date(1990, 1, 1), "M", sequence=31)
    for p in (a, typo, swap_a, swap_b, bad_a, bad_b):
        b.household(village, [p])
    found = {f.subject_key: f for f in RULES[RuleCode.PROBABLE_DUPLICATE].scan("")}
    assert set(found) == {f"pp:{a.pk}-{typo.pk}", f"pp:{swap_a.pk}-{swap_b.pk}", f"pp:{bad_a.pk}-{bad_b.pk}"}
    assert found[f"pp:{swap_a.pk}-{swap_b.pk}"].details["reason"] == "transposition"
    assert found[f"pp:{bad_a.pk}-{bad_b.pk}"].details["reason"] == "bad_check_digit"
    assert found[f"pp:{a.pk}-{typo.pk}"].division_code == village.code
    assert set(f.subject_key for f in RULES[RuleCode.PROBABLE_DUPLICATE].scan("", person_ids=[a.pk])) == {
        f"pp:{a.pk}-{typo.pk}"}


def test_same_pinyin_counts(village):
    birth = date(1980, 1, 1)
    x = b.person("王伟", birth, "M", sequence=11)
    y = b.person("汪伟", birth, "M", sequence=13)
    assert keys(RuleCode.PROBABLE_DUPLICATE) == {f"pp:{x.pk}-{y.pk}"}


def test_protection_gap(village, other_village, county_officer, std):
    p, q, r, s = (b.person(name=n) for n in ("甲", "乙", "丙", "丁"))
    gap = b.registry(village, [p], status="registered", annual=Decimal("6000"))  # 500/month < 800
    b.registry(village, [q], status="monitored", annual=Decimal("12000"))  # 1000 > 800: no gap
    b.registry(village, [r], status="lifted", annual=Decimal("3000"))  # lifted: no gap
    covered = b.registry(village, [s], status="monitored", annual=Decimal("3000"))
    b.case(b.household(other_village, [s]), county_officer, status="submitted")  # pending case covers
    b.registry(village, [p], status="registered", annual=Decimal("6000"), year=2024)  # older year ignored
    found = list(RULES[RuleCode.PROTECTION_GAP].scan("370283"))
    assert [f.subject_key for f in found] == [f"rh:{gap.registry_code}"]
    assert found[0].person_ids == [p.pk]
    assert covered.registry_code not in {f.subject_key for f in found}
    assert keys(RuleCode.PROTECTION_GAP, "370299") == set()


def test_no_standard_no_income_findings(village):
    b.registry(village, [b.person()], annual=Decimal("10"))
    assert keys(RuleCode.PROTECTION_GAP) == set()


def test_ineligible_recipient(village, county_officer, std):
    rich, split, gradual, ok = (b.person(name=n) for n in ("甲", "乙", "丙", "丁"))
    c_rich = b.case(b.household(village, [rich], income=Decimal("700")), county_officer)
    b.registry(village, [rich], status="registered", annual=Decimal("12000"))  # 1000 > 800
    c_split = b.case(b.household(village, [split], income=Decimal("100")), county_officer, status="gradual_exit")
    b.registry(village, [split], status="registered", annual=Decimal("6000"))  # 500 vs 100: ratio .8 > .5
    b.case(b.household(village, [gradual], income=Decimal("700")), county_officer, status="gradual_exit")
    b.registry(village, [gradual], status="registered", annual=Decimal("10800"))  # 900 vs 700: gradual, close
    b.case(b.household(village, [ok], income=Decimal("500")), county_officer)
    b.registry(village, [ok], status="registered", annual=Decimal("6600"))  # 550 vs 500: fine
    found = {f.subject_key: f for f in RULES[RuleCode.INELIGIBLE_RECIPIENT].scan("")}
    assert set(found) == {f"c:{c_rich.pk}", f"c:{c_split.pk}"}
    assert found[f"c:{c_rich.pk}"].details["reasons"] == ["registry_income_above_standard"]
    assert found[f"c:{c_split.pk}"].details["reasons"] == ["income_figures_disagree"]


def test_ineligible_ratio_is_county_configuration(village, county, county_officer, std):
    from overlaps.models import OverlapPolicy

    p = b.person()
    c = b.case(b.household(village, [p], income=Decimal("300")), county_officer)
    b.registry(village, [p], annual=Decimal("6000"))  # 500 vs 300: 0.4 of 500
    assert keys(RuleCode.INELIGIBLE_RECIPIENT) == set()
    OverlapPolicy.objects.create(county=county, effective_from=date(2020, 1, 1),
                                 income_disagreement_ratio=Decimal("0.30"))
    assert keys(RuleCode.INELIGIBLE_RECIPIENT) == {f"c:{c.pk}"}


def test_status_conflict(village, county_officer, std):
    p, q, r = (b.person(name=n) for n in ("甲", "乙", "丙"))
    conflict = b.case(b.household(village, [p], income=Decimal("500")), county_officer)
    b.registry(village, [p], status="lifted", annual=Decimal("9600"))  # 800 >= 800
    b.case(b.household(village, [q], income=Decimal("500")), county_officer, status="gradual_exit")
    b.registry(village, [q], status="lifted", annual=Decimal("9600"))  # gradual exit: fine
    b.case(b.household(village, [r], income=Decimal("500")), county_officer)
    b.registry(village, [r], status="lifted", annual=Decimal("9000"))  # 750 < 800: consistent
    assert keys(RuleCode.STATUS_CONFLICT) == {f"c:{conflict.pk}"}
    assert keys(RuleCode.INELIGIBLE_RECIPIENT) == set()


def test_staff_relative(village, county, county_officer):
    c = b.case(b.household(village, [b.person()]), county_officer, status="submitted", staff_relative=True)
    b.case(b.household(village, [b.person(name="乙")]), county_officer, status="closed", staff_relative=True)
    b.case(b.household(village, [b.person(name="丙")]), county_officer, status="submitted")
    found = list(RULES[RuleCode.STAFF_RELATIVE].scan(""))
    assert [f.subject_key for f in found] == [f"c:{c.pk}"]
    assert found[0].division_code == county.code


def test_edge_household(village, county_officer, std):
    edge = b.household(village, [b.person()], income=Decimal("1000"))
    b.household(village, [b.person(name="乙")], income=Decimal("1300"))  # above 1.5x
    b.household(village, [b.person(name="丙")], income=Decimal("700"))  # below the standard
    b.case(b.household(village, [b.person(name="丁")], income=Decimal("900")), county_officer)  # has a case
    m = b.person(name="戊")
    b.household(village, [m], income=Decimal("900"))
    b.registry(village, [m], status="monitored", annual=Decimal("10800"))  # monitored
    assert keys(RuleCode.EDGE_HOUSEHOLD) == {f"h:{edge.pk}"}


@pytest.mark.postgres
def test_standards_in_force_are_one_row_per_county_for_the_planner_too(county, other_county):
    """The derived table of standards in force joins every case of a full scan: estimated at one row in all, it
    was put outside a nested loop that ran the province's case-roster join once per county."""
    from django.db import connection

    from overlaps.rules.base import standards_sql
    from tests.factories import DivisionFactory
    from tests.households.factories import make_standard

    third = DivisionFactory(code="370211000000", name="黄岛区", level="county", parent=county.parent)
    for c, amounts in ((county, ("700", "784", "900")), (other_county, ("650", "760", "800")), (third, ("700",))):
        for amount, start in zip(amounts, (date(2025, 1, 1), date(2026, 1, 1), date(2027, 1, 1)), strict=False):
            make_standard(c, amount, start)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE households_standard")
        params = {"today": date(2026, 6, 30)}
        cursor.execute(f"SELECT cp, amount FROM {standards_sql()} s ORDER BY cp", params)
        assert [(cp, str(a)) for cp, a in cursor.fetchall()] == [("370211", "700.00"), ("370283", "784.00"),
                                                                ("370285", "760.00")]
        cursor.execute(f"EXPLAIN (FORMAT JSON) SELECT * FROM {standards_sql()} s", params)
        assert cursor.fetchone()[0][0]["Plan"]["Plan Rows"] == 3  # psycopg2 decodes the JSON
