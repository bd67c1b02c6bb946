from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from accounts.models import Division, User
from cases.models import PAID_STATES, Case, CaseStatus
from demo import synthetic as builder
from households import selectors
from households.idnumber import parse_id_number
from households.models import Household, IncomeItem, Member, Person
from households.persons import person_get_or_create
from poverty_registry.models import RegistryHousehold, RegistryMember

QUIET = {"stdout": open("/dev/null", "w")}  # noqa: SIM115


@pytest.fixture
def province(db):
    call_command("generate_synthetic", households=1000, seed=3, **QUIET)


def test_households_persons_and_members_are_consistent(province):
    assert Household.objects.count() == 1000
    assert Division.objects.filter(level="village", code__startswith="52").count() == 4  # 250 per village
    persons = Person.objects.count()
    assert persons == Member.objects.count() == Member.objects.filter(is_active=True).count()
    assert 1000 * 2.5 < persons < 1000 * 4.5
    assert IncomeItem.objects.count() == 1000
    # Every household has exactly one head, whose name is the household's head_name, and a size that
    # matches its members.
    for household in Household.objects.prefetch_related("members")[:100]:
        members = list(household.members.all())
        assert household.size == len(members)
        heads = [m for m in members if m.relationship == "head"]
        assert len(heads) == 1 and heads[0].name == household.head_name
        assert household.division_code == household.village.code
    # ID numbers are valid, unique, decrypt, and match the stored birth date, sex and region.
    for person in Person.objects.all()[:300]:
        info = parse_id_number(person.id_number)
        assert info.birth_date == person.birth_date and info.sex == person.sex
        assert person.id_number[:6] == person.region_code
    assert Person.objects.values("id_hash").distinct().count() == persons


def test_cases_cover_every_state_and_agree_with_their_households(province):
    by_state = dict(Case.objects.values_list("status").annotate(n=Count("id")))
    assert set(by_state) == set(CaseStatus.values)
    for case in Case.objects.select_related("household", "entered_by", "applicant")[:200]:
        assert case.division_code == case.household.division_code
        assert case.applicant.household_id == case.household_id and case.applicant.relationship == "head"
        assert case.entered_by.role == "village_staff"
        assert case.entered_by.division.code[:6] == case.division_code[:6]
    paid = Case.objects.filter(status__in=PAID_STATES)
    assert not paid.filter(monthly_amount__isnull=True).exists()
    assert not paid.filter(decided_by__isnull=True).exists()
    assert not Case.objects.filter(status=CaseStatus.DRAFT, submitted_at__isnull=False).exists()
    assert Case.objects.filter(status=CaseStatus.SUBMITTED, deadline__isnull=False).count() == by_state["submitted"]


def test_poverty_roster_has_planted_overlaps(province):
    assert RegistryHousehold.objects.exists()
    # Registry members are the household's own persons (one person index across both rosters).
    for reg in RegistryHousehold.objects.prefetch_related("members__person__memberships")[:50]:
        households = {m.person.memberships.get().household.division_code for m in reg.members.all()}
        assert households == {reg.division_code}
    assert RegistryMember.objects.filter(is_head=True).count() == RegistryHousehold.objects.count()
    paid_persons = Member.objects.filter(household__cases__status__in=PAID_STATES).values("person_id")
    lifted_paid = RegistryHousehold.objects.filter(status="lifted", members__person_id__in=paid_persons)
    assert lifted_paid.exists()  # planted: lifted out of poverty, still paid dibao
    gap = RegistryHousehold.objects.filter(status="monitored").exclude(members__person_id__in=Member.objects.filter(
        household__cases__isnull=False).values("person_id"))
    assert gap.exists()  # planted: monitored, no dibao case
    below = Household.objects.filter(per_capita_monthly_income__lt=builder.STANDARD,
                                     members__person__registry_memberships__registry_household__in=gap)
    assert below.exists()


def test_scoping_works_on_the_generated_users(province, api):
    officer = User.objects.get(username="syn_county_520101")
    staff = User.objects.filter(username__startswith="syn_village_").get()
    assert officer.role == "county_officer" and staff.role == "village_staff"
    assert selectors.household_list(officer).count() == 1000
    assert selectors.household_list(staff).count() == 250
    other = Household.objects.exclude(division_code=staff.division.code).first()
    assert api(staff).get(f"/api/v1/households/{other.pk}/").status_code == 404
    mine = Household.objects.filter(division_code=staff.division.code).first()
    response = api(staff).get(f"/api/v1/households/{mine.pk}/")
    assert response.status_code == 200 and response.json()["size"] == mine.size


def test_search_finds_generated_households_by_id_and_name_prefix(province):
    officer = User.objects.get(username="syn_county_520101")
    household = Household.objects.order_by("id")[500]
    member = household.members.order_by("id").last()
    assert list(selectors.household_list(officer, q=member.person.id_number)) == [household]
    found = selectors.household_list(officer, q=member.name[:2])
    assert household in found
    assert all(any(m.name.startswith(member.name[:2]) for m in h.active_members) for h in found)


def test_same_seed_same_province_and_sequences_stay_usable(province):
    call_command("generate_synthetic", households=300, seed=3, province="53", **QUIET)
    first = list(Household.objects.filter(division_code__startswith="52").order_by("id")
                 .values_list("head_name", "size", "per_capita_monthly_income")[:300])
    second = list(Household.objects.filter(division_code__startswith="53").order_by("id")
                  .values_list("head_name", "size", "per_capita_monthly_income")[:300])
    assert first == second
    # Ids were reserved from the sequences, so ordinary ORM inserts still work afterwards.
    person = person_get_or_create(id_number="11010519491231002X", name="张三")
    assert person.pk > Person.objects.exclude(pk=person.pk).order_by("-pk").first().pk
    assert Household.objects.filter(per_capita_monthly_income__lt=Decimal("0")).count() == 0


def test_refuses_to_generate_twice_into_the_same_province(db):
    call_command("generate_synthetic", households=10, **QUIET)
    with pytest.raises(CommandError):
        call_command("generate_synthetic", households=10, **QUIET)
    with pytest.raises(CommandError):
        call_command("generate_synthetic", households=0, province="53", **QUIET)


def test_list_marks_recipients_from_the_prefetched_paid_cases(province, api, web):
    staff = User.objects.filter(username__startswith="syn_village_").get()
    paid = set(Case.objects.filter(status__in=PAID_STATES, division_code=staff.division.code)
               .values_list("household_id", flat=True))
    rows = api(staff).get("/api/v1/households/", {"page_size": 500}).json()["results"]
    assert len(rows) == 250 and paid
    assert {r["id"] for r in rows if r["has_active_case"]} == paid
    filtered = api(staff).get("/api/v1/households/", {"has_active_case": "true", "page_size": 500}).json()
    assert {r["id"] for r in filtered["results"]} == paid
    not_paid = api(staff).get("/api/v1/households/", {"has_active_case": "false", "page_size": 500}).json()
    assert not_paid["count"] == 250 - len(paid)
    page = web(staff).get("/households/").content.decode()
    first_page = Household.objects.filter(division_code=staff.division.code).order_by("id")[:25]
    assert page.count('badge text-bg-success') == sum(h.pk in paid for h in first_page)


def test_reviews_and_payment_rolls_for_active_cases(province):
    from recipients.models import PaymentLine, PaymentRoll, Review

    active = Case.objects.filter(status=CaseStatus.ACTIVE)
    reviews = Review.objects.all()
    assert 0 < reviews.count() < active.count()  # a share of the active cases
    assert not reviews.exclude(case__status=CaseStatus.ACTIVE).exists()
    assert not reviews.exclude(status="due").exists()
    for review in reviews.select_related("case")[:50]:
        assert review.division_code == review.case.division_code
    rolls = PaymentRoll.objects.all()
    assert rolls.count() == builder.ROLL_MONTHS  # one county at 1,000 households
    paid = Case.objects.filter(status__in=[CaseStatus.ACTIVE, CaseStatus.GRADUAL_EXIT])
    for roll in rolls:
        assert roll.status == "finalised" and roll.month.day == 1
        assert roll.line_count == roll.lines.count() == paid.count()
        assert roll.total_amount == sum(line.amount for line in roll.lines.all())
    assert not PaymentLine.objects.exclude(bank_account_encrypted=b"").exists()  # the model's defaults, as stored
    assert not PaymentLine.objects.exclude(key_state="").exists()
    assert PaymentLine.objects.values("crypto_row").distinct().count() == PaymentLine.objects.count()
    line = PaymentLine.objects.select_related("case", "household").first()
    assert line.amount == line.case.monthly_amount and line.household_id == line.case.household_id
    assert line.village_code == line.case.division_code and line.payee_name == line.household.head_name


def _index_definitions() -> set[tuple]:
    """Each index's name, table, uniqueness, columns, operator classes and whether it is partial (its
    predicate's text is not compared: PostgreSQL prints a rebuilt one's casts differently)."""
    from django.db import connection

    tables = [m._meta.db_table for m in builder.LOADED_MODELS]
    with connection.cursor() as cursor:
        cursor.execute("""SELECT indexrelid::regclass::text, indrelid::regclass::text, indisunique,
                                 indkey::text, indclass::text, indpred IS NOT NULL, indexprs IS NOT NULL
                          FROM pg_index WHERE indrelid = ANY(%s::regclass[])""", [tables])
        return set(cursor.fetchall())


@pytest.mark.postgres  # the catalogue's indexes and constraints, dropped and built again
def test_deferred_indexes_are_dropped_for_the_load_and_all_built_again(db):
    before = _index_definitions()
    assert ("households_person_id_hash_key", "households_person", True) in {d[:3] for d in before}
    assert len(before) > 40
    dropped = builder.secondary_indexes()
    assert {name for name, *_rest in dropped} >= {"households_person_id_hash_key", "person_blocking_key"}
    assert not any(name.endswith("_pkey") for name, *_rest in dropped)
    keys_before = builder.foreign_keys()
    assert ("households_member", "households_member_person_id_23244482_fk_households_person_id") in {
        k[:2] for k in keys_before}
    call_command("generate_synthetic", households=300, seed=3, defer_indexes="yes", **QUIET)
    assert _index_definitions() == before
    assert builder.foreign_keys() == keys_before  # the same keys, the same definitions (deferrable as before)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND NOT convalidated")
        assert cursor.fetchone()[0] == 0
    assert Household.objects.count() == 300
    persons = Person.objects.count()
    assert Person.objects.values("id_hash").distinct().count() == persons
    # The flags written with the rows agree with what the refresh functions would compute.
    assert set(Household.objects.filter(has_paid_case=True).values_list("id", flat=True)) == set(
        Case.objects.filter(status__in=PAID_STATES).values_list("household_id", flat=True))
    assert set(Person.objects.filter(on_poverty_roster=True).values_list("id", flat=True)) == set(
        RegistryMember.objects.values_list("person_id", flat=True))


@pytest.mark.postgres  # SET CONSTRAINTS and the rebuilt PostgreSQL indexes
def test_unique_indexes_and_foreign_keys_built_again_still_refuse_bad_rows(db):
    from django.db import IntegrityError, connection, transaction

    call_command("generate_synthetic", households=20, seed=3, defer_indexes="yes", **QUIET)
    person = Person.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.create(id_hash=person.id_hash, id_encrypted=b"x", name="李四", birth_date=person.birth_date,
                              sex="M", region_code="520101")
    member = Member.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=member.pk).update(person_id=Person.objects.order_by("-pk").first().pk + 1000)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_parallel_workers_refused_inside_a_transaction(db):
    with pytest.raises(CommandError):
        call_command("generate_synthetic", households=10, workers=2, **QUIET)
    with pytest.raises(CommandError):
        call_command("generate_synthetic", households=10, workers=0, **QUIET)
    assert not Household.objects.exists()
