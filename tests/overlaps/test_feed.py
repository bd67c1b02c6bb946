"""The change feed and its first subscriber: every write to a case, household, member or registry row
leads to the shared registry's check of the persons involved, whichever service makes it.

How "checked" is seen: before the write each person gets an open finding that no rule would raise
(subject "stale:<id>"). The incremental check of a person reconciles the open findings touching
them, so exactly the persons checked see theirs closed; the others stay open. With the subscriber
taken out of settings.CHANGE_FEED_SUBSCRIBERS nothing is closed and no message is written.
"""

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core import checks
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from audit import feed
from audit.feed import DELIVER_TASK, deliver
from cases.models import Case, CaseStatus, PublicNotice
from cases.tasks import close_due_notices
from households import services as households
from households.models import Member
from households.persons import person_get_or_create
from jobs.models import Job, OutboxMessage
from overlaps.models import FlagStatus, OverlapFlag, RuleCode, Severity
from poverty_registry import services as registry
from poverty_registry.models import RegistryHousehold
from poverty_registry.removals import import_removals_confirm
from poverty_registry.services import import_start
from recipients import services as recipients
from recipients.models import RecipientPolicy, Review
from tests.cases.conftest import TODAY, investigator, new_draft, walker  # noqa: F401
from tests.cases.factories import make_household, make_standard
from tests.households.factories import household_data, make_policy, member_row
from tests.overlaps import builders
from tests.poverty_registry.conftest import csv_bytes, ident, row

pytestmark = pytest.mark.django_db
SUBSCRIBER = "overlaps.feed.on_changes"


# -- how a check is seen -----------------------------------------------------------------------

def plant_stale_findings(persons) -> dict[int, int]:
    """{person id: id of an open finding only a check of that person closes}."""
    planted = {}
    for person_id in {p if isinstance(p, int) else p.pk for p in persons}:
        flag = OverlapFlag.objects.create(
            rule=RuleCode.DOUBLE_DIBAO, severity=Severity.HIGH, subject_key=f"stale:{person_id}",
            data_fingerprint="stale", division_code="370283101201", last_seen_at=timezone.now())
        flag.persons.add(person_id)
        planted[person_id] = flag.pk
    return planted


def checked(planted: dict[int, int]) -> set[int]:
    closed = set(OverlapFlag.objects.filter(pk__in=planted.values(), status=FlagStatus.CLOSED)
                 .values_list("pk", flat=True))
    return {person_id for person_id, flag_id in planted.items() if flag_id in closed}


def household_persons(household_id) -> set[int]:
    return set(Member.objects.filter(household_id=household_id).values_list("person_id", flat=True))


def registry_persons(registry_household_id) -> set[int]:
    return set(RegistryHousehold.objects.get(pk=registry_household_id).members.values_list("person_id", flat=True))


# -- the writes ----------------------------------------------------------------------------------
# Each takes the fixtures, prepares what it needs and returns (the write, the persons it must check,
# an unrelated person it must not check).

def _case_at(ctx, status, **kw):
    return ctx.walker.to(new_draft(ctx.village_staff, make_household(ctx.village)), status, **kw)


def read(case) -> int:
    """The version a client would have read just before writing."""
    return Case.objects.get(pk=case.pk).version


def _api_transition(user_attr, status, action, body=None):
    def prepare(ctx):
        case = _case_at(ctx, status)
        client = ctx.api(getattr(ctx, user_attr))

        def write():
            response = client.post(f"/api/v1/cases/{case.pk}/{action}/", {**(body or {}), "version": read(case)},
                                   format="json")
            assert response.status_code == 200, response.content
        return write, household_persons(case.household_id)
    return prepare


def _visit_body(ctx, number):
    return {"number": number, "visit_date": str(TODAY), "findings": "属实", "applicant_signed": True,
            "investigators": [ctx.township_staff.pk, ctx.investigator.pk], "verified_monthly_income": "500.00"}


def household_create(ctx):
    rows = [member_row("head", "王大山"), member_row("spouse", "李小花")]
    persons = {person_get_or_create(id_number=r["id_number"], name=r["name"]).pk for r in rows}
    return (lambda: households.household_create(actor=ctx.village_staff, village=ctx.village,
                                                data=household_data(members=rows))), persons


def _existing_household(ctx):
    return households.household_create(
        actor=ctx.village_staff, village=ctx.village,
        data=household_data(members=[member_row("head", "王大山"), member_row("spouse", "李小花")],
                            incomes=[{"kind": "wages", "monthly_amount": "1000", "period_months": 12}],
                            assets=[{"kind": "vehicle", "vehicle_type": "agricultural", "value": "3000"}]))


def _update(ctx, household, **data):
    household.refresh_from_db()
    return households.household_update(actor=ctx.village_staff, household=household, version=household.version,
                                       data=data)


def household_update(ctx):
    household = _existing_household(ctx)
    return (lambda: _update(ctx, household, address="东关村9号")), household_persons(household.pk)


def member_add(ctx):
    household = _existing_household(ctx)
    new = member_row("child", "王小明", birth=date(2010, 3, 1))
    newcomer = person_get_or_create(id_number=new["id_number"], name=new["name"]).pk

    def write():
        household.refresh_from_db()
        households.member_add(actor=ctx.village_staff, household=household, version=household.version, data=new)
    return write, household_persons(household.pk) | {newcomer}


def member_remove(ctx):
    household = _existing_household(ctx)
    spouse = household.members.get(relationship="spouse")

    def write():
        household.refresh_from_db()
        households.member_remove(actor=ctx.village_staff, member=spouse, version=household.version)
    return write, household_persons(household.pk)


def member_update(ctx):
    household = _existing_household(ctx)
    rows = [households.member_row(m) for m in household.members.filter(is_active=True)]
    rows[-1]["name"] = "李晓花"
    return (lambda: _update(ctx, household, members=rows)), household_persons(household.pk)


def income_change(ctx):
    household = _existing_household(ctx)
    income = household.incomes.get()
    rows = [{"id": income.pk, "kind": "wages", "monthly_amount": "1500", "period_months": 12}]
    return (lambda: _update(ctx, household, incomes=rows)), household_persons(household.pk)


def asset_change(ctx):
    household = _existing_household(ctx)
    return (lambda: _update(ctx, household, assets=[])), household_persons(household.pk)


def case_create(ctx):
    household = make_household(ctx.village)
    return (lambda: new_draft(ctx.village_staff, household)), household_persons(household.pk)


def case_update(ctx):
    case = _case_at(ctx, CaseStatus.DRAFT)
    client = ctx.api(ctx.village_staff)

    def write():
        response = client.patch(f"/api/v1/cases/{case.pk}/", {"reason": "因残致贫", "version": read(case)},
                                format="json")
        assert response.status_code == 200, response.content
    return write, household_persons(case.household_id)


def objection(ctx):
    case = _case_at(ctx, CaseStatus.INVESTIGATED)
    client = ctx.api(ctx.county_officer)
    assert client.post(f"/api/v1/cases/{case.pk}/open-notice/", {"version": read(case)},
                       format="json").status_code == 200

    def write():
        response = client.post(f"/api/v1/cases/{case.pk}/objections/", {"content": "有异议", "version": read(case)},
                               format="json")
        assert response.status_code == 200, response.content
    return write, household_persons(case.household_id)


def visit(ctx):
    case = _case_at(ctx, CaseStatus.UNDER_INVESTIGATION)
    client = ctx.api(ctx.township_staff)

    def write():
        response = client.post(f"/api/v1/cases/{case.pk}/visits/", {**_visit_body(ctx, 1), "version": read(case)},
                               format="json")
        assert response.status_code == 200, response.content
    return write, household_persons(case.household_id)


def notice_closed_by_the_beat(ctx):
    case = _case_at(ctx, CaseStatus.IN_NOTICE)
    PublicNotice.objects.filter(case=case).update(starts_on=TODAY - timedelta(days=9), ends_on=TODAY - timedelta(days=2))
    return (lambda: close_due_notices()), household_persons(case.household_id)


def _active_case(ctx, **kw):
    return _case_at(ctx, CaseStatus.ACTIVE)


def recipients_exit(ctx):
    case = _active_case(ctx)
    return (lambda: recipients.case_exit(actor=ctx.county_officer, case=case, kind="death", reason="病故",
                                         effective_month=date(2027, 1, 1))), household_persons(case.household_id)


def recipients_gradual_exit(ctx):
    case = _active_case(ctx)
    return (lambda: recipients.case_exit(actor=ctx.county_officer, case=case, kind="income_above_line",
                                         reason="务工收入", effective_month=date(2027, 1, 1),
                                         on_poverty_roster=False)), household_persons(case.household_id)


def gradual_exit_ends(ctx):
    case = _active_case(ctx)
    recipients.case_exit(actor=ctx.county_officer, case=case, kind="income_above_line", reason="务工收入",
                         effective_month=date(2027, 1, 1), on_poverty_roster=False)
    return (lambda: recipients.gradual_exits_close(today=date(2028, 1, 1))), household_persons(case.household_id)


def _due_review(ctx):
    case = _active_case(ctx)
    Case.objects.filter(pk=case.pk).update(first_payment_month=date(2026, 1, 1), category="C")
    recipients.reviews_create_due(today=date(2026, 7, 1))
    return case, Review.objects.get(case=case)


def review_adjusts_the_amount(ctx):
    case, review = _due_review(ctx)

    def adjust():
        done = recipients.review_complete(
            actor=ctx.county_officer, review=review, outcome="adjust", findings="妻子务工",
            verified_per_capita_income="300.00", today=date(2026, 7, 3), override_reason_kind="medical",
            override_reason="户主住院，自付医疗费每月约八百元")
        if done.awaiting_second_approval:  # a raise: the second officer's confirmation changes the case
            recipients.review_confirm_amount(actor=ctx.county_officer2, review=done, today=date(2026, 7, 3))
    return adjust, household_persons(case.household_id)


def review_ends_in_an_exit(ctx):
    case, review = _due_review(ctx)
    return (lambda: recipients.review_complete(
        actor=ctx.county_officer, review=review, outcome="exit", findings="已迁出", exit_kind="moved_away",
        exit_reason="迁往外省", today=date(2026, 7, 3))), household_persons(case.household_id)


def _members(*numbers):
    return [{"id_number": ident(n), "name": f"成员{n}", "relationship": "户主" if i == 0 else "子女", "is_head": i == 0}
            for i, n in enumerate(numbers)]


def registration_create(ctx):
    members = _members(501, 502)
    persons = {person_get_or_create(id_number=m["id_number"], name=m["name"]).pk for m in members}
    return (lambda: registry.registration_create(
        actor=ctx.county_officer, year=2025, registry_code="R1", division_code=ctx.village.code,
        status="registered", annual_income_per_capita=Decimal("5000"), members=members)), persons


def _registration(ctx):
    return registry.registration_create(
        actor=ctx.county_officer, year=2025, registry_code="R1", division_code=ctx.village.code, status="registered",
        annual_income_per_capita=Decimal("5000"), members=_members(501, 502))


def registration_update(ctx):
    household = _registration(ctx)
    return (lambda: registry.registration_update(actor=ctx.county_officer, household=household,
                                                 annual_income_per_capita=Decimal("9000"))), \
        registry_persons(household.pk)


def registration_member_leaves(ctx):
    household = _registration(ctx)
    persons = registry_persons(household.pk)  # the one who leaves too
    return (lambda: registry.registration_update(actor=ctx.county_officer, household=household,
                                                 members=_members(501))), persons


def _upload(ctx, rows):
    """The upload; its job runs after the commit (eager Celery), as a worker would run it."""
    def write():
        job = import_start(actor=ctx.county_officer, uploaded=SimpleUploadedFile("registry.csv", csv_bytes(rows)))
        ctx.jobs.append(job.pk)
    return write


def registry_import_creates(ctx):
    rows = [row(601, code="F1"), row(602, code="F1", head=False, relationship="子女")]
    persons = {person_get_or_create(id_number=ident(n), name=f"成员{n}").pk for n in (601, 602)}
    return _upload(ctx, rows), persons


def _imported(ctx):
    rows = [row(601, code="F1"), row(602, code="F1", head=False, relationship="子女")]
    job = import_start(actor=ctx.county_officer, uploaded=SimpleUploadedFile("registry.csv", csv_bytes(rows)))
    registry.import_run(job_id=job.pk)  # at once: the write below needs its rows (the queued run then finds it done)
    return RegistryHousehold.objects.get(registry_code="F1")


def registry_import_updates(ctx):
    household = _imported(ctx)
    rows = [row(601, code="F1", income="9000"), row(602, code="F1", head=False, relationship="子女", income="9000")]
    return _upload(ctx, rows), registry_persons(household.pk)


def registry_import_drops_a_member(ctx):
    """The member leaves when the officer confirms the removal the re-import listed (poverty_registry.removals)."""
    household = _imported(ctx)
    job = import_start(actor=ctx.county_officer, uploaded=SimpleUploadedFile("registry.csv", csv_bytes([row(601, code="F1")])))
    registry.import_run(job_id=job.pk)
    ctx.jobs.append(job.pk)
    return (lambda: import_removals_confirm(actor=ctx.county_officer, job_id=job.pk)), registry_persons(household.pk)


WRITES = {
    "household_create": household_create,
    "household_update": household_update,
    "member_add": member_add,
    "member_remove": member_remove,
    "member_update": member_update,
    "income_change": income_change,
    "asset_change": asset_change,
    "case_create": case_create,
    "case_update": case_update,
    "submit": _api_transition("village_staff", CaseStatus.DRAFT, "submit"),
    "return": _api_transition("county_officer", CaseStatus.SUBMITTED, "return", {"reasons": "缺材料"}),
    "accept": _api_transition("county_officer", CaseStatus.SUBMITTED, "accept"),
    "visits": visit,
    "extend": _api_transition("county_officer", CaseStatus.UNDER_INVESTIGATION, "extend", {"reason": "材料待补"}),
    "open_notice": _api_transition("county_officer", CaseStatus.INVESTIGATED, "open-notice"),
    "objection": objection,
    "reinvestigate": _api_transition("county_officer", CaseStatus.INVESTIGATED, "reinvestigate",
                                     {"reason": "接到举报"}),
    "end_notice": _api_transition("county_officer", CaseStatus.IN_NOTICE, "end-notice"),
    "end_notice_by_the_beat": notice_closed_by_the_beat,
    "approve": _api_transition("county_officer2", CaseStatus.AWAITING_DECISION, "approve", {"category": "B"}),
    "reject": _api_transition("county_officer2", CaseStatus.AWAITING_DECISION, "reject", {"reason": "收入超标"}),
    "withdraw": _api_transition("village_staff", CaseStatus.DRAFT, "withdraw", {"reason": "申请人撤回"}),
    "exit_through_the_workflow": _api_transition("county_officer", CaseStatus.ACTIVE, "exit",
                                                 {"reason": "病故", "kind": "death"}),
    "gradual_exit_through_the_workflow": _api_transition("county_officer", CaseStatus.ACTIVE, "exit",
                                                         {"reason": "务工收入", "kind": "income_above_line"}),
    "recipients_exit": recipients_exit,
    "recipients_gradual_exit": recipients_gradual_exit,
    "gradual_exit_ends": gradual_exit_ends,
    "review_adjusts_the_amount": review_adjusts_the_amount,
    "review_ends_in_an_exit": review_ends_in_an_exit,
    "registration_create": registration_create,
    "registration_update": registration_update,
    "registration_member_leaves": registration_member_leaves,
    "registry_import_creates": registry_import_creates,
    "registry_import_updates": registry_import_updates,
    "registry_import_drops_a_member": registry_import_drops_a_member,
}


@pytest.fixture
def ctx(api, walker, village, county, village_staff, township_staff, county_officer, county_officer2,  # noqa: F811
        investigator, settings, tmp_path):  # noqa: F811
    settings.VAR_DIR = tmp_path
    make_standard(county, Decimal("784"), date(2020, 1, 1))
    make_policy(county, start=date(2020, 1, 1))
    RecipientPolicy.objects.create(county=county, effective_from="2020-01-01", review_months_a=12,
                                   review_months_b=12, review_months_c=6,
                                   gradual_exit_schedule=[100, 100, 80, 80, 60, 60],
                                   gradual_exit_schedule_poverty_roster=[100] * 12)
    return SimpleNamespace(api=api, walker=walker, village=village, county=county, village_staff=village_staff,
                           township_staff=township_staff, county_officer=county_officer,
                           county_officer2=county_officer2, investigator=investigator, jobs=[])


def _prepare(name, ctx, capture):
    """Prepare a write as committed history (its own feed messages delivered), then plant the findings."""
    with capture(execute=True):
        write, persons = WRITES[name](ctx)
    bystander = builders.person(name="旁人")
    assert persons, name
    return write, persons, plant_stale_findings({*persons, bystander.pk}), bystander.pk


@pytest.mark.parametrize("name", list(WRITES))
def test_every_write_leads_to_a_check_of_its_persons(name, ctx, django_capture_on_commit_callbacks):
    write, persons, planted, bystander = _prepare(name, ctx, django_capture_on_commit_callbacks)
    first = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with django_capture_on_commit_callbacks(execute=True):
        write()
        assert checked(planted) == set()  # nothing before the commit
    assert checked(planted) == persons  # everyone involved, and only them
    delivered = OutboxMessage.objects.filter(pk__gt=first, task_name=DELIVER_TASK)
    assert delivered.exists() and all(m.args[0] == SUBSCRIBER and m.sent_at for m in delivered)
    assert bystander not in checked(planted)
    assert not Job.objects.filter(pk__in=ctx.jobs).exclude(status="succeeded").exists()


@pytest.mark.parametrize("name", list(WRITES))
def test_without_the_subscriber_in_settings_no_write_is_checked(name, ctx, settings,
                                                               django_capture_on_commit_callbacks):
    write, persons, planted, _bystander = _prepare(name, ctx, django_capture_on_commit_callbacks)
    settings.CHANGE_FEED_SUBSCRIBERS = []
    first = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with django_capture_on_commit_callbacks(execute=True):
        write()
    assert checked(planted) == set()
    assert not OutboxMessage.objects.filter(pk__gt=first, task_name=DELIVER_TASK).exists()


def test_the_shared_registry_subscribes_in_settings(settings):
    assert SUBSCRIBER in settings.CHANGE_FEED_SUBSCRIBERS


# -- the feed itself -----------------------------------------------------------------------------

def _messages():
    return list(OutboxMessage.objects.filter(task_name=DELIVER_TASK).order_by("pk").values_list("args", flat=True))


@pytest.mark.django_db(transaction=True)
class TestOneMessagePerTransaction:
    def test_many_events_in_one_transaction_are_one_message_per_subscriber(self, village, village_staff, settings):
        settings.CHANGE_FEED_SUBSCRIBERS = [SUBSCRIBER, "tests.overlaps.test_feed.everything"]
        with transaction.atomic():
            # household_create alone records an event per member and per income row.
            household = households.household_create(
                actor=village_staff, village=village,
                data=household_data(members=[member_row("head", "王大山"), member_row("spouse", "李小花")],
                                    incomes=[{"kind": "wages", "monthly_amount": "900", "period_months": 12}]))
            feed.changed("households.household", [household.pk])  # the same object again: nothing new
            feed.changed("households.person", [7, 8])
            feed.changed("accounts.division", [village.pk])  # not a type the shared registry takes
        assert _messages() == [
            [SUBSCRIBER, [["households.household", str(household.pk)], ["households.person", "7"],
                          ["households.person", "8"]]],
            ["tests.overlaps.test_feed.everything",
             [["households.household", str(household.pk)], ["households.person", "7"], ["households.person", "8"],
              ["accounts.division", str(village.pk)]]],
        ]

    def test_each_transaction_has_its_own_message(self):
        with transaction.atomic():
            feed.changed("households.person", [1])
        with transaction.atomic():
            feed.changed("households.person", [2])
        assert [args[1] for args in _messages()] == [[["households.person", "1"]], [["households.person", "2"]]]

    def test_a_rolled_back_savepoint_takes_its_changes_and_the_message_stays_right(self):
        with transaction.atomic():
            try:
                with transaction.atomic():
                    feed.changed("households.person", [1])  # the message is written here...
                    raise RuntimeError
            except RuntimeError:
                pass  # ...and rolled back with the savepoint
            feed.changed("households.person", [2])
            with transaction.atomic():
                feed.changed("households.person", [3])
            try:
                with transaction.atomic():
                    feed.changed("households.person", [4])
                    raise RuntimeError
            except RuntimeError:
                pass
            feed.changed("households.person", [4])  # changed again after the rollback: it counts
        assert [args[1] for args in _messages()] == [
            [["households.person", "2"], ["households.person", "3"], ["households.person", "4"]]]

    def test_a_rolled_back_transaction_sends_nothing_and_the_next_starts_afresh(self):
        with pytest.raises(RuntimeError), transaction.atomic():
            feed.changed("households.person", [1])
            raise RuntimeError
        with transaction.atomic():
            feed.changed("households.person", [2])
        assert [args[1] for args in _messages()] == [[["households.person", "2"]]]

    def test_a_message_for_a_subscriber_no_longer_in_settings_is_dropped(self, settings, double_dibao):
        person = double_dibao
        settings.CHANGE_FEED_SUBSCRIBERS = []
        assert deliver(SUBSCRIBER, [["households.person", str(person.pk)]]) is None
        assert not OverlapFlag.objects.exists()
        settings.CHANGE_FEED_SUBSCRIBERS = [SUBSCRIBER]
        assert deliver(SUBSCRIBER, [["households.person", str(person.pk)]])[RuleCode.DOUBLE_DIBAO] == 1
        assert OverlapFlag.objects.get().rule == RuleCode.DOUBLE_DIBAO


def everything(changes):
    """A subscriber without object_types: it gets every change."""


@pytest.fixture
def double_dibao(village, other_village, county_officer):
    p = builders.person()
    h1, h2 = builders.household(village, [p]), builders.household(other_village, [builders.person(name="李四")])
    builders.member(h2, p, is_active=False)
    builders.case(h1, county_officer)
    builders.case(h2, county_officer, status="submitted")
    return p


def test_a_subscriber_that_does_not_import_fails_the_system_check(settings):
    assert [e.id for e in checks.run_checks() if e.id.startswith("audit.")] == []
    settings.CHANGE_FEED_SUBSCRIBERS = [SUBSCRIBER, "overlaps.feed.no_such_function", "overlaps.feed.CASE"]
    assert [e.id for e in checks.run_checks() if e.id.startswith("audit.")] == ["audit.E001", "audit.E002"]
