"""A small world for the security tests: one object of each kind in three scopes.

Scopes (seen from the village staff of 东关村):
- own: 东关村 (370283101201)
- other_village: 西王家村, same township and county
- other_county: 河头村 in 莱西市 (same city as the auditor)
"""

from dataclasses import dataclass, field

import pytest

from accounts.models import User
from audit.models import AuditEvent
from evidence import services as evidence_services
from evidence.selectors import target_for_user
from jobs.services import job_create
from tests.evidence.conftest import MINIMAL_PDF, make_case, make_household, upload
from tests.poverty_registry.factories import make_registration

SCOPES = ("own", "other_village", "other_county")
ROLES = ("village_staff", "township_staff", "county_officer", "auditor", "admin", "anonymous")


@dataclass
class World:
    users: dict = field(default_factory=dict)
    household: dict = field(default_factory=dict)
    case: dict = field(default_factory=dict)
    document: dict = field(default_factory=dict)
    complaint: dict = field(default_factory=dict)
    registration: dict = field(default_factory=dict)
    job: dict = field(default_factory=dict)
    audit_event: dict = field(default_factory=dict)
    division: dict = field(default_factory=dict)
    user: dict = field(default_factory=dict)


@pytest.fixture(autouse=True)
def _security_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()


@pytest.fixture
def world(village, other_village, other_county_village, village_staff, township_staff, county_officer,
          other_county_officer, auditor, admin_user, other_village_staff, settings) -> World:
    w = World(users={"village_staff": village_staff, "township_staff": township_staff,
                     "county_officer": county_officer, "auditor": auditor, "admin": admin_user,
                     "anonymous": None})
    other_county_staff = User.objects.create_user(username="oc-village", password="x-Long-Pass-91",
                                                  role="village_staff", division=other_county_village)
    places = {"own": (village, village_staff, county_officer),
              "other_village": (other_village, other_village_staff, county_officer),
              "other_county": (other_county_village, other_county_staff, other_county_officer)}
    heads = {"own": "王一", "other_village": "李二", "other_county": "赵三"}
    for n, (scope, (place, staff, officer)) in enumerate(places.items()):
        household = make_household(place, head=heads[scope], user=staff)
        w.household[scope] = household
        w.case[scope] = make_case(household, entered_by=staff)
        target = target_for_user(officer, "household", household.pk)
        w.document[scope] = evidence_services.document_upload(
            actor=officer, target=target, document_type="other",
            uploaded_file=upload(f"scan{n}.pdf", MINIMAL_PDF, "application/pdf"))
        w.complaint[scope] = evidence_services.complaint_record(
            actor=officer, text="投诉内容", channel="phone", household=household)
        w.registration[scope] = make_registration(place, code=f"R{n}", start=100 + n * 10)
        job = job_create(actor=staff, kind="export", division_code=place.code)
        (settings.VAR_DIR / f"result{n}.csv").write_text("a,b\n1,2\n")
        job.result_file = f"result{n}.csv"
        job.save(update_fields=["result_file"])
        w.job[scope] = job
        w.audit_event[scope] = AuditEvent.objects.filter(division_code=place.code).order_by("pk").first()
        w.division[scope] = place
        w.user[scope] = staff
    return w
