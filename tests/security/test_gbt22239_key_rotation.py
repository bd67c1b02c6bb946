"""GB/T 22239 level 3 / GB/T 39786 key life cycle (更换): `manage.py rotate_keys` moves a populated
database and its files from AES to SM and back while the site answers, can be killed and started
again, and leaves every ID number decrypting and every uniqueness rule holding."""

import base64
import threading
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client

from audit.models import AuditEvent
from dibao import filecrypt
from dibao.errors import InvalidInput
from evidence import services as evidence_services
from evidence.selectors import target_for_user
from golive.models import RosterBatch, StagedRow
from households import crypto, rotation, services
from households.idnumber import make_id_number
from households.models import Household, Member, Person
from households.persons import person_get_or_create
from jobs.models import Job, JobStatus
from recipients.models import PaymentLine, PaymentRoll
from tests.evidence.conftest import MINIMAL_PDF, make_case
from tests.households.factories import household_data, make_standard

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

KEYS = {n: base64.b64encode(bytes([n]) * 32).decode() for n in range(1, 8)}


def number(n: int) -> str:
    return make_id_number("370283", date(1960 + n % 40, 1 + n % 12, 1 + n % 28), n)


def configure(settings, suite: str, field: dict, index: dict) -> None:
    settings.CRYPTO_ALGORITHM, settings.FIELD_KEYS, settings.BLIND_INDEX_KEYS = suite, field, index


@pytest.fixture
def populated(settings, village, village_staff, county):
    configure(settings, "aes", {1: KEYS[1]}, {1: KEYS[2]})
    make_standard(county)
    households = []
    for i in range(8):
        members = [{"id_number": number(10 * i + 1), "name": f"户主{i}", "relationship": "head"},
                   {"id_number": number(10 * i + 3), "name": f"配偶{i}", "relationship": "spouse"}]
        households.append(services.household_create(actor=village_staff, village=village, data=household_data(
            members, address=f"东关村{i}号", contact_phone=f"1380532{i:04d}", bank_account=f"6228480000{i:06d}")))
    case = make_case(households[0], entered_by=village_staff)
    target = target_for_user(village_staff, "case", case.pk)
    # A payment roll's line (its copy of the bank account) and a go-live row staged for confirmation.
    roll = PaymentRoll.objects.create(county=county, month=date(2026, 5, 1))
    PaymentLine.objects.create(roll=roll, case=case, household=households[0], village_code=village.code,
                               village_name=village.name, payee_name="户主0", bank_account="6228480000000000",
                               full_amount=100, amount=100)
    batch = RosterBatch.objects.create(county_code=county.code, filename="roster.xlsx", created_by=village_staff)
    digest = crypto.blind_index(number(99))
    StagedRow.objects.create(batch=batch, row=2, household_code="H1", member_name="新人", id_hash=digest,
                             id_encrypted=crypto.encrypt_id(number(99), id_hash=digest),
                             contact=("13912345678", "6228481234567890"))
    document = evidence_services.document_upload(actor=village_staff, target=target, document_type="id_copy",
                                                  uploaded_file=SimpleUploadedFile("id.pdf", MINIMAL_PDF))
    legacy = settings.VAR_DIR / "exports" / "before-encryption.csv"
    legacy.parent.mkdir(parents=True, exist_ok=True)
    legacy.write_bytes("姓名\n户主0\n".encode())
    return households, document, legacy


class Traffic(threading.Thread):
    """Village staff using the site: lists, household pages and the API, until told to stop."""

    def __init__(self, user, households):
        super().__init__(daemon=True)
        self.user, self.households = user, households
        self.stop = threading.Event()
        self.answers: list[int] = []
        self.errors: list[str] = []

    def run(self):
        try:
            client = Client()
            client.force_login(self.user)
            while not self.stop.is_set():
                for household in self.households:
                    for url in ("/households/", f"/households/{household.pk}/", f"/api/v1/households/{household.pk}/",
                                "/households/?q=户主3"):
                        self.answers.append(client.get(url).status_code)
                    # and the numbers open, whatever key each row is on at this moment
                    for member in Member.objects.filter(household=household).select_related("person"):
                        if not member.person.id_number.startswith("370283"):
                            self.errors.append(f"member {member.pk} decrypted wrong")
        except Exception as exc:  # noqa: BLE001 - reported by the test
            self.errors.append(repr(exc))
        finally:
            connection.close()


def rotate_while_serving(user, households, monkeypatch) -> Traffic:
    """Run the command with the traffic going; each batch waits a moment and notes how many answers the
    site had given, so the test can tell the site answered between the batches."""
    traffic = Traffic(user, households)
    traffic.during = []
    batch = rotation._rotate_batch

    def noted_batch(*args, **kwargs):
        traffic.during.append(len(traffic.answers))
        traffic.stop.wait(0.1)
        return batch(*args, **kwargs)

    monkeypatch.setattr(rotation, "_rotate_batch", noted_batch)
    traffic.start()
    try:
        while len(traffic.answers) < 4 and traffic.is_alive():
            traffic.stop.wait(0.05)
        call_command("rotate_keys", batch=3, stdout=open("/dev/null", "w"))  # noqa: SIM115
    finally:
        traffic.stop.set()
        traffic.join(60)
        monkeypatch.setattr(rotation, "_rotate_batch", batch)
    return traffic


def all_numbers() -> set[str]:
    return {p.id_number for p in Person.objects.all()}


def test_rotate_from_aes_to_sm_and_back_while_the_site_answers(settings, populated, village_staff,
                                                               other_village, other_village_staff, monkeypatch):
    households, document, legacy = populated
    expected = {number(10 * i + k) for i in range(8) for k in (1, 3)}
    assert all_numbers() == expected
    pdf_path = settings.VAR_DIR / "documents" / document.stored_name

    # AES, key 1 -> SM, key 2 (both indexes too); the old keys stay configured to read.
    configure(settings, "sm", {1: KEYS[1], 2: KEYS[3]}, {1: KEYS[2], 2: KEYS[4]})
    traffic = rotate_while_serving(village_staff, households, monkeypatch)
    assert traffic.errors == [] and set(traffic.answers) == {200}
    assert len(traffic.during) == 6 and traffic.during[-1] > traffic.during[0]  # 16 rows by 3, answered between
    assert set(Person.objects.values_list("key_state", flat=True)) == {"sm:2:2"}
    assert {bytes(blob)[:4] for blob in Person.objects.values_list("id_encrypted", flat=True)} == {
        bytes([0xD2, 2, 0, 2])}
    assert pdf_path.read_bytes()[4:8] == bytes([0xD2, 2, 0, 2])
    # The contact phones, bank accounts (households and payment lines) and staged ID numbers moved too.
    assert set(Household.objects.values_list("key_state", flat=True)) == {"sm:2:2"}
    assert {bytes(b)[:4] for b in Household.objects.values_list("bank_account_encrypted", flat=True)} == {
        bytes([0xD2, 2, 0, 2])}
    assert {bytes(b)[:4] for b in Household.objects.values_list("phone_encrypted", flat=True)} == {
        bytes([0xD2, 2, 0, 2])}
    assert set(PaymentLine.objects.values_list("key_state", flat=True)) == {"sm:2:2"}
    staged = StagedRow.objects.get()
    assert bytes(staged.id_encrypted)[:4] == bytes([0xD2, 2, 0, 2]) and staged.id_hash == crypto.blind_index(number(99))
    assert bytes(staged.contact_encrypted)[:4] == bytes([0xD2, 2, 0, 2])
    assert legacy.read_bytes().startswith(b"DBF1") and "户主0".encode() not in legacy.read_bytes()

    # SM -> AES with a third key, then only the third key configured: everything must open with it.
    configure(settings, "aes", {1: KEYS[1], 2: KEYS[3], 3: KEYS[5]}, {1: KEYS[2], 2: KEYS[4], 3: KEYS[6]})
    traffic = rotate_while_serving(village_staff, households, monkeypatch)
    assert traffic.errors == [] and set(traffic.answers) == {200} and traffic.during[-1] > traffic.during[0]
    configure(settings, "aes", {3: KEYS[5]}, {3: KEYS[6]})
    assert all_numbers() == expected
    assert rotation.rotation_check() == {}
    assert sorted(h.bank_account for h in Household.objects.all()) == [f"6228480000{i:06d}" for i in range(8)]
    assert sorted(h.contact_phone for h in Household.objects.all()) == [f"1380532{i:04d}" for i in range(8)]
    assert PaymentLine.objects.get().bank_account == "6228480000000000"
    staged = StagedRow.objects.get()
    assert crypto.decrypt_id(staged.id_encrypted, id_hash=staged.id_hash) == number(99)
    assert staged.contact == ("13912345678", "6228481234567890")
    # ... and are found by their new blind indexes.
    assert Household.objects.filter(phone_hash__in=crypto.phone_hashes("13805320003")).get() == households[3]
    assert Household.objects.filter(bank_account_hash=crypto.bank_account_hashes("6228480000000005")[0]).get() \
        == households[5]
    assert filecrypt.read_bytes(pdf_path) == MINIMAL_PDF
    assert filecrypt.read_bytes(legacy).decode() == "姓名\n户主0\n"
    assert Client().get("/healthz").status_code == 200

    # The uniqueness rules still hold with the new index: one person, one row, one active household.
    with pytest.raises(InvalidInput):
        services.household_create(actor=other_village_staff, village=other_village, data=household_data(
            [{"id_number": number(1), "name": "户主0", "relationship": "head"}]))
    person = person_get_or_create(id_number=number(3), name="配偶0")
    assert person.id_hash == crypto.blind_index(number(3))
    assert Member.objects.filter(person=person, is_active=True).count() == 1
    assert Person.objects.count() == 16 and Household.objects.filter(village=other_village).count() == 0
    # Each run is a job with its counts, and audited.
    jobs = list(Job.objects.filter(kind=rotation.KIND).order_by("pk"))
    assert [(j.status, j.progress, j.counts["persons_rotated"], j.params["target"]) for j in jobs] == [
        (JobStatus.SUCCEEDED, 100, 16, "sm:2:2"), (JobStatus.SUCCEEDED, 100, 16, "aes:3:3")]
    assert jobs[0].counts["files_rotated"] == 2 and jobs[1].counts["files_rotated"] == 2
    assert [(j.counts["households.household_rotated"], j.counts["recipients.paymentline_rotated"],
             j.counts["golive.stagedrow_rotated"]) for j in jobs] == [(8, 1, 1), (8, 1, 1)]
    assert AuditEvent.objects.filter(action__in=["keys.rotation_start", "keys.rotation_end"]).count() == 4


class Killed(BaseException):
    pass


def test_a_killed_rotation_resumes_where_it_stopped(settings, populated):
    configure(settings, "sm", {1: KEYS[1], 2: KEYS[3]}, {1: KEYS[2]})
    job = rotation.rotation_start()

    def kill_after_first_batch(counts):
        raise Killed()

    with pytest.raises(Killed):
        rotation.rotation_run(job_id=job.pk, batch_size=5, on_progress=kill_after_first_batch)
    assert Person.objects.filter(key_state="sm:2:1").count() == 5
    assert Job.objects.get(pk=job.pk).status == JobStatus.RUNNING  # as a killed process leaves it
    call_command("rotate_keys", batch=5, stdout=open("/dev/null", "w"))  # noqa: SIM115
    last = Job.objects.filter(kind=rotation.KIND).latest("pk")
    assert last.status == JobStatus.SUCCEEDED
    assert last.counts["persons_to_rotate"] == 11 and last.counts["persons_rotated"] == 11  # the rest only
    assert rotation.rotation_check() == {}
    # Run again: nothing to do.
    call_command("rotate_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Job.objects.filter(kind=rotation.KIND).latest("pk").counts["persons_rotated"] == 0


def test_a_person_stored_twice_is_reported_not_merged(settings, populated):
    """Rows written under a key that lookups did not know (the issue's finding) collide on rotation: the
    command fails naming them and leaves both rows readable."""
    configure(settings, "aes", {1: KEYS[1]}, {7: KEYS[7]})  # an index key that replaced, not joined, the old one
    twin = Person.objects.create(**crypto.person_key_fields(number(1), "户主0"), name="户主0",
                                 birth_date=date(1961, 2, 2), sex="M", region_code="370283")
    configure(settings, "aes", {1: KEYS[1], 2: KEYS[3]}, {1: KEYS[2], 7: KEYS[7]})
    with pytest.raises(Exception, match="persons_stored_twice"):
        call_command("rotate_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    job = Job.objects.filter(kind=rotation.KIND).latest("pk")
    assert job.status == JobStatus.FAILED and job.counts["duplicates"] == 1
    assert twin.pk in {e.get("person") for e in job.errors} | {e.get("same_person_as") for e in job.errors}
    assert {p.id_number for p in Person.objects.filter(pk__in=[twin.pk])} == {number(1)}


def test_a_row_no_configured_key_opens_is_reported_and_left_alone(settings, populated):
    configure(settings, "aes", {2: KEYS[3]}, {1: KEYS[2]})  # key version 1 was dropped too early
    with pytest.raises(Exception, match="persons_not_decrypting"):
        call_command("rotate_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    job = Job.objects.filter(kind=rotation.KIND).latest("pk")
    assert job.status == JobStatus.FAILED and job.counts["persons_failed"] == 16
    configure(settings, "aes", {1: KEYS[1], 2: KEYS[3]}, {1: KEYS[2]})
    assert len(all_numbers()) == 16  # nothing was damaged
