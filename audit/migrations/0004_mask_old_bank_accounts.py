"""Bank accounts written in full to the audit log's before/after by older versions are masked, with the
keyed hash to compare, exactly as new events are written (audit.disclosure.protect).

The audit log is append-only (the triggers of 0002/0003) and hash-chained (audit/chain.py, whose links cover
before/after). This migration is the sanctioned exception, in one transaction: it takes the chain sealer's
advisory lock, disables the two append-only triggers, rewrites only the affected events' before/after,
recomputes every chain link from the first affected one to the head (each with its own algorithm), records
one event `audit.protected_values_masked` saying how many events and links it rewrote and from which link,
and enables the triggers again. `verify_audit_chain` holds afterwards; chain checks recorded earlier keep
the head hash they saw (the new head differs from link `from_seq` on). On PostgreSQL the migration must run
as the tables' owner (ALTER TABLE ... DISABLE TRIGGER). Not reversible: the full numbers are gone.
"""

from django.db import migrations
from django.db.models import Q

BATCH = 2000
TRIGGERS = (("audit_auditevent", "audit_auditevent_append_only"),
            ("audit_auditchainlink", "audit_auditchainlink_append_only"))


def exposes(values) -> bool:
    from audit.disclosure import PROTECTED_KEYS

    return isinstance(values, dict) and any(values.get(k) and not isinstance(values.get(k), dict)
                                            for k in PROTECTED_KEYS)


def mask_events(AuditEvent) -> list[int]:
    from audit.disclosure import PROTECTED_KEYS, protect

    wanted = Q()
    for key in PROTECTED_KEYS:
        wanted |= Q(before__has_key=key) | Q(after__has_key=key)
    changed, last = [], 0
    while True:
        batch = list(AuditEvent.objects.filter(wanted, pk__gt=last).order_by("pk").only("id", "before", "after")
                     [:BATCH])
        if not batch:
            return changed
        rows = [e for e in batch if exposes(e.before) or exposes(e.after)]
        for event in rows:
            event.before, event.after = protect(event.before), protect(event.after)
        AuditEvent.objects.bulk_update(rows, ["before", "after"])
        changed += [e.pk for e in rows]
        last = batch[-1].pk


def relink(AuditEvent, AuditChainLink, from_seq: int) -> int:
    from audit.chain import FIELDS, GENESIS, link_hash

    previous = AuditChainLink.objects.filter(seq__lt=from_seq).order_by("-seq").values_list("hash", flat=True).first()
    prev, after, rewritten = previous or GENESIS, from_seq - 1, 0
    while True:
        links = list(AuditChainLink.objects.filter(seq__gt=after).order_by("seq")[:BATCH])
        if not links:
            return rewritten
        events = {row["id"]: row for row in AuditEvent.objects.filter(
            pk__in=[link.event_id for link in links]).values(*FIELDS)}
        for link in links:
            event = events.get(link.event_id)
            if event is not None:  # a link whose event is gone stays broken, as verify_chain will say
                link.prev_hash = prev
                link.hash = link_hash(link.algorithm, link.seq, prev, event)
            prev = link.hash
        AuditChainLink.objects.bulk_update(links, ["prev_hash", "hash"])
        rewritten += len(links)
        after = links[-1].seq


def forwards(apps, schema_editor):
    from audit.chain import LOCK_KEY

    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditChainLink = apps.get_model("audit", "AuditChainLink")
    postgres = schema_editor.connection.vendor == "postgresql"
    with schema_editor.connection.cursor() as cursor:
        if postgres:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            for table, trigger in TRIGGERS:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        changed = mask_events(AuditEvent)
        from_seq = (AuditChainLink.objects.filter(event_id__in=changed).order_by("seq")
                    .values_list("seq", flat=True).first()) if changed else None
        links = relink(AuditEvent, AuditChainLink, from_seq) if from_seq else 0
        if postgres:
            for table, trigger in TRIGGERS:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
    if changed:
        AuditEvent.objects.create(action="audit.protected_values_masked", object_type="audit.auditevent",
                                  object_id=str(changed[0]), after={"events": len(changed), "links_rehashed": links,
                                                                    "from_seq": from_seq})


class Migration(migrations.Migration):

    dependencies = [("audit", "0003_hash_chain")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
