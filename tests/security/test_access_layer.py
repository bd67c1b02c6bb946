"""The access layer: each app's `access_<thing>_by_id(actor, id, *, for_update=False)`.

For every access function: a row in the actor's area comes back; a row outside it and a missing id are
the same NotFound; `for_update` holds a PostgreSQL row lock until the transaction ends. Through HTTP, a
missing id and another county's id give byte-for-byte the same 404 body, on the pages and in the API.
The actor is the county officer of the world's own county: "own" and "other_village" are in its area,
"other_county" is not.
"""

import re
import threading
import uuid

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from rest_framework.test import APIClient

from accounts.selectors import access_division_by_code
from cases.selectors import access_case_by_id
from dibao.errors import NotFound
from evidence.selectors import complaint_for_user, document_for_user
from households.selectors import access_household_by_id
from overlaps.selectors import access_flag_by_id
from poverty_registry.selectors import access_registration_by_id
from recipients.selectors import access_review_by_id, access_roll_by_id

MISSING = 10**9

# name -> (access function, the id of the world's row of a scope, an id nothing has)
ACCESS = {
    "household": (access_household_by_id, lambda w, s: w.household[s].pk, MISSING),
    "case": (access_case_by_id, lambda w, s: w.case[s].pk, MISSING),
    "registration": (access_registration_by_id, lambda w, s: w.registration[s].pk, MISSING),
    "review": (access_review_by_id, lambda w, s: w.review[s].pk, MISSING),
    "roll": (access_roll_by_id, lambda w, s: w.roll[s].pk, MISSING),
    "flag": (access_flag_by_id, lambda w, s: w.flag[s].pk, MISSING),
    "division": (access_division_by_code, lambda w, s: w.division[s].code, "379999999999"),
    "document": (document_for_user, lambda w, s: w.document[s].uuid, uuid.UUID(int=1)),
    "complaint": (complaint_for_user, lambda w, s: w.complaint[s].pk, MISSING),
}
LOCKABLE = ("household", "case", "registration", "review", "roll", "flag")


def _refusal(call):
    with pytest.raises(NotFound) as exc:
        call()
    return type(exc.value), exc.value.status_code, exc.value.code, str(exc.value)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ACCESS)
def test_in_scope_found_out_of_scope_and_missing_the_same_not_found(world, name):
    access, key, missing = ACCESS[name]
    officer = world.users["county_officer"]
    for scope in ("own", "other_village"):
        row = access(officer, key(world, scope))
        assert row.pk == getattr(world, name)[scope].pk
    outside = _refusal(lambda: access(officer, key(world, "other_county")))
    absent = _refusal(lambda: access(officer, missing))
    assert outside == absent == (NotFound, 404, "not_found", str(NotFound().message))
    # A malformed id is the same answer, never a 500.
    assert _refusal(lambda: access(officer, "x; drop")) == absent
    # The admin sees every area; a village's staff only their village.
    assert access(world.users["admin"], key(world, "other_county")).pk == getattr(world, name)["other_county"].pk


@pytest.mark.django_db
def test_village_staff_get_not_found_for_the_next_village(world):
    staff = world.users["village_staff"]
    assert access_household_by_id(staff, world.household["own"].pk).pk == world.household["own"].pk
    with pytest.raises(NotFound):
        access_household_by_id(staff, world.household["other_village"].pk)
    with pytest.raises(NotFound):
        access_case_by_id(staff, world.case["other_village"].pk)


def _locked_elsewhere(model, pk) -> bool:
    """Whether another connection finds the row locked (FOR UPDATE NOWAIT fails at once)."""
    outcome = {}

    def probe():
        try:
            with transaction.atomic():
                list(model.objects.select_for_update(nowait=True).filter(pk=pk))
            outcome["locked"] = False
        except DatabaseError:
            outcome["locked"] = True
        finally:
            connection.close()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join(timeout=30)
    return outcome["locked"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", LOCKABLE)
def test_for_update_locks_the_row_until_the_transaction_ends(world, name):
    access, key, _missing = ACCESS[name]
    officer = world.users["county_officer"]
    with transaction.atomic():
        row = access(officer, key(world, "own"), for_update=True)
        assert _locked_elsewhere(type(row), row.pk)
    assert not _locked_elsewhere(type(row), row.pk)
    with transaction.atomic():
        row = access(officer, key(world, "own"))
        assert not _locked_elsewhere(type(row), row.pk)


PAGES = {
    "household": ("/households/{}/", lambda w, s: w.household[s].pk),
    "case": ("/cases/{}/", lambda w, s: w.case[s].pk),
    "registration": ("/poverty-registry/{}/", lambda w, s: w.registration[s].pk),
    "review": ("/recipients/reviews/{}/", lambda w, s: w.review[s].pk),
    "roll": ("/recipients/payment-rolls/{}/", lambda w, s: w.roll[s].pk),
    "flag": ("/findings/{}/", lambda w, s: w.flag[s].pk),
    "complaint": ("/evidence/complaints/{}/", lambda w, s: w.complaint[s].pk),
}
API = {
    "household": ("/api/v1/households/{}/", lambda w, s: w.household[s].pk),
    "case": ("/api/v1/cases/{}/", lambda w, s: w.case[s].pk),
    "registration": ("/api/v1/poverty-registrations/{}/", lambda w, s: w.registration[s].pk),
    "review": ("/api/v1/reviews/{}/", lambda w, s: w.review[s].pk),
    "roll": ("/api/v1/payment-rolls/{}/", lambda w, s: w.roll[s].pk),
    "flag": ("/api/v1/overlap-flags/{}/", lambda w, s: w.flag[s].pk),
    "complaint": ("/api/v1/complaints/{}/", lambda w, s: w.complaint[s].pk),
    "case-visits": ("/api/v1/cases/{}/visits/", lambda w, s: w.case[s].pk),
}
CSRF = re.compile(rb'(name="csrfmiddlewaretoken" value=|csrf-token" content=|"X-CSRFToken": )"[^"]*"')


def _body(response, path: str) -> bytes:
    """The body without what differs by request anyway: the CSRF token and the path the user asked for
    (the language switcher returns to it)."""
    return CSRF.sub(rb"\1-", response.content).replace(path.encode(), b"PATH")


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_pages_answer_missing_and_out_of_scope_with_the_same_404(world, name):
    path, key = PAGES[name]
    client = Client()
    client.force_login(world.users["county_officer"])
    assert client.get(path.format(key(world, "own"))).status_code == 200
    outside_path, absent_path = path.format(key(world, "other_county")), path.format(MISSING)
    outside, absent = client.get(outside_path), client.get(absent_path)
    assert outside.status_code == absent.status_code == 404
    assert _body(outside, outside_path) == _body(absent, absent_path)


@pytest.mark.django_db
@pytest.mark.parametrize("name", API)
def test_api_answers_missing_and_out_of_scope_with_the_same_404(world, name):
    path, key = API[name]
    client = APIClient()
    client.force_authenticate(world.users["county_officer"])
    method = client.post if path.endswith("visits/") else client.get
    outside = method(path.format(key(world, "other_county")), {}, format="json")
    absent = method(path.format(MISSING), {}, format="json")
    assert outside.status_code == absent.status_code == 404
    assert outside.json() == absent.json() == {"detail": outside.json()["detail"], "code": "not_found"}
    if not path.endswith("visits/"):
        assert method(path.format(key(world, "own")), {}, format="json").status_code == 200


@pytest.mark.django_db
def test_recipients_services_refuse_another_countys_rows_themselves(world):
    """The services scope their rows (callers that forget cannot reach another county): NotFound, nothing changed."""
    from datetime import date

    from recipients import services
    from recipients.models import Review

    officer = world.users["county_officer"]
    review, case, roll = world.review["other_county"], world.active_case["other_county"], world.roll["other_county"]
    before = (Review.objects.filter(case=case).count(), review.version, case.version, roll.version, roll.status)
    refused = [
        lambda: services.review_complete(actor=officer, review=review, outcome="continue", findings="核实"),
        lambda: services.review_report_change(actor=officer, case=case, reported_change="收入变化"),
        lambda: services.case_exit(actor=officer, case=case, kind="death", reason="去世",
                                   effective_month=date(2026, 3, 1)),
        lambda: services.payment_roll_review(actor=officer, roll=roll),
        lambda: services.payment_roll_generate(actor=officer, county=roll.county, month=roll.month),
    ]
    for call in refused:
        with pytest.raises(NotFound):
            call()
    review.refresh_from_db()
    case.refresh_from_db()
    roll.refresh_from_db()
    assert (Review.objects.filter(case=case).count(), review.version, case.version, roll.version,
            roll.status) == before
