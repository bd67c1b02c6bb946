"""The audit log's hash chain: links after commit, verification names the first broken link, the owner's
edits (triggers disabled) are found, SM3 under DIBAO_CRYPTO=sm, and concurrent writers never fork it."""

import hashlib
import json
import logging
import threading
from datetime import UTC, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from audit import chain
from audit import services as audit
from audit.models import AuditChainCheck, AuditChainLink, AuditEvent
from audit.tasks import verify_audit_chain

pytestmark = pytest.mark.django_db


def write_events(actor, division, n, *, action="test.write"):
    """n audited writes, each in its own committed transaction (the on-commit seal runs)."""
    events = []
    for i in range(n):
        events.append(audit.record(actor=actor, action=action, obj=division, division_code=division.code,
                                   before={"n": i}, after={"n": i + 1, "名": "张三"}))
    return events


@pytest.fixture
def sealed(village_staff, village, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            events = write_events(village_staff, village, 3)
    return events


def as_owner(sql, params=()):
    """Run SQL as the table owner with the append-only trigger switched off, as an insider could."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own inserts leave deferred checks pending
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only")
        cursor.execute("ALTER TABLE audit_auditchainlink DISABLE TRIGGER audit_auditchainlink_append_only")
        try:
            cursor.execute(sql, params)
        finally:
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_append_only")
            cursor.execute("ALTER TABLE audit_auditchainlink ENABLE TRIGGER audit_auditchainlink_append_only")


def test_events_are_chained_after_commit_in_one_line(sealed):
    links = list(AuditChainLink.objects.order_by("seq"))
    assert [(link.seq, link.event_id) for link in links] == [(i + 1, e.pk) for i, e in enumerate(sealed)]
    assert links[0].prev_hash == "0" * 64
    assert [link.prev_hash for link in links[1:]] == [link.hash for link in links[:-1]]
    assert {link.algorithm for link in links} == {"sha256"}
    assert chain.verify_chain().ok


def test_the_first_hash_is_sha256_of_sequence_previous_hash_and_the_events_columns(sealed):
    event = AuditEvent.objects.get(pk=sealed[0].pk)
    content = {
        "id": event.pk, "created_at": event.created_at.astimezone(UTC).isoformat(),
        "actor_id": event.actor_id, "actor_username": event.actor_username, "action": "test.write",
        "object_type": "accounts.division", "object_id": event.object_id, "division_code": event.division_code,
        "before": {"n": 0}, "after": {"n": 1, "名": "张三"}, "request_id": "", "ip": None,
    }
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    expected = hashlib.sha256(("1\n" + "0" * 64 + "\n" + text).encode()).hexdigest()
    assert AuditChainLink.objects.get(seq=1).hash == expected


def test_nothing_is_sealed_before_commit(village_staff, village):
    write_events(village_staff, village, 2)  # the test's transaction never commits
    assert not AuditChainLink.objects.exists()
    assert chain.seal_pending() == 2
    assert chain.verify_chain().ok


def test_sm3_under_the_national_algorithm_setting_and_old_links_still_verify(sealed, settings, village_staff,
                                                                             village):
    settings.CRYPTO_ALGORITHM = "sm"
    write_events(village_staff, village, 2)
    assert chain.seal_pending() == 2
    assert list(AuditChainLink.objects.order_by("seq").values_list("algorithm", flat=True)) == [
        "sha256", "sha256", "sha256", "sm3", "sm3"]
    fourth = AuditChainLink.objects.get(seq=4)
    event = AuditEvent.objects.filter(pk=fourth.event_id).values(*chain.FIELDS).get()
    if "sm3" in hashlib.algorithms_available:
        assert fourth.hash == hashlib.new("sm3", f"4\n{fourth.prev_hash}\n".encode() + chain._canonical(event)).hexdigest()
    assert fourth.hash != chain.link_hash("sha256", 4, fourth.prev_hash, event)
    assert chain.verify_chain().ok


@pytest.mark.postgres
class TestTamperingIsFound:
    def test_an_event_edited_by_the_table_owner(self, sealed, capsys):
        as_owner("UPDATE audit_auditevent SET after = '{\"n\": 99}' WHERE id = %s", [sealed[1].pk])
        assert AuditEvent.objects.get(pk=sealed[1].pk).after == {"n": 99}  # the edit went through
        report = chain.verify_chain()
        assert (report.ok, report.broken_seq, report.broken_event_id, report.links_checked) == (
            False, 2, sealed[1].pk, 1)
        assert "changed" in report.reason
        with pytest.raises(CommandError) as raised:
            call_command("verify_audit_chain")
        assert f"link #2 (event {sealed[1].pk})" in str(raised.value)
        assert AuditChainCheck.objects.latest("checked_at").broken_seq == 2

    def test_an_event_deleted_by_the_table_owner(self, sealed):
        as_owner("DELETE FROM audit_auditevent WHERE id = %s", [sealed[2].pk])
        report = chain.verify_chain()
        assert (report.ok, report.broken_seq) == (False, 3)
        assert "deleted" in report.reason

    def test_a_link_removed_and_the_rest_renumbered_is_found(self, sealed):
        as_owner("DELETE FROM audit_auditchainlink WHERE seq = 2")
        as_owner("UPDATE audit_auditchainlink SET seq = 2 WHERE seq = 3")
        report = chain.verify_chain()
        assert (report.ok, report.broken_seq) == (False, 2)
        assert "previous hash" in report.reason

    def test_a_link_rewritten_to_match_an_edit_breaks_the_next_one(self, sealed):
        as_owner("UPDATE audit_auditevent SET action = 'forged' WHERE id = %s", [sealed[0].pk])
        forged = AuditEvent.objects.filter(pk=sealed[0].pk).values(*chain.FIELDS).get()
        as_owner("UPDATE audit_auditchainlink SET hash = %s WHERE seq = 1",
                 [chain.link_hash("sha256", 1, "0" * 64, forged)])
        report = chain.verify_chain()
        assert (report.ok, report.broken_seq) == (False, 2)

    def test_an_event_inserted_behind_the_sealer_is_reported_once_old(self, sealed, village_staff):
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audit_auditevent (created_at, actor_username, action, object_type, object_id, "
                "division_code, request_id) VALUES (%s, 'x', 'forged', 'x', '1', '', '') RETURNING id",
                [timezone.now() - timedelta(hours=3)])
            forged_id = cursor.fetchone()[0]
        report = chain.verify_chain()
        assert (report.ok, report.broken_event_id) == (False, forged_id)
        assert "no link" in report.reason

    def test_the_links_refuse_update_and_delete(self, sealed):
        from django.db.utils import DatabaseError

        for sql in ("UPDATE audit_auditchainlink SET hash = 'x'", "DELETE FROM audit_auditchainlink"):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(sql)
        assert AuditChainLink.objects.count() == 3


def test_the_command_reports_an_intact_chain(sealed, capsys):
    call_command("verify_audit_chain")
    out = capsys.readouterr().out
    head = AuditChainLink.objects.get(seq=3)
    assert f"3 links, last #3 {head.hash}" in out


def test_the_nightly_task_seals_everything_records_and_logs(village_staff, village, caplog):
    write_events(village_staff, village, 2)
    with caplog.at_level(logging.INFO, logger="dibao.audit.chain"):
        result = verify_audit_chain.apply().get()
    assert result == {"ok": True, "links_checked": 2, "broken_seq": None}
    check = AuditChainCheck.objects.get()
    assert (check.ok, check.links_checked, check.head_seq) == (True, 2, 2)
    assert [r.getMessage() for r in caplog.records if r.name == "dibao.audit.chain"] == ["audit chain verified"]


@pytest.mark.postgres
def test_the_nightly_task_alerts_on_a_broken_chain(sealed, caplog):
    as_owner("UPDATE audit_auditevent SET division_code = '' WHERE id = %s", [sealed[0].pk])
    with caplog.at_level(logging.INFO, logger="dibao.audit.chain"):
        result = verify_audit_chain.apply().get()
    assert result == {"ok": False, "links_checked": 0, "broken_seq": 1}
    [line] = [r for r in caplog.records if r.name == "dibao.audit.chain"]
    assert (line.levelname, line.getMessage(), line.alert) == ("ERROR", "audit chain broken", "AuditChainBroken")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain(village_staff, village):
    """Eight threads, each committing twelve audited transactions as fast as it can: every event gets
    exactly one link, the sequence has no gap and no twin, and the chain verifies."""
    threads_n, per_thread = 8, 12
    barrier = threading.Barrier(threads_n)
    errors = []
    # A seal that failed (two sealers taking the same sequence number) is logged by Django's robust
    # on-commit runner; with the sealer's lock there is none.
    failed_seals = []
    handler = logging.Handler()
    handler.emit = failed_seals.append
    logging.getLogger("django.db.backends.base").addHandler(handler)

    def writer():
        try:
            barrier.wait()
            for i in range(per_thread):
                with transaction.atomic():
                    audit.record(actor=village_staff, action="test.race", obj=village, after={"i": i})
                    audit.record(actor=village_staff, action="test.race", obj=village, after={"i": -i})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    logging.getLogger("django.db.backends.base").removeHandler(handler)
    assert errors == []
    assert [record.getMessage() for record in failed_seals] == []
    total = threads_n * per_thread * 2
    assert AuditEvent.objects.filter(action="test.race").count() == total
    # Every event was sealed by some writer's after-commit seal, none twice, in one unbroken line.
    assert AuditChainLink.objects.count() == total
    assert sorted(AuditChainLink.objects.values_list("seq", flat=True)) == list(range(1, total + 1))
    assert set(AuditChainLink.objects.values_list("event_id", flat=True)) == set(
        AuditEvent.objects.values_list("id", flat=True))
    report = chain.verify_chain()
    assert (report.ok, report.links_checked) == (True, total)


def test_the_admin_lists_the_checks_read_only(web, audit_admin, sealed):
    """The audit administrator reads them (三员分立: the audit side, not the system administrator)."""
    call_command("verify_audit_chain")
    client = web(audit_admin)
    response = client.get("/admin/audit/auditchaincheck/")
    assert response.status_code == 200 and "3" in response.content.decode()
    assert client.get("/admin/audit/auditchaincheck/add/").status_code == 403
