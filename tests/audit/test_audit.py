"""The audit log: append-only through the ORM and, on PostgreSQL, through a trigger; the writer."""

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from accounts.models import Division
from audit import services as audit
from audit.models import AccessLog, AppendOnlyError, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(village_staff, village):
    return audit.record(actor=village_staff, action="test.write", obj=village, division_code=village.code,
                        before={"a": 1}, after={"a": 2})


class TestOrmRefuses:
    def test_save_of_existing_row(self, event):
        event.action = "rewritten"
        with pytest.raises(AppendOnlyError):
            event.save()
        assert AuditEvent.objects.get(pk=event.pk).action == "test.write"

    def test_instance_delete(self, event):
        with pytest.raises(AppendOnlyError):
            event.delete()
        assert AuditEvent.objects.filter(pk=event.pk).exists()

    def test_queryset_update_and_delete(self, event):
        with pytest.raises(AppendOnlyError):
            AuditEvent.objects.filter(pk=event.pk).update(action="x")
        with pytest.raises(AppendOnlyError):
            AuditEvent.objects.all().delete()
        assert AuditEvent.objects.get(pk=event.pk).action == "test.write"

    def test_access_log_is_append_only_too(self, village_staff, village):
        entry = audit.record_access(user=village_staff, action="export", obj=village, division_code=village.code)
        with pytest.raises(AppendOnlyError):
            entry.delete()
        with pytest.raises(AppendOnlyError):
            AccessLog.objects.all().update(action="x")

    def test_admin_is_read_only(self, web, admin_user, audit_admin, event):
        # The system administrator does not read the audit log (三员分立); the audit administrator does.
        assert web(admin_user).get("/admin/audit/auditevent/").status_code == 403
        client = web(audit_admin)
        assert client.get("/admin/audit/auditevent/").status_code == 200
        assert client.get(f"/admin/audit/auditevent/{event.pk}/change/").status_code == 200  # view only
        response = client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"})
        assert response.status_code == 403
        assert client.get("/admin/audit/auditevent/add/").status_code == 403
        assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.postgres
class TestTriggerRefuses:
    @pytest.mark.parametrize("table", ["audit_auditevent", "audit_accesslog"])
    def test_raw_update_and_delete_raise(self, event, village_staff, village, table):
        audit.record_access(user=village_staff, action="export", obj=village, division_code=village.code)
        for sql in (f"UPDATE {table} SET action = 'rewritten'", f"DELETE FROM {table}"):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(sql)
        assert AuditEvent.objects.get(pk=event.pk).action == "test.write"
        assert AccessLog.objects.filter(action="export").count() == 1

    def test_trigger_is_installed(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE '%append_only' ORDER BY tgname")
            names = [row[0] for row in cursor.fetchall()]
        assert names == ["audit_accesslog_append_only", "audit_auditchainlink_append_only", "audit_auditevent_append_only"]


class TestRecord:
    def test_fields(self, event, village_staff, village):
        assert event.actor == village_staff
        assert event.actor_username == "village1"
        assert event.object_type == "accounts.division"
        assert event.object_id == str(village.pk)
        assert event.division_code == village.code
        assert event.before == {"a": 1} and event.after == {"a": 2}
        assert event.request_id == "" and event.ip is None  # outside a request

    def test_system_actor_and_jsonable_values(self):
        from datetime import date
        from decimal import Decimal

        event = audit.record(actor=None, action="system.tick", object_type="x", object_id=7,
                             after={"amount": Decimal("12.50"), "on": date(2026, 1, 2), "ids": (1, 2)})
        event.refresh_from_db()
        assert event.actor is None and event.actor_username == "system"
        assert event.after == {"amount": "12.50", "on": "2026-01-02", "ids": [1, 2]}

    def test_changed_fields(self):
        before, after = audit.changed_fields({"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 5, "d": 4})
        assert before == {"b": 2, "c": 3, "d": None}
        assert after == {"b": 5, "c": None, "d": 4}

    def test_rolled_back_with_the_service_transaction(self, village_staff, village):
        with pytest.raises(RuntimeError), transaction.atomic():
            audit.record(actor=village_staff, action="test.rollback", obj=village)
            raise RuntimeError
        assert not AuditEvent.objects.filter(action="test.rollback").exists()

    def test_request_id_and_ip_through_a_real_request(self, api, admin_user, township):
        response = api(admin_user).post(
            "/api/v1/divisions/",
            {"code": "370283101209", "name": "新村", "level": "village", "parent": township.code},
            format="json", REMOTE_ADDR="192.0.2.17", HTTP_X_REQUEST_ID="req-abc-123",
        )
        assert response.status_code == 201
        assert response["X-Request-ID"] == "req-abc-123"
        division = Division.objects.get(code="370283101209")
        event = AuditEvent.objects.get(action="division.create", object_id=str(division.pk))
        assert event.actor == admin_user
        assert event.actor_username == "admin"
        assert event.request_id == "req-abc-123"
        assert event.ip == "192.0.2.17"
        assert event.after["parent"] == township.code

    def test_request_id_is_generated_when_absent(self, api, admin_user, township):
        response = api(admin_user).post(
            "/api/v1/divisions/",
            {"code": "370283101208", "name": "新村二", "level": "village", "parent": township.code},
            format="json",
        )
        event = AuditEvent.objects.get(action="division.create")
        assert len(event.request_id) == 32
        assert response["X-Request-ID"] == event.request_id


class TestAuditApi:
    def test_auditor_sees_events_in_scope_only(self, api, auditor, county_auditor, village, other_county_village):
        audit.record(actor=None, action="a.one", object_type="t", object_id=1, division_code=village.code)
        audit.record(actor=None, action="a.two", object_type="t", object_id=2,
                     division_code=other_county_village.code)
        city_codes = {e["division_code"] for e in api(auditor).get("/api/v1/audit-events/").json()["results"]}
        assert city_codes == {village.code, other_county_village.code}
        county = api(county_auditor).get("/api/v1/audit-events/").json()["results"]
        assert [e["action"] for e in county] == ["a.one"]

    def test_staff_are_refused(self, api, village_staff):
        assert api(village_staff).get("/api/v1/audit-events/").status_code == 403

    def test_bad_date_range_is_a_field_error(self, api, auditor):
        response = api(auditor).get("/api/v1/audit-events/?date_from=2026-02-01&date_to=2026-01-01")
        assert response.status_code == 400
        assert "date_to" in response.json()

    def test_list_query_count(self, api, auditor, village, django_assert_num_queries):
        for i in range(5):
            audit.record(actor=None, action="a", object_type="t", object_id=i, division_code=village.code)
        client = api(auditor)
        with django_assert_num_queries(2):  # count, page (the user and division come with the login)
            client.get("/api/v1/audit-events/")

    def test_no_write_methods(self, api, audit_admin):
        assert api(audit_admin).post("/api/v1/audit-events/", {}).status_code == 405


def test_admin_changes_are_audited(web, admin_user, village_staff, other_village):
    client = web(admin_user)
    response = client.post(f"/admin/accounts/user/{village_staff.pk}/change/", {
        "username": "village1", "first_name": "", "last_name": "", "email": "", "is_active": "on",
        "role": "village_staff", "division": str(other_village.pk),
        "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    village_staff.refresh_from_db()
    assert village_staff.division == other_village
    event = AuditEvent.objects.get(action="user.admin_change")
    assert event.actor == admin_user
    assert event.after["division"] == other_village.pk
    assert "password" not in event.after
    assert event.before["division"] != other_village.pk
    assert event.division_code == other_village.code
