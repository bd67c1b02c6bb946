"""The access matrix: every page and API endpoint x every role x (own scope, other village, other county).

Each row names a URL (by its resolver name), a method, what object it targets, which roles may use it
and what they get. The expected status of a cell follows from the row:
- anonymous: pages redirect to the login page (302), the API answers 401;
- a role not in `allowed`: 403 (`deny`); when the view resolves the object before checking the role,
  a role that cannot see the object gets 404 instead (`scope_first=True`);
- an allowed role on an object outside its area: 404 (village staff see one village, township staff
  and county officers their township/county, the city auditor both counties, the admin everything);
- otherwise `ok`.
Writes are sent with an invalid or empty body: allowed cells must reach validation (`ok`, usually 400
or a form page) and every cell, allowed or refused, must leave the database exactly as it was.

`test_every_url_pattern_is_in_the_matrix` fails when a URL name in the resolver has no row.
"""

import re
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from accounts.models import Division, User
from audit.models import AuditEvent
from cases.models import Case
from evidence.models import Complaint, Document
from households.models import Household, IncomeItem, Member, Standard
from jobs.models import Job
from overlaps.models import OverlapFlag
from poverty_registry.models import RegistryHousehold, RegistryMember
from recipients.models import PaymentLine, PaymentRoll, Review
from reports.models import Export
from tests.security.conftest import ROLES, SCOPES

pytestmark = pytest.mark.django_db

ALL = frozenset({"village_staff", "township_staff", "county_officer", "auditor", "admin"})
# The security and audit administrators have no area (三员分立: they administer, they do not read case
# data). A business row refuses them (403), or, where the view looks the object up first, finds nothing
# (404), or lists nothing (tests/security/test_gbt22239_three_admins.py checks the lists are empty).
NO_AREA = frozenset({"security_admin", "audit_admin"})
EVERYONE = ALL | NO_AREA
WRITERS = frozenset({"village_staff", "township_staff", "county_officer", "admin"})
OFFICER = frozenset({"county_officer", "admin"})
ADMIN = frozenset({"admin"})
AUDIT = frozenset({"auditor", "audit_admin"})  # not the system administrator (三员分立)
USER_ADMINS = frozenset({"admin", "security_admin"})
SECURITY = frozenset({"security_admin"})
OFFICIALS = frozenset({"county_officer", "auditor", "admin"})
ENTRY = frozenset({"village_staff", "township_staff", "admin"})
VISITORS = frozenset({"township_staff", "county_officer", "admin"})

SEES = {
    "village_staff": {"own"},
    "township_staff": {"own", "other_village"},
    "county_officer": {"own", "other_village"},
    "auditor": {"own", "other_village", "other_county"},
    "admin": {"own", "other_village", "other_county"},
    "security_admin": set(),
    "audit_admin": set(),
}

# URL names that are deliberately outside the matrix, with the reason (tested elsewhere).
NOT_IN_MATRIX = {
    "login": "open page; tests/accounts/test_web.py",
    "logout": "POST only, ends the session; tests/accounts/test_web.py",
    "set_language": "open; tests/accounts/test_web.py::TestLanguage",
    "api-token": "open; tests/accounts (lockout) and tests/security/test_hardening.py",
    "schema": "open by design (the OpenAPI document)",
    "api-docs": "open by design (Swagger UI)",
    "healthz": "open liveness probe, no data; tests/ops/test_health.py",
    "readyz": "open readiness probe, check outcomes only; tests/ops/test_health.py",
    "metrics": "own bearer credential (METRICS_TOKEN), no user session; tests/ops/test_metrics.py",
}


@dataclass(frozen=True)
class Row:
    name: str  # URL name in the resolver
    method: str
    path: object  # callable(world, scope) -> str, or a str
    allowed: frozenset = ALL
    ok: int = 200
    target: bool = True  # the URL names one object (three scopes); False: lists/forms (own scope only)
    deny: int = 403
    scope_first: bool = False
    data: dict = field(default_factory=dict)
    api: bool = False
    ok_other: int | None = None  # allowed role, object out of its area (default 404)
    fmt: str = "json"
    mutates: bool = False  # allowed cells may change the database (refused cells never)
    expect: object = None  # callable(role, scope) -> set of statuses, for rules the table cannot say


def _ok(value) -> set[int]:
    return set(value) if isinstance(value, (set, frozenset, tuple)) else {value}


def export_owner_only(role: str, scope: str) -> set[int]:
    """An export is visible only to the user who asked for it (the county officer of its county here)."""
    return {200} if role == "county_officer" and scope in ("own", "other_village") else {404}


def job_owner_only(role: str, scope: str) -> set[int]:
    """A job is visible to whoever started it (the village staff of its village here) and admins."""
    return {200} if role == "admin" or (role == "village_staff" and scope == "own") else {404}


def audit_reader(role: str, scope: str) -> set[int]:
    """Auditors read their area's audit log (the city auditor: all three scopes here), the audit
    administrator every event; nobody else, not the system administrator either."""
    return {200} if role in AUDIT else {403}


def user_admin_only(ok: int):
    """The system and security administrators see every account; the other roles are refused (403)."""
    return lambda role, scope: {ok} if role in USER_ADMINS else {403}


def security_admin_only(ok: int):
    """Roles and passwords of accounts are the security administrator's; even the system administrator gets 403."""
    return lambda role, scope: {ok} if role == "security_admin" else {403}


def api(name, method, path, **kw):
    return Row(name, method, path, api=True, **kw)


ROWS = [
    # --- pages ---------------------------------------------------------------------------------------------
    Row("home", "GET", "/", allowed=EVERYONE, target=False),
    Row("households:list", "GET", "/households/", target=False),
    Row("help", "GET", "/help/", target=False),
    Row("help_role", "GET", "/help/county_officer/", target=False),
    # The cascading division picker's next level: the children of a division in the user's area.
    Row("division_options", "GET", lambda w, s: f"/divisions/options/?division={w.division[s].code}"),
    Row("households:create", "GET", "/households/new/", allowed=WRITERS, target=False),
    Row("households:create", "POST", "/households/new/", allowed=WRITERS, ok=400, target=False,
        data={"address": ""}),
    Row("households:detail", "GET", lambda w, s: f"/households/{w.household[s].pk}/"),
    Row("households:edit", "GET", lambda w, s: f"/households/{w.household[s].pk}/edit/", allowed=WRITERS,
        scope_first=True),
    Row("households:edit", "POST", lambda w, s: f"/households/{w.household[s].pk}/edit/", allowed=WRITERS,
        ok=400, scope_first=True, data={"address": ""}),
    Row("evidence:documents", "GET", lambda w, s: f"/evidence/documents/household/{w.household[s].pk}/"),
    Row("evidence:documents_panel", "GET", lambda w, s: f"/evidence/panel/household/{w.household[s].pk}/"),
    Row("evidence:upload", "POST", lambda w, s: f"/evidence/upload/household/{w.household[s].pk}/",
        allowed=WRITERS, ok=200, data={"document_type": "other"}),
    Row("evidence:document_file", "GET", lambda w, s: f"/evidence/file/{w.document[s].uuid}/"),
    Row("evidence:document_thumbnail", "GET", lambda w, s: f"/evidence/file/{w.document[s].uuid}/thumbnail/",
        ok=404),  # a PDF has no thumbnail: 404 for everyone
    Row("evidence:document_delete", "POST", lambda w, s: f"/evidence/file/{w.document[s].uuid}/delete/",
        allowed=ALL, ok=302, data={}),  # no reason given: redirected back with an error, nothing removed
    Row("evidence:complaints", "GET", "/evidence/complaints/", target=False),
    Row("evidence:complaint_create", "GET", "/evidence/complaints/new/", allowed=OFFICER, target=False),
    Row("evidence:complaint_create", "POST", "/evidence/complaints/new/", allowed=OFFICER, target=False,
        data={"text": ""}),
    Row("evidence:complaint_detail", "GET", lambda w, s: f"/evidence/complaints/{w.complaint[s].pk}/"),
    Row("evidence:complaint_action", "POST", lambda w, s: f"/evidence/complaints/{w.complaint[s].pk}/resolve/",
        allowed=OFFICER, ok=302, scope_first=True, data={}),
    Row("poverty_registry:list", "GET", "/poverty-registry/", target=False),
    Row("poverty_registry:import", "GET", "/poverty-registry/import/", allowed=OFFICER, target=False),
    Row("poverty_registry:import", "POST", "/poverty-registry/import/", allowed=OFFICER, target=False, data={}),
    Row("poverty_registry:detail", "GET", lambda w, s: f"/poverty-registry/{w.registration[s].pk}/"),
    Row("poverty_registry:import_removals_confirm", "POST",
        lambda w, s: f"/poverty-registry/import/{w.import_job[s].pk}/removals/confirm/", allowed=OFFICER, ok=302),
    Row("poverty_registry:template", "GET", "/poverty-registry/import/template.xlsx", allowed=OFFICIALS,
        target=False),
    Row("golive:index", "GET", "/golive/", allowed=OFFICIALS, target=False),
    Row("golive:index", "POST", "/golive/", allowed=OFFICER, ok=400, target=False, data={}),
    Row("golive:template", "GET", "/golive/template.xlsx", allowed=OFFICIALS, target=False),
    Row("golive:export", "GET", "/golive/roster.xlsx", allowed=OFFICIALS, target=False),
    Row("golive:batch", "GET", lambda w, s: f"/golive/{w.batch[s].pk}/", allowed=OFFICIALS),
    Row("golive:errors", "GET", lambda w, s: f"/golive/{w.batch[s].pk}/errors.csv", allowed=OFFICIALS),
    # The batches are checking (a dry run under way): confirm, undo and discard are refused with a message (409).
    Row("golive:confirm", "POST", lambda w, s: f"/golive/{w.batch[s].pk}/confirm/", allowed=OFFICER, ok=409,
        data={"version": 1}),
    Row("golive:undo", "POST", lambda w, s: f"/golive/{w.batch[s].pk}/undo/", allowed=OFFICER, ok=409,
        data={"version": 1}),
    Row("golive:discard", "POST", lambda w, s: f"/golive/{w.batch[s].pk}/discard/", allowed=OFFICER, ok=409,
        data={"version": 1}),
    Row("jobs:detail", "GET", lambda w, s: f"/jobs/{w.job[s].pk}/", expect=job_owner_only),
    Row("jobs:download", "GET", lambda w, s: f"/jobs/{w.job[s].pk}/download/", expect=job_owner_only),
    # --- API -----------------------------------------------------------------------------------------------
    api("api-me", "GET", "/api/v1/me/", allowed=EVERYONE, target=False),
    api("division-list", "GET", "/api/v1/divisions/", target=False),
    api("division-list", "POST", "/api/v1/divisions/", allowed=ADMIN, ok=400, target=False, data={"code": "1"}),
    api("division-detail", "GET", lambda w, s: f"/api/v1/divisions/{w.division[s].code}/"),
    api("user-list", "GET", "/api/v1/users/", allowed=USER_ADMINS, target=False),
    api("user-list", "POST", "/api/v1/users/", allowed=ADMIN, ok=400, target=False,
        data={"username": "new", "password": "123", "role": "auditor"}),
    api("user-detail", "GET", lambda w, s: f"/api/v1/users/{w.user[s].pk}/", expect=user_admin_only(200)),
    api("user-role", "POST", lambda w, s: f"/api/v1/users/{w.user[s].pk}/role/", data={},
        expect=security_admin_only(400)),
    api("user-password", "POST", lambda w, s: f"/api/v1/users/{w.user[s].pk}/password/", data={"password": "1"},
        expect=security_admin_only(400)),
    api("user-active", "POST", lambda w, s: f"/api/v1/users/{w.user[s].pk}/active/", data={},
        expect=user_admin_only(400)),
    api("user-revoke-tokens", "POST", lambda w, s: f"/api/v1/users/{w.user[s].pk}/revoke-tokens/",
        expect=security_admin_only(200)),
    # Signing out and the owner's own tokens: every signed-in role (a logout is an audit event).
    api("api-logout", "POST", "/api/v1/auth/logout/", allowed=EVERYONE, target=False, ok=204, mutates=True),
    api("api-logout-all", "POST", "/api/v1/auth/logout-all/", allowed=EVERYONE, target=False, ok=204, mutates=True),
    api("api-tokens", "GET", "/api/v1/auth/tokens/", allowed=EVERYONE, target=False),
    api("api-token-detail", "DELETE", "/api/v1/auth/tokens/0123456789abcdef/", allowed=EVERYONE, target=False, ok=404),
    api("api-lockouts", "GET", "/api/v1/auth/lockouts/", allowed=SECURITY, target=False),
    api("api-lockouts", "POST", "/api/v1/auth/lockouts/", allowed=SECURITY, target=False, ok=400, data={}),
    api("access-log-list", "GET", "/api/v1/access-logs/", allowed=AUDIT, target=False),
    api("access-log-detail", "GET", "/api/v1/access-logs/999999/", allowed=AUDIT, target=False, ok=404),
    api("api-household-list", "GET", "/api/v1/households/", target=False),
    api("api-household-list", "POST", "/api/v1/households/", allowed=WRITERS, ok=400, target=False,
        data={"members": []}),
    api("api-household-detail", "GET", lambda w, s: f"/api/v1/households/{w.household[s].pk}/"),
    # Full values need a purpose from the list and a note: an empty body is refused (400) after the scope.
    api("api-household-reveal", "POST", lambda w, s: f"/api/v1/households/{w.household[s].pk}/reveal/",
        ok=400, data={}),
    api("api-household-search", "POST", "/api/v1/households/search/", target=False, ok=400, data={}),
    api("api-household-detail", "PATCH", lambda w, s: f"/api/v1/households/{w.household[s].pk}/",
        allowed=WRITERS, ok=400, data={"address": "改过的地址"}),  # no version: 400
    api("api-household-detail", "PUT", lambda w, s: f"/api/v1/households/{w.household[s].pk}/",
        allowed=ALL, ok=405, target=False, data={"address": "改过的地址"}),  # not offered: PATCH only
    api("api-standard-list", "GET", "/api/v1/standards/", target=False),
    api("api-standard-list", "POST", "/api/v1/standards/", allowed=OFFICER, ok=400, target=False,
        data={"monthly_amount": "-1"}),
    api("document-list", "GET", "/api/v1/documents/", target=False),
    api("document-list", "POST", "/api/v1/documents/", allowed=WRITERS, ok=400, target=False, data={}),
    api("document-detail", "GET", lambda w, s: f"/api/v1/documents/{w.document[s].uuid}/"),
    api("document-detail", "DELETE", lambda w, s: f"/api/v1/documents/{w.document[s].uuid}/", allowed=WRITERS,
        ok=400, data={}),  # a reason is required
    api("api-document-download", "GET", lambda w, s: f"/api/v1/documents/{w.document[s].uuid}/download/"),
    api("complaint-list", "GET", "/api/v1/complaints/", target=False),
    api("complaint-list", "POST", "/api/v1/complaints/", allowed=OFFICER, ok=400, target=False, data={}),
    api("complaint-detail", "GET", lambda w, s: f"/api/v1/complaints/{w.complaint[s].pk}/"),
    api("complaint-assign", "POST", lambda w, s: f"/api/v1/complaints/{w.complaint[s].pk}/assign/",
        allowed=OFFICER, ok=400, data={}),
    api("complaint-investigate", "POST", lambda w, s: f"/api/v1/complaints/{w.complaint[s].pk}/investigate/",
        allowed=OFFICER, ok={200, 409}, mutates=True, data={}),  # the first call starts it, the next is 409
    api("complaint-resolve", "POST", lambda w, s: f"/api/v1/complaints/{w.complaint[s].pk}/resolve/",
        allowed=OFFICER, ok=400, data={}),
    api("poverty-registration-list", "GET", "/api/v1/poverty-registrations/", target=False),
    api("poverty-registration-list", "POST", "/api/v1/poverty-registrations/", allowed=OFFICER, ok=400,
        target=False, data={}),
    api("poverty-registration-detail", "GET", lambda w, s: f"/api/v1/poverty-registrations/{w.registration[s].pk}/"),
    api("poverty-registration-detail", "PATCH",
        lambda w, s: f"/api/v1/poverty-registrations/{w.registration[s].pk}/", allowed=OFFICER, ok=400,
        data={"status": "nonsense"}),
    api("api-poverty-registry-import", "POST", "/api/v1/poverty-registrations/imports/", allowed=OFFICER, ok=400,
        target=False, data={}, fmt="multipart"),
    api("api-poverty-registry-import-removals", "GET",
        lambda w, s: f"/api/v1/poverty-registrations/imports/{w.import_job[s].pk}/removals/", allowed=OFFICER),
    api("api-poverty-registry-import-removals-confirm", "POST",
        lambda w, s: f"/api/v1/poverty-registrations/imports/{w.import_job[s].pk}/removals/confirm/",
        allowed=OFFICER, ok=409),
    api("api-job", "GET", lambda w, s: f"/api/v1/jobs/{w.job[s].pk}/", expect=job_owner_only),
    api("api-roster-import", "POST", "/api/v1/roster-imports/", allowed=OFFICER, ok=400, target=False, data={},
        fmt="multipart"),
    api("api-roster-batch", "GET", lambda w, s: f"/api/v1/roster-imports/{w.batch[s].pk}/", allowed=OFFICIALS),
    api("api-roster-confirm", "POST", lambda w, s: f"/api/v1/roster-imports/{w.batch[s].pk}/confirm/",
        allowed=OFFICER, ok=409, data={"version": 1}),
    api("api-roster-undo", "POST", lambda w, s: f"/api/v1/roster-imports/{w.batch[s].pk}/undo/",
        allowed=OFFICER, ok=409, data={"version": 1}),
    api("api-roster-discard", "POST", lambda w, s: f"/api/v1/roster-imports/{w.batch[s].pk}/discard/",
        allowed=OFFICER, ok=409, data={"version": 1}),
    api("audit-event-list", "GET", "/api/v1/audit-events/", allowed=AUDIT, target=False),
    api("audit-event-detail", "GET", lambda w, s: f"/api/v1/audit-events/{w.audit_event[s].pk}/",
        expect=audit_reader),
    # --- cases (pages) ----------------------------------------------------------------------------------------
    Row("cases:list", "GET", "/cases/", target=False),
    Row("cases:household_panel", "GET", lambda w, s: f"/cases/household/{w.household[s].pk}/"),
    Row("cases:create", "GET", lambda w, s: f"/cases/new/?household={w.household[s].pk}", allowed=ENTRY),
    Row("cases:create", "POST", lambda w, s: f"/cases/new/?household={w.household[s].pk}", allowed=ENTRY,
        data={"category": "nonsense"}),  # the form comes back with its errors
    Row("cases:detail", "GET", lambda w, s: f"/cases/{w.case[s].pk}/"),
    Row("cases:edit", "GET", lambda w, s: f"/cases/{w.case[s].pk}/edit/", allowed=ENTRY, scope_first=True),
    Row("cases:edit", "POST", lambda w, s: f"/cases/{w.case[s].pk}/edit/", allowed=ENTRY, scope_first=True,
        ok=400, data={"version": "x"}),  # no version read: 400, as the API
    # A draft has no notice and no decision letter yet: 404 for everyone who can see the case.
    Row("cases:notice", "GET", lambda w, s: f"/cases/{w.case[s].pk}/notice/", ok=404),
    Row("cases:letter", "GET", lambda w, s: f"/cases/{w.case[s].pk}/letter/", ok=404),
    Row("cases:visit_record", "GET", lambda w, s: f"/cases/{w.case[s].pk}/documents/visit-record/"),
    Row("cases:review_form", "GET", lambda w, s: f"/cases/{w.case[s].pk}/documents/review-form/"),
    Row("cases:notice_board", "GET", lambda w, s: f"/cases/notice-board/{w.division[s].code}/"),
    Row("cases:blank_form", "GET", "/cases/forms/authorisation/", target=False),
    Row("cases:batch", "POST", "/cases/batch/accept/", allowed=OFFICER, ok=400, target=False, data={}),
    # Workflow pages: outside the area 404, a role that may never take the action 403 (form or not); an action
    # the case's state does not allow sends the allowed role back to the case with the reason; nothing changes.
    Row("cases:action", "GET", lambda w, s: f"/cases/{w.case[s].pk}/submit/", allowed=ENTRY, scope_first=True),
    Row("cases:action", "POST", lambda w, s: f"/cases/{w.case[s].pk}/submit/", allowed=ENTRY,
        scope_first=True, ok=400, data={"version": "x"}),  # no version read: 400 with the reason
    Row("cases:action", "POST", lambda w, s: f"/cases/{w.case[s].pk}/accept/", allowed=OFFICER,
        ok=302, scope_first=True, data={"version": 1}),
    # Recipients' page performs the exit: the case's own action URL sends the officer there.
    Row("cases:action", "GET", lambda w, s: f"/cases/{w.active_case[s].pk}/exit/", allowed=OFFICER, ok=302,
        scope_first=True),
    # --- cases (API) ------------------------------------------------------------------------------------------
    api("case-list", "GET", "/api/v1/cases/", target=False),
    # A role that may not enter applications is refused (403) before the body is read; the others get 400 for {}.
    api("case-list", "POST", "/api/v1/cases/", allowed=ENTRY, ok=400, target=False, data={}),
    api("case-detail", "GET", lambda w, s: f"/api/v1/cases/{w.case[s].pk}/"),
    api("case-detail", "PATCH", lambda w, s: f"/api/v1/cases/{w.case[s].pk}/", allowed=ENTRY, ok=409,
        scope_first=True, data={"version": 99}),  # a stale version
    # Every workflow action on a draft: out of scope 404, a role the transition does not allow 403 (both
    # before the body is read), otherwise the body or the state is refused (400/409).
    *[api(f"case-{name}", "POST", lambda w, s, a=path: f"/api/v1/cases/{w.case[s].pk}/{a}/",
          allowed=allowed, ok={400, 409}, scope_first=True, data={"version": 99})
      for name, path, allowed in (
          ("accept", "accept", OFFICER), ("approve", "approve", OFFICER),
          ("confirm-amount", "confirm-amount", OFFICER),
          ("end-notice", "end-notice", OFFICER), ("extend", "extend", OFFICER),
          ("objections", "objections", OFFICER), ("open-notice", "open-notice", OFFICER),
          ("reinvestigate", "reinvestigate", OFFICER), ("reject", "reject", OFFICER),
          ("return-", "return", OFFICER), ("visits", "visits", VISITORS), ("submit", "submit", ENTRY),
          ("withdraw", "withdraw", WRITERS), ("exit", "exit", OFFICER))],
    # --- recipients ---------------------------------------------------------------------------------------------
    Row("recipients:reviews", "GET", "/recipients/reviews/", allowed=OFFICIALS, target=False),
    Row("recipients:review", "GET", lambda w, s: f"/recipients/reviews/{w.review[s].pk}/", allowed=OFFICIALS),
    Row("recipients:review_start", "GET", "/recipients/reviews/start/", allowed=OFFICER, target=False),
    Row("recipients:review_start", "POST", "/recipients/reviews/start/", allowed=OFFICER, ok=400, target=False,
        data={}),
    # Sent without the version it was read at: 400 (the confirmation itself: tests/recipients/test_review_two_people.py).
    Row("recipients:review_confirm_amount", "POST", lambda w, s: f"/recipients/reviews/{w.review[s].pk}/confirm-amount/",
        allowed=OFFICER, ok=400, data={}),
    Row("recipients:report_change", "GET", lambda w, s: f"/recipients/cases/{w.active_case[s].pk}/report-change/",
        allowed=WRITERS),
    Row("recipients:exit", "GET", lambda w, s: f"/recipients/cases/{w.active_case[s].pk}/exit/", allowed=OFFICER),
    # No exit exists in this world: the role gate (403) and the 404 for a missing exit are what is checked;
    # tests/recipients/test_exits.py covers the notice of a real exit.
    Row("recipients:exit_notice", "GET", "/recipients/exits/999999/notice/", allowed=OFFICIALS, ok=404,
        target=False),
    Row("recipients:payment_rolls", "GET", "/recipients/payment-rolls/", allowed=OFFICIALS, target=False),
    Row("recipients:payment_roll", "GET", lambda w, s: f"/recipients/payment-rolls/{w.roll[s].pk}/",
        allowed=OFFICIALS),
    # Finalising a roll that was not reviewed: back to the roll with the reason as a message.
    Row("recipients:payment_roll_action", "POST", lambda w, s: f"/recipients/payment-rolls/{w.roll[s].pk}/finalise/",
        allowed=OFFICER, ok=302, data={}),
    Row("recipients:payment_roll_export", "GET", lambda w, s: f"/recipients/payment-rolls/{w.roll[s].pk}/export.csv",
        allowed=OFFICIALS),
    api("review-list", "GET", "/api/v1/reviews/", allowed=OFFICIALS, target=False),
    api("review-list", "POST", "/api/v1/reviews/", allowed=WRITERS, ok=400, target=False, data={}),
    api("review-detail", "GET", lambda w, s: f"/api/v1/reviews/{w.review[s].pk}/", allowed=OFFICIALS),
    api("review-complete", "POST", lambda w, s: f"/api/v1/reviews/{w.review[s].pk}/complete/", allowed=OFFICER,
        ok=400, data={}),
    api("review-confirm-amount", "POST", lambda w, s: f"/api/v1/reviews/{w.review[s].pk}/confirm-amount/",
        allowed=OFFICER, ok=400, data={}),
    api("payment-roll-list", "GET", "/api/v1/payment-rolls/", allowed=OFFICIALS, target=False),
    api("payment-roll-list", "POST", "/api/v1/payment-rolls/", allowed=OFFICER, ok=400, target=False, data={}),
    api("payment-roll-detail", "GET", lambda w, s: f"/api/v1/payment-rolls/{w.roll[s].pk}/",
        allowed=OFFICIALS),
    api("payment-roll-lines", "GET", lambda w, s: f"/api/v1/payment-rolls/{w.roll[s].pk}/lines/",
        allowed=OFFICIALS),
    api("payment-roll-export", "GET", lambda w, s: f"/api/v1/payment-rolls/{w.roll[s].pk}/export/?format=csv",
        allowed=OFFICIALS),
    api("payment-roll-review", "POST", lambda w, s: f"/api/v1/payment-rolls/{w.roll[s].pk}/review/",
        allowed=OFFICER, ok=400, data={"version": "x"}),
    api("payment-roll-finalise", "POST", lambda w, s: f"/api/v1/payment-rolls/{w.roll[s].pk}/finalise/",
        allowed=OFFICER, ok={400, 409}, data={}),
    # --- findings -------------------------------------------------------------------------------------------
    Row("overlaps:list", "GET", "/findings/", target=False),
    Row("overlaps:detail", "GET", lambda w, s: f"/findings/{w.flag[s].pk}/"),
    Row("overlaps:watch_list", "GET", "/findings/watch-list/", target=False),
    Row("overlaps:scan", "POST", "/findings/scan/", allowed=OFFICER, ok=302, target=False, mutates=True),
    Row("overlaps:counts", "GET", lambda w, s: f"/findings/counts/household/{w.household[s].pk}/"),
    api("overlap-flag-list", "GET", "/api/v1/overlap-flags/", target=False),
    api("overlap-flag-detail", "GET", lambda w, s: f"/api/v1/overlap-flags/{w.flag[s].pk}/"),
    api("overlap-flag-resolve", "POST", lambda w, s: f"/api/v1/overlap-flags/{w.flag[s].pk}/resolve/",
        allowed=OFFICER, ok=400, data={}),
    api("api-overlap-scans", "POST", "/api/v1/overlap-scans/", allowed=OFFICER, ok={200, 201, 202}, target=False,
        mutates=True),
    # --- reports, exports, audit ------------------------------------------------------------------------
    Row("reports:dashboard", "GET", "/reports/", allowed=OFFICIALS, target=False),
    Row("reports:index", "GET", "/reports/reports/", allowed=OFFICIALS, target=False),
    Row("reports:report", "GET", "/reports/reports/case_register/", allowed=OFFICIALS, target=False),
    Row("reports:export", "POST", "/reports/reports/case_register/export/", allowed=OFFICIALS, target=False,
        ok=302, data={"format": "nonsense"}),  # back to the report with the error
    Row("reports:export_detail", "GET", lambda w, s: f"/reports/exports/{w.export[s].pk}/", expect=export_owner_only),
    # A small export is streamed when asked for and keeps no file: the download link answers 410 Gone.
    Row("reports:export_download", "GET", lambda w, s: f"/reports/exports/{w.export[s].pk}/download/",
        expect=lambda role, scope: {410} if export_owner_only(role, scope) == {200} else {404}),
    api("api-exports", "POST", "/api/v1/exports/", allowed=OFFICIALS, ok=400, target=False,
        data={"report": "nonsense"}),
    api("api-export", "GET", lambda w, s: f"/api/v1/exports/{w.export[s].pk}/", expect=export_owner_only),
    api("api-export-download", "GET", lambda w, s: f"/api/v1/exports/{w.export[s].pk}/download/",
        expect=lambda role, scope: {409, 410} if export_owner_only(role, scope) == {200} else {404}),
    Row("audit:list", "GET", "/audit/", allowed=AUDIT, target=False),
    Row("audit:object_history", "GET", lambda w, s: f"/audit/history/household/{w.household[s].pk}/",
        expect=audit_reader),
    # --- sign-in security (accounts/security_views.py) ----------------------------------------------------
    # Without an enrolled authenticator the code page sends to enrolment.
    Row("otp_verify", "GET", "/accounts/otp/", allowed=EVERYONE, target=False, ok=302),
    Row("otp_enrol", "GET", "/accounts/otp/enrol/", allowed=EVERYONE, target=False),
    Row("otp_enrol", "POST", "/accounts/otp/enrol/", allowed=EVERYONE, target=False, ok=400, data={"otp": "000000"},
        mutates=True),  # a wrong code: the page again, and an audit event (auth.otp_enrol_failed)
    Row("recovery_codes", "POST", "/accounts/otp/recovery-codes/", allowed=EVERYONE, target=False, ok=403),  # no second factor
    Row("tokens", "GET", "/accounts/security/", allowed=EVERYONE, target=False),
    Row("tokens", "POST", "/accounts/security/", allowed=EVERYONE, target=False, ok=302, data={"token": "nope"}),
]


def expected(row: Row, role: str, scope: str) -> set[int]:
    if role == "anonymous":
        return {401} if row.api else {302}
    if row.expect is not None:
        return row.expect(role, scope)
    in_area = not row.target or scope in SEES[role]
    if role not in row.allowed:
        if row.scope_first and not in_area:
            return {404}
        if role in NO_AREA:
            return {row.deny, 404} if row.target else {row.deny} | _ok(row.ok)
        return {row.deny}
    if not in_area:
        return {row.ok_other or 404}
    return _ok(row.ok)


SNAPSHOT_MODELS = (Household, Member, IncomeItem, Case, Document, Complaint, RegistryHousehold, RegistryMember,
                   Standard, Job, Division, Review, PaymentRoll, PaymentLine, OverlapFlag, Export)
USER_COLUMNS = ("pk", "username", "password", "role", "division_id", "is_active")


def _snapshot_sql() -> str:
    """One statement: a digest of each table's rows in key order (the user table's columns that a request could
    change; last_login moves with every login), and the audit log's length."""
    qn = connection.ops.quote_name

    def digest(model, columns=None) -> str:
        meta = model._meta
        row = "t" if columns is None else "ROW(" + ", ".join(
            "t." + qn(meta.pk.column if c == "pk" else meta.get_field(c.removesuffix("_id")).column)
            for c in columns) + ")"
        return (f"(SELECT md5(coalesce(string_agg({row}::text, '|' ORDER BY t.{qn(meta.pk.column)}), '')) "
                f"FROM {qn(meta.db_table)} t)")

    parts = [digest(m) for m in SNAPSHOT_MODELS] + [digest(User, USER_COLUMNS),
                                                   f"(SELECT count(*) FROM {qn(AuditEvent._meta.db_table)})"]
    return "SELECT " + ", ".join(parts)


def snapshot():
    """Everything a refused or invalid request could have touched. On PostgreSQL a digest per table in one
    statement (a non-GET row takes two per cell, 48 per row); elsewhere the rows themselves."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_snapshot_sql())
            return cursor.fetchone()
    state = {m.__name__: list(m.objects.order_by("pk").values_list()) for m in SNAPSHOT_MODELS}
    state["User"] = list(User.objects.order_by("pk").values_list(*USER_COLUMNS))
    state["AuditEvent"] = AuditEvent.objects.count()
    return state


def client_for(row: Row, user):
    if row.api:
        c = APIClient()
        if user is not None:
            c.force_authenticate(user)
        return c
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def send(client, row: Row, path: str):
    method = row.method.lower()
    if row.api:
        if row.method == "GET":
            return client.get(path)
        return getattr(client, method)(path, row.data, format=row.fmt)
    if row.method == "GET":
        return client.get(path)
    return getattr(client, method)(path, row.data)


def row_id(row: Row) -> str:
    return f"{row.method} {row.name}"


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_matrix_row(world, row):
    failures = []
    cells = 0
    for role in ROLES:
        user = world.users[role]
        client = client_for(row, user)
        for scope in SCOPES if row.target else ("own",):
            path = row.path(world, scope) if callable(row.path) else row.path
            before = snapshot() if row.method != "GET" else None
            response = send(client, row, path)
            cells += 1
            want = expected(row, role, scope)
            if response.status_code not in want:
                failures.append(f"{role:15} {scope:14} {row.method} {path} -> {response.status_code}, want {want}")
            refused = response.status_code in (302, 401, 403, 404, 405) and role not in row.allowed
            if row.method != "GET" and (refused or not row.mutates) and snapshot() != before:
                failures.append(f"{role:15} {scope:14} {row.method} {path} changed the database")
            if role == "anonymous" and not row.api and response.status_code == 302:
                assert response["Location"].startswith("/accounts/login/"), path
    assert not failures, "\n" + "\n".join(failures)
    assert cells >= 6


def test_the_snapshot_sees_every_kind_of_change(world):
    """The matrix's "changed the database" check is only as good as its snapshot."""
    before = snapshot()
    assert snapshot() == before
    Member.objects.filter(household=world.household["own"]).update(name="改名")
    assert snapshot() != before
    changed = snapshot()
    User.objects.filter(pk=world.users["auditor"].pk).update(role="county_officer")
    assert snapshot() != changed
    changed = snapshot()
    User.objects.filter(pk=world.users["auditor"].pk).update(last_name="不计")  # not a column a request could misuse
    assert snapshot() == changed
    PaymentLine.objects.filter(roll=world.roll["own"]).delete()
    AuditEvent.objects.create(action="test.snapshot", object_type="test", object_id="1")
    assert snapshot() != changed


def test_matrix_size():
    cells = sum(len(ROLES) * (len(SCOPES) if r.target else 1) for r in ROWS)
    print(f"access matrix: {len(ROWS)} rows, {cells} cells")
    assert cells > 500


def _url_names(resolver, namespace=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if "admin" in str(entry.pattern):
                continue
            ns = entry.namespace
            yield from _url_names(entry, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(entry, URLPattern):
            if entry.name is None:
                yield f"{namespace}<unnamed {entry.pattern}>"
            else:
                yield f"{namespace}{entry.name}"


def _route_methods(resolver):
    """(url name, method) for every DRF viewset route: each mapped method needs a row."""
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if "admin" in str(entry.pattern):
                continue
            ns = entry.namespace
            for name, method in _route_methods(entry):
                yield (f"{ns}:{name}" if ns else name), method
        elif isinstance(entry, URLPattern):
            actions = getattr(entry.callback, "actions", None)
            if actions:
                for method in actions:
                    yield entry.name, method.upper()
            else:
                cls = getattr(entry.callback, "cls", None) or getattr(entry.callback, "view_class", None)
                if cls is not None and hasattr(cls, "http_method_names"):
                    for method in ("get", "post", "patch", "put", "delete"):
                        if hasattr(cls, method) and method in cls.http_method_names:
                            yield entry.name, method.upper()


def test_every_url_pattern_is_in_the_matrix():
    names = set(_url_names(get_resolver()))
    covered = {r.name for r in ROWS} | set(NOT_IN_MATRIX)
    missing = sorted(n for n in names - covered if not re.match(r"^<unnamed static", n))
    assert not missing, f"URL names without a row in the access matrix: {missing}"
    stale = sorted(covered - names)
    assert not stale, f"rows for URL names that no longer exist: {stale}"


def test_every_api_method_is_in_the_matrix():
    rows = {(r.name, r.method) for r in ROWS}
    missing = sorted({(n, m) for n, m in _route_methods(get_resolver())
                      if n not in NOT_IN_MATRIX and (n, m) not in rows and m not in ("OPTIONS", "HEAD")})
    assert not missing, f"API methods without a row in the access matrix: {missing}"
