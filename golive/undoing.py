"""Undoing a confirmed batch: everything it wrote goes, as long as nobody has touched its rows since.

"Touched": a household or case whose version moved on after the batch (an edit, a workflow step, a review,
an exit), a case on a payment roll, a review completed or a benefit change recorded. Then the undo is refused
and names the households; otherwise, in one transaction, created households go with their members, case,
review, gradual exit and the persons the batch created (when nobody else refers to them), and updated
households get back what they were. The audit events stay (the log is append-only) and each case gets one more.
"""

from datetime import date

from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext as _

from audit import feed
from audit.models import AuditEvent
from cases.models import Case, household_paid_flags_refresh
from dibao.errors import Conflict
from golive.applying import restore_snapshot
from golive.models import BatchHousehold, MigratedHousehold, RosterBatch
from households.models import Household, Member, Person
from recipients.models import BenefitChange, CaseExit, PaymentLine, Review, ReviewStatus

CHUNK = 1000


def touched_households(batch: RosterBatch) -> list[dict]:
    """The batch's households that someone changed since (at most 20, for the message)."""
    found = []
    records = BatchHousehold.objects.filter(batch=batch).order_by("id")
    for start in range(0, records.count(), CHUNK):
        part = list(records[start:start + CHUNK])
        versions = dict(Household.objects.filter(pk__in=[r.household_id for r in part]).values_list("id", "version"))
        case_ids = [r.case_id for r in part if r.case_id]
        case_versions = dict(Case.objects.filter(pk__in=case_ids).values_list("id", "version"))
        # On a payment roll generated since the batch (a case it updated or ended was paid before: that stays).
        lines = PaymentLine.objects.filter(case_id__in=case_ids)
        if batch.confirmed_at is not None:
            lines = lines.filter(Q(roll__generated_at__isnull=True) | Q(roll__generated_at__gte=batch.confirmed_at))
        busy = set(lines.values_list("case_id", flat=True))
        # The reviews the batch's exits cancelled are its own doing (undo puts them back).
        cancelled = [pk for r in part for pk in r.before.get("case_ended", {}).get("reviews", [])]
        busy |= set(Review.objects.filter(case_id__in=case_ids).exclude(status=ReviewStatus.DUE)
                    .exclude(pk__in=cancelled).values_list("case_id", flat=True))
        busy |= set(BenefitChange.objects.filter(case_id__in=case_ids).values_list("case_id", flat=True))
        for r in part:
            if (versions.get(r.household_id) != r.household_version
                    or (r.case_id and (case_versions.get(r.case_id) != r.case_version or r.case_id in busy))):
                found.append({"household": r.household_id, "case": r.case_id})
                if len(found) >= 20:
                    return found
    return found


def undo(batch: RosterBatch, *, actor) -> dict:
    """Call inside a transaction holding the batch's row lock."""
    touched = touched_households(batch)
    if touched:
        codes = dict(MigratedHousehold.objects.filter(household_id__in=[t["household"] for t in touched])
                     .values_list("household_id", "household_code"))
        names = "、".join(codes.get(t["household"], str(t["household"])) for t in touched)
        raise Conflict(_("The batch cannot be undone: these households were changed after it (edited, reviewed, "
                         "on a payment roll): %(households)s.") % {"households": names}, code="batch_touched")
    counts = {"households_removed": 0, "households_restored": 0, "cases_removed": 0}
    records = BatchHousehold.objects.filter(batch=batch).order_by("id")
    for start in range(0, records.count(), CHUNK):
        part = list(records[start:start + CHUNK])
        created = [r for r in part if r.created]
        _remove_created(batch, created, actor, counts)
        for r in part:
            if not r.created:
                _restore(batch, r, actor)
                counts["households_restored"] += 1
    return counts


def _remove_created(batch, records, actor, counts) -> None:
    if not records:
        return
    household_ids = [r.household_id for r in records]
    case_ids = [r.case_id for r in records if r.case_id]
    divisions = dict(Household.objects.filter(pk__in=household_ids).values_list("id", "division_code"))
    events = [AuditEvent(actor=actor, actor_username=actor.username, action="case.migration_undone",
                         object_type="cases.case", object_id=str(r.case_id),
                         division_code=divisions.get(r.household_id, ""),
                         after={"file": batch.filename, "batch": batch.pk}) for r in records if r.case_id]
    events += [AuditEvent(actor=actor, actor_username=actor.username, action="household.migration_undone",
                          object_type="households.household", object_id=str(r.household_id),
                          division_code=divisions.get(r.household_id, ""),
                          after={"file": batch.filename, "batch": batch.pk}) for r in records]
    Review.objects.filter(case_id__in=case_ids).delete()
    CaseExit.objects.filter(case_id__in=case_ids).delete()
    MigratedHousehold.objects.filter(household_id__in=household_ids).delete()
    Case.objects.filter(pk__in=case_ids).delete()
    Member.objects.filter(household_id__in=household_ids).delete()
    Household.objects.filter(pk__in=household_ids).delete()
    person_ids = [p for r in records for p in r.persons_created]
    (Person.objects.filter(pk__in=person_ids, on_poverty_roster=False)
     .exclude(Exists(Member.objects.filter(person=OuterRef("pk")))).delete())
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    feed.changed("households.household", household_ids)
    feed.changed("cases.case", case_ids)
    counts["households_removed"] += len(household_ids)
    counts["cases_removed"] += len(case_ids)


def _restore(batch, record: BatchHousehold, actor) -> None:
    before = record.before
    household = Household.objects.select_for_update().get(pk=record.household_id)
    restore_snapshot(household, before.get("household", {}))
    Member.objects.filter(pk__in=record.added_member_ids).delete()
    for member_id, values in before.get("members", {}).items():
        Member.objects.filter(pk=int(member_id)).update(**values)
    household.size = Member.objects.filter(household=household, is_active=True).count()
    household.version += 1
    household.save()
    if record.case_id and "case" in before:
        Case.objects.filter(pk=record.case_id).update(category=before["case"]["category"],
                                                      monthly_amount=before["case"]["monthly_amount"])
    if record.case_id and "case_ended" in before:
        _reopen(batch, record, before["case_ended"], actor)
    if record.case_id and "case_created" in before:
        MigratedHousehold.objects.filter(household=household).update(case_id=before.get("link_case"))
        Review.objects.filter(case_id=record.case_id).delete()
        CaseExit.objects.filter(case_id=record.case_id).delete()
        Case.objects.filter(pk=record.case_id).delete()
        _case_event(batch, actor, record.case_id, household.division_code, removed=True)
    household_paid_flags_refresh([household.pk])
    MigratedHousehold.objects.filter(household=household).update(fingerprint=before.get("fingerprint", ""),
                                                                 batch_id=before.get("batch") or batch.pk)
    AuditEvent.objects.bulk_create([AuditEvent(
        actor=actor, actor_username=actor.username, action="household.migration_undone",
        object_type="households.household", object_id=str(household.pk), division_code=household.division_code,
        after={"file": batch.filename, "batch": batch.pk, "restored": True})])
    feed.changed("households.household", [household.pk])


def _reopen(batch, record: BatchHousehold, ended: dict, actor) -> None:
    """A case the batch ended (roster_ended) is as it was: its exit gone (or a gradual exit's as it was), its
    cancelled reviews due again."""
    exit_before = ended.get("exit")
    exits = CaseExit.objects.filter(case_id=record.case_id)
    if exit_before:
        CaseExit.objects.filter(pk=exit_before["id"]).update(
            kind=exit_before["kind"], end_month=date.fromisoformat(exit_before["end_month"]),
            gradual_schedule=exit_before["gradual_schedule"], reason=exit_before["reason"],
            decided_by_id=exit_before["decided_by_id"])
        exits = exits.exclude(pk=exit_before["id"])
    exits.delete()
    Review.objects.filter(pk__in=ended.get("reviews", [])).update(status=ReviewStatus.DUE)
    Case.objects.filter(pk=record.case_id).update(status=ended["status"], closed_at=None,
                                                  exit_reason=ended.get("exit_reason", ""), version=F("version") + 1)
    case = Case.objects.get(pk=record.case_id)
    _case_event(batch, actor, case.pk, case.division_code, removed=False)


def _case_event(batch, actor, case_id, division_code, *, removed: bool) -> None:
    AuditEvent.objects.bulk_create([AuditEvent(
        actor=actor, actor_username=actor.username, action="case.migration_undone", object_type="cases.case",
        object_id=str(case_id), division_code=division_code,
        after={"file": batch.filename, "batch": batch.pk, "restored": not removed})])
    feed.changed("cases.case", [case_id])
