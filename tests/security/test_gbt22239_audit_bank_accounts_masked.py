"""GB/T 22239 8.1.4.8 / ASVS V8.3: bank accounts that older versions wrote in full into the append-only
audit log are masked by migration audit 0004, exactly as new events are written (audit.disclosure.protect),
while the log stays append-only and its hash chain still verifies."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from audit.chain import seal_pending, verify_chain
from audit.disclosure import protect
from audit.models import AuditChainLink, AuditEvent
from audit.services import record

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ACCOUNT, OTHER = "6228480012345678", "6228480087654321"


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


def test_old_full_accounts_are_masked_and_the_chain_still_verifies():
    with transaction.atomic():
        record(actor=None, action="household.update", object_type="households.household", object_id=1,
               before={"address": "甲"}, after={"address": "乙"})
    # As an older version wrote them: the full accounts in before/after (an INSERT, which the log allows).
    old = AuditEvent.objects.create(action="household.update", object_type="households.household", object_id="2",
                                    before={"address": "丙", "bank_account": ACCOUNT},
                                    after={"address": "丙", "bank_account": OTHER})
    with transaction.atomic():
        record(actor=None, action="household.update", object_type="households.household", object_id=3,
               before={"bank_account": ACCOUNT}, after={"bank_account": ""})  # new rows: masked already
    seal_pending(everything=True)
    assert verify_chain().ok and AuditChainLink.objects.count() == 3
    new_row = AuditEvent.objects.get(object_id="3")
    untouched_before = (new_row.before, new_row.after)

    migrate([("audit", "0003_hash_chain")])
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    old.refresh_from_db()
    assert old.before == protect({"address": "丙", "bank_account": ACCOUNT})
    assert old.after == {"address": "丙", "bank_account": {"masked": "************4321",
                                                             "hash": protect({"bank_account": OTHER})["bank_account"]["hash"]}}
    assert ACCOUNT not in str(old.before) and OTHER not in str(old.after)
    # The same value compares equal to what new rows hold.
    assert old.before["bank_account"]["hash"] == AuditEvent.objects.get(object_id="3").before["bank_account"]["hash"]
    assert (AuditEvent.objects.get(object_id="3").before, AuditEvent.objects.get(object_id="3").after) \
        == untouched_before
    # Its own trace, and the chain holds over everything (the trace sealed like any event).
    trace = AuditEvent.objects.get(action="audit.protected_values_masked")
    assert trace.after == {"events": 1, "links_rehashed": 2, "from_seq": 2}
    seal_pending(everything=True)
    report = verify_chain()
    assert report.ok and report.links_checked == 4
    # The log is append-only again: the triggers refuse even raw SQL.
    for sql in ("UPDATE audit_auditevent SET after = '{}'::jsonb WHERE id = %s",
                "UPDATE audit_auditchainlink SET hash = '' WHERE event_id = %s"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [old.pk])
    # Run again: nothing left to mask, nothing rewritten, no new trace.
    migrate([("audit", "0003_hash_chain")])
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert AuditEvent.objects.filter(action="audit.protected_values_masked").count() == 1
    assert verify_chain().ok
