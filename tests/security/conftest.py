"""A small world for the security tests: one object of each kind in three scopes.

Scopes (seen from the village staff of 东关村):
- own: 东关村 (370283101201)
- other_village: 西王家村, same township and county
- other_county: 河头村 in 莱西市 (same city as the auditor)
"""

from dataclasses import dataclass, field
from datetime import date

import pytest
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from cases.models import CaseStatus
from evidence import services as evidence_services
from evidence.selectors import target_for_user
from golive.models import RosterBatch
from households.idnumber import make_id_number
from households.models import Household, Member
from households.persons import person_get_or_create
from jobs.services import job_create
from overlaps.models import OverlapFlag
from recipients.models import PaymentRoll
from recipients.services.reviews import review_report_change
from recipients.services.rolls import payment_roll_generate
from reports.services import export_request
from tests.evidence.conftest import MINIMAL_PDF, make_case, upload
from tests.households.factories import make_policy, make_standard
from tests.poverty_registry.factories import make_registration
from tests.recipients.factories import make_case as recipient_case

SCOPES = ("own", "other_village", "other_county")
ROLES = ("village_staff", "township_staff", "county_officer", "auditor", "admin", "security_admin", "audit_admin",
         "anonymous")


@dataclass
class World:
    users: dict = field(default_factory=dict)
    household: dict = field(default_factory=dict)
    case: dict = field(default_factory=dict)
    document: dict = field(default_factory=dict)
    complaint: dict = field(default_factory=dict)
    registration: dict = field(default_factory=dict)
    job: dict = field(default_factory=dict)
    import_job: dict = field(default_factory=dict)
    audit_event: dict = field(default_factory=dict)
    division: dict = field(default_factory=dict)
    user: dict = field(default_factory=dict)
    active_case: dict = field(default_factory=dict)
    review: dict = field(default_factory=dict)
    roll: dict = field(default_factory=dict)
    flag: dict = field(default_factory=dict)
    export: dict = field(default_factory=dict)
    batch: dict = field(default_factory=dict)


_SEQ = iter(range(1, 10**6))


def make_household(village, *, head, user):
    """A one-member household made with the ORM; ID numbers from a per-run sequence (3 digits, wraps)."""
    household = Household.objects.create(village=village, division_code=village.code, address=f"{village.name}1号",
                                         head_name=head, size=1, created_by=user)
    number = next(_SEQ) % 999 + 1
    person = person_get_or_create(id_number=make_id_number("370283", date(1961, 2, 3), number), name=head)
    Member.objects.create(household=household, person=person, name=head, relationship="head", sex=person.sex,
                          birth_date=person.birth_date)
    return household


@pytest.fixture(autouse=True)
def _security_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()


@pytest.fixture
def world(village, other_village, other_county_village, village_staff, township_staff, county_officer,
          other_county_officer, auditor, admin_user, security_admin, audit_admin, other_village_staff, settings,
          county, other_county) -> World:
    for c in (county, other_county):
        make_standard(c)
        make_policy(c)
    w = World(users={"village_staff": village_staff, "township_staff": township_staff,
                     "county_officer": county_officer, "auditor": auditor, "admin": admin_user,
                     "security_admin": security_admin, "audit_admin": audit_admin, "anonymous": None})
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
        w.import_job[scope] = job_create(actor=officer, kind="poverty_registry_import", division_code=place.code)
        w.audit_event[scope] = AuditEvent.objects.filter(division_code=place.code).order_by("pk").first()
        w.division[scope] = place
        w.user[scope] = staff
        active = recipient_case(place, staff, status=CaseStatus.ACTIVE,
                                household=make_household(place, head=heads[scope] + "甲", user=staff))
        w.active_case[scope] = active
        w.review[scope] = review_report_change(actor=officer, case=active, reported_change="收入变化")
        county = place.parent.parent
        w.roll[scope] = (PaymentRoll.objects.filter(county=county).first()
                         or payment_roll_generate(actor=officer, county=county, month=date(2026, 2, 1)))
        w.flag[scope] = OverlapFlag.objects.create(
            rule="DOUBLE_DIBAO", severity="high", subject_key=f"s{n}", data_fingerprint="x",
            division_code=place.code, division=place, status="open", last_seen_at=timezone.now())
        w.export[scope] = export_request(actor=officer, report="case_register", fmt="csv", filters={})
        (settings.VAR_DIR / f"roster-errors{n}.csv").write_text("row,column,reason\n2,id_number,x\n")
        w.batch[scope] = RosterBatch.objects.create(county_code=county.code, filename=f"roster{n}.csv",
                                                    created_by=officer, error_file=f"roster-errors{n}.csv")
    return w
