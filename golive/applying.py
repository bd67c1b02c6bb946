"""The confirmation: staged households brought in, in chunks, each chunk one transaction of bulk writes.

Created households get their members (persons found or created on the blind index), bank account and,
with a category, an active case of origin "migrated" (no visits, no notice: it was decided in the previous
system) with its first payment month, next review and gradual exit. Each case gets an audit event naming
file, batch and row (its timeline), and every write goes to the change feed. Updated households (a
corrected file) get the file's household fields, members and case figures; what they were is kept so the
batch can be undone. A chunk already written by an interrupted run of the same batch is skipped.
"""

import re
import unicodedata
import uuid
from collections import defaultdict
from datetime import date, datetime, time
from functools import cache, lru_cache

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pypinyin import lazy_pinyin
from pypinyin.pinyin_dict import pinyin_dict

from accounts.divisions import county_division
from audit import feed
from audit.models import AuditEvent
from cases.models import OPEN_STATES, PAID_STATES, Case, CaseOrigin, CaseStatus, household_paid_flags_refresh
from cases.months import add_months, first_of_month, months_between
from golive.bulk import copy_rows, insert
from golive.models import BatchHousehold, MigratedHousehold, RosterBatch, RowAction, StagedRow
from golive.staging import fingerprint
from households import crypto
from households.income import ELDERLY_AGE, MINOR_AGE, age_on
from households.models import Household, Member, Person
from households.persons import name_to_pinyin
from recipients.models import CaseExit, ExitKind, Review, ReviewKind, ReviewStatus
from recipients.services.exits import case_exit
from recipients.services.policy import policy_for

CHUNK_HOUSEHOLDS = 2000
STAGED_NAMES = [f.attname for f in StagedRow._meta.concrete_fields]
HOUSEHOLD_SNAPSHOT = ("address", "bank_name")
MEMBER_SNAPSHOT = ("name", "relationship", "health", "disability_grade", "labour_capacity")
CASE_SNAPSHOT = ("category", "monthly_amount")


@cache
def _char_pinyin(char: str) -> str | None:
    """A character's toneless reading, when it has only one (None: it depends on the neighbours)."""
    readings = pinyin_dict.get(ord(char))
    if readings is None:
        return char  # not a Han character pypinyin knows: kept as it is, as in a whole name
    plain = {unicodedata.normalize("NFD", r).encode("ascii", "ignore").decode() for r in readings.split(",")}
    return lazy_pinyin(char)[0] if len(plain) == 1 else None


_HAN_RUNS = re.compile(r"([\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+)")


@lru_cache(maxsize=65536)
def _han_run(run: str) -> str:
    """A run of Han characters: per character from the cache when each reads one way; converted whole (its
    phrases decide, as the person index does) when one reads two ways (单 dan/shan, 员 yuan/yun)."""
    parts = [_char_pinyin(c) for c in run]
    return name_to_pinyin(run) if None in parts else "".join(parts).lower()


def pinyin_of(name: str) -> str:
    """name_to_pinyin (the person index's blocking key), cached per character and per run of Han characters:
    pypinyin converts each run on its own, other text is kept as it is."""
    return "".join(_han_run(part) if i % 2 else part.lower()
                   for i, part in enumerate(_HAN_RUNS.split(name or "")))


def contact_columns(first) -> dict:
    """The new household's bank name, and its phone and bank account sealed as stored columns (ciphertext and
    blind indexes bound to a fresh row identity, households.crypto): the one place in golive that writes them
    as rows."""
    return {"bank_name": first.bank_name, **crypto.household_contact_columns(*contact_of(first))}


def contact_of(first) -> tuple[str, str]:
    """(phone, bank account) of a staged row read as a tuple (sealed while staged)."""
    return StagedRow.contact.unseal(first.contact_encrypted, first.batch_id, first.row)


def household_snapshot(household: Household) -> dict:
    """What undo puts back of a household a corrected file changed: the address and bank name as they were,
    the phone and bank account as their stored ciphertexts (never in clear in the snapshot)."""
    sealed = {"crypto_row": str(household.crypto_row)}
    for column in Household.SEALED_COLUMNS:
        value = getattr(household, column)
        sealed[column] = bytes(value).hex() if isinstance(value, bytes | memoryview) else value
    return {**{f: getattr(household, f) for f in HOUSEHOLD_SNAPSHOT}, "sealed": sealed}


def restore_snapshot(household: Household, snapshot: dict) -> None:
    """Put back what household_snapshot kept (an older snapshot's phone and account in clear are sealed anew)."""
    for field, value in snapshot.items():
        if field == "sealed":
            household.crypto_row = uuid.UUID(value["crypto_row"])
            for column in Household.SEALED_COLUMNS:
                kept = value.get(column, "")
                setattr(household, column, bytes.fromhex(kept) if column.endswith("_encrypted") else kept)
        else:
            setattr(household, field, value)


class Apply:
    def __init__(self, *, batch: RosterBatch, actor, today: date, on_progress=None):
        self.batch, self.actor, self.today, self.on_progress = batch, actor, today, on_progress
        self.counts = {"households_created": 0, "households_updated": 0, "cases_created": 0, "cases_updated": 0,
                       "members_created": 0, "households_refused": 0, "cases_ended": 0}
        county = county_division(batch.county_code)
        self.policy = policy_for(county, today)

    def run(self) -> dict:
        codes = list(StagedRow.objects.filter(batch=self.batch, action__in=[RowAction.CREATE, RowAction.UPDATE])
                     .values_list("household_code", flat=True).distinct().order_by("household_code"))
        for start in range(0, len(codes), CHUNK_HOUSEHOLDS):
            part = codes[start:start + CHUNK_HOUSEHOLDS]
            done = set(MigratedHousehold.objects.filter(county_code=self.batch.county_code, household_code__in=part,
                                                        batch=self.batch).values_list("household_code", flat=True))
            todo = [c for c in part if c not in done]
            if todo:
                with transaction.atomic():
                    self._chunk(todo)
            if self.on_progress:
                self.on_progress(min(99, int((start + len(part)) * 100 / max(len(codes), 1))), dict(self.counts))
        return self.counts

    def _chunk(self, codes: list[str]) -> None:
        rows = defaultdict(list)
        staged = (StagedRow.objects.filter(batch=self.batch, household_code__in=codes).order_by("row")
                  .values_list(*STAGED_NAMES, named=True))  # tuples, not model instances
        for row in staged:
            rows[row.household_code].append(row)
        persons, created_persons = self._persons([r for group in rows.values() for r in group])
        links = {link.household_code: link for link in MigratedHousehold.objects.select_related("household", "case")
                 .filter(county_code=self.batch.county_code, household_code__in=codes)}
        codes = self._still_free(codes, rows, links)
        new = [code for code in codes if code not in links]
        self._create(new, rows, persons, created_persons)
        for code in codes:
            if code in links:
                self._update(links[code], rows[code], persons)

    def _still_free(self, codes, rows, links) -> list[str]:
        """One active household per person, checked again: someone may have joined a household since the dry run.

        Such a household is refused now (its rows say why) rather than failing the chunk.
        """
        hashes = {r.id_hash: code for code in codes for r in rows[code]}
        taken = (Member.objects.filter(is_active=True, person__id_hash__in=list(hashes))
                 .values_list("person__id_hash", "household_id"))
        refused = {hashes[h] for h, household_id in taken
                   if links.get(hashes[h]) is None or links[hashes[h]].household_id != household_id}
        if refused:
            StagedRow.objects.filter(batch=self.batch, household_code__in=refused).update(
                action=RowAction.REFUSED, error_column="id_number",
                error_reason=_("This person joined another household after the dry run; a person belongs to one "
                               "household."))
            self.counts["households_refused"] += len(refused)
        return [c for c in codes if c not in refused]

    # -- persons -----------------------------------------------------------------------------------------
    def _persons(self, rows) -> tuple[dict[str, int], set[int]]:
        hashes = {r.id_hash: r for r in rows}
        found = dict(Person.objects.filter(id_hash__in=list(hashes)).values_list("id_hash", "id"))
        missing = [h for h in hashes if h not in found]
        created = set()
        if missing:
            ring = crypto.keyring()
            new = []
            for h in missing:
                r = hashes[h]
                encrypted = bytes(r.id_encrypted)
                number = crypto.decrypt_id(encrypted, id_hash=h, ring=ring)
                new.append({"id_hash": h, "id_encrypted": encrypted, "name": r.member_name,
                            "id_suffix_hash": crypto.suffix_hash(number, r.member_name, ring),
                            "key_state": ring.state, "name_pinyin": pinyin_of(r.member_name),
                            "birth_date": r.birth_date, "sex": r.sex, "region_code": r.region_code})
            copy_rows(Person, new, ignore_conflicts=True)
            fresh = dict(Person.objects.filter(id_hash__in=missing).values_list("id_hash", "id"))
            found.update(fresh)
            created = set(fresh.values())
        return found, created

    # -- new households ----------------------------------------------------------------------------------
    def _create(self, codes, rows, persons, created_persons) -> None:
        """New households, written as rows (dicts) with COPY: no model instances but the cases'."""
        if not codes:
            return
        households = []
        for code in codes:
            group = rows[code]
            first = group[0]
            head = next(r for r in group if r.is_head)
            households.append({"village_id": first.village_id, "division_code": first.village_code,
                               "address": first.address, "head_name": head.member_name,
                               "created_by_id": self.actor.pk, **contact_columns(first), **self._figures(group)})
        household_ids = copy_rows(Household, households)
        by_code = dict(zip(codes, household_ids, strict=True))
        division_of = {code: rows[code][0].village_code for code in codes}
        members, keys = [], []
        for code in codes:
            for r in rows[code]:
                members.append({"household_id": by_code[code], "person_id": persons[r.id_hash],
                                "name": r.member_name, "relationship": r.relationship, "sex": r.sex,
                                "birth_date": r.birth_date, "labour_capacity": r.labour_capacity, "health": r.health,
                                "disability_grade": r.disability_grade})
                keys.append((by_code[code], persons[r.id_hash]))
        member_of = dict(zip(keys, copy_rows(Member, members), strict=True))
        self.counts["members_created"] += len(members)
        cases = []
        for code in codes:
            if rows[code][0].category:
                hh = by_code[code]
                cases.append(self._new_case(hh, division_of[code], rows[code],
                                            lambda person, hh=hh: member_of[(hh, person)], persons))
        insert(cases)
        case_of = {c.household_id: c for c in cases}
        self._case_followups([(case_of[by_code[code]], rows[code][0]) for code in codes if by_code[code] in case_of])
        household_paid_flags_refresh([c.household_id for c in cases])
        copy_rows(MigratedHousehold, [
            {"county_code": self.batch.county_code, "household_code": code, "household_id": by_code[code],
             "case_id": getattr(case_of.get(by_code[code]), "pk", None), "batch_id": self.batch.pk,
             "fingerprint": self._fingerprint(rows[code])} for code in codes])
        copy_rows(BatchHousehold, [
            {"batch_id": self.batch.pk, "household_id": by_code[code], "created": True, "household_version": 1,
             "case_id": getattr(case_of.get(by_code[code]), "pk", None),
             "case_version": 1 if by_code[code] in case_of else None, "before": {}, "added_member_ids": [],
             "persons_created": sorted({persons[r.id_hash] for r in rows[code]} & created_persons)}
            for code in codes])
        events = []
        for code in codes:
            events.append(self._event_row("household.migrated", "households.household", by_code[code],
                                          division_of[code], code, rows[code][0].row))
            case = case_of.get(by_code[code])
            if case is not None:
                event = self._event_row("case.migrated", "cases.case", case.pk, case.division_code, code,
                                        rows[code][0].row)
                event["after"] |= {"status": case.status, "category": case.category,
                                   "monthly_amount": str(case.monthly_amount),
                                   "first_payment_month": case.first_payment_month.isoformat()}
                events.append(event)
        copy_rows(AuditEvent, events)
        feed.changed("households.household", household_ids)
        feed.changed("cases.case", [c.pk for c in cases])
        self.counts["households_created"] += len(households)
        self.counts["cases_created"] += len(cases)

    def _new_case(self, household_id, division_code, group, member_of, persons) -> Case:
        """The unsaved migrated case of a household (the file's category, amount, approval, inclusion, exit);
        `member_of(person id)` is the member's id."""
        first = group[0]
        head = next(r for r in group if r.is_head)
        single = next((r for r in group if r.individual_inclusion), None)
        return Case(
            household_id=household_id, division_code=division_code,
            status=CaseStatus.GRADUAL_EXIT if first.gradual_exit_until else CaseStatus.ACTIVE,
            applicant_id=member_of(persons[head.id_hash]),
            individual_member_id=member_of(persons[single.id_hash]) if single else None,
            category=first.category, monthly_amount=first.monthly_amount,
            first_payment_month=add_months(first_of_month(first.approved_on), 1),
            decided_at=timezone.make_aware(datetime.combine(first.approved_on, time(12))),
            entered_by=self.actor, origin=CaseOrigin.MIGRATED, authorisation_signed=True)

    def _case_followups(self, pairs) -> None:
        """The next review, or the gradual exit under way, of new migrated cases ([(case, first row)])."""
        reviews, exits = [], []
        for case, first in pairs:
            if first.gradual_exit_until:
                exits.append(self._gradual_exit(case, first))
            else:
                reviews.append({"case_id": case.pk, "division_code": case.division_code,
                                "kind": ReviewKind.SCHEDULED, "status": ReviewStatus.DUE,
                                "due_date": self._review_due(case, first)})
        copy_rows(Review, reviews)
        insert(exits)

    def _figures(self, group) -> dict:
        severe = sum(1 for r in group if r.health == Member.Health.DISABLED and r.disability_grade
                     and r.disability_grade <= 2)
        return {"size": len(group), "counted_members": len(group),
                "elderly_count": sum(1 for r in group if age_on(r.birth_date, self.today) >= ELDERLY_AGE),
                "minor_count": sum(1 for r in group if age_on(r.birth_date, self.today) < MINOR_AGE),
                "disabled_count": severe,
                "seriously_ill_count": sum(1 for r in group if r.health == Member.Health.SERIOUS)}

    def _fingerprint(self, group) -> str:
        return fingerprint(len(group), sum(r.row_hash for r in group))

    def _review_due(self, case: Case, first: StagedRow) -> date:
        if first.next_review_on:
            return first.next_review_on
        months = self.policy.review_months(case.category)
        due = add_months(case.first_payment_month, months)
        while due < self.today:
            due = add_months(due, months)
        return due

    def _gradual_exit(self, case: Case, first: StagedRow) -> CaseExit:
        """The remaining months of a gradual exit that began in the previous system: the county schedule's tail."""
        effective = max(first_of_month(self.today), case.first_payment_month)
        end = add_months(first_of_month(first.gradual_exit_until), 1)
        remaining = max(1, months_between(effective, end))
        schedule = self.policy.gradual_schedule(on_poverty_roster=False)
        tail = ([100] * max(0, remaining - len(schedule)) + schedule)[-remaining:]
        return CaseExit(case=case, division_code=case.division_code, kind=ExitKind.INCOME_ABOVE_LINE,
                        reason=_("Gradual exit begun in the previous system (go-live roster import)."),
                        effective_month=effective, gradual_schedule=tail, end_month=end, decided_by=self.actor)

    def _event_row(self, action, object_type, object_id, division_code, code, row) -> dict:
        return {"actor_id": self.actor.pk, "actor_username": self.actor.username, "action": action,
                "object_type": object_type, "object_id": str(object_id), "division_code": division_code,
                "after": {"file": self.batch.filename, "batch": self.batch.pk, "row": row, "household_code": code}}

    def _event(self, action, object_type, object_id, division_code, code, row) -> AuditEvent:
        return AuditEvent(actor=self.actor, actor_username=self.actor.username, action=action,
                          object_type=object_type, object_id=str(object_id), division_code=division_code,
                          after={"file": self.batch.filename, "batch": self.batch.pk, "row": row,
                                 "household_code": code})

    # -- households of an earlier batch: the corrected file's values ---------------------------------------
    def _update(self, link: MigratedHousehold, group, persons) -> None:
        household = Household.objects.select_for_update().get(pk=link.household_id)
        first = group[0]
        before = {"household": household_snapshot(household), "members": {},
                  "fingerprint": link.fingerprint, "batch": link.batch_id}
        household.address = first.address
        household.bank_name = first.bank_name
        household.contact_phone, household.bank_account = contact_of(first)
        existing = {m.person_id: m for m in Member.objects.filter(household=household, is_active=True)}
        added = []
        for r in group:
            member = existing.get(persons[r.id_hash])
            values = {"name": r.member_name, "relationship": r.relationship, "health": r.health,
                      "disability_grade": r.disability_grade, "labour_capacity": r.labour_capacity}
            if member is None:
                added.append(Member.objects.create(household=household, person_id=persons[r.id_hash], sex=r.sex,
                                                   birth_date=r.birth_date, **values))
            elif any(getattr(member, k) != v for k, v in values.items()):
                before["members"][str(member.pk)] = {f: getattr(member, f) for f in MEMBER_SNAPSHOT}
                Member.objects.filter(pk=member.pk).update(**values)
        for key, value in self._figures(group).items():
            setattr(household, key, value)
        household.head_name = next(r.member_name for r in group if r.is_head)
        household.version += 1
        household.save()
        case_id, case_version = self._update_case(link, household, group, persons,
                                                  {m.person_id: m.pk for m in [*existing.values(), *added]}, before)
        AuditEvent.objects.bulk_create([self._event("household.migration_updated", "households.household",
                                                    household.pk, household.division_code, link.household_code,
                                                    first.row)])
        feed.changed("households.household", [household.pk])
        MigratedHousehold.objects.filter(pk=link.pk).update(fingerprint=self._fingerprint(group), batch=self.batch)
        BatchHousehold.objects.create(batch=self.batch, household_id=household.pk, created=False,
                                      household_version=household.version, case_id=case_id,
                                      case_version=case_version, before=before,
                                      added_member_ids=[m.pk for m in added])
        self.counts["households_updated"] += 1
        self.counts["members_created"] += len(added)

    def _update_case(self, link, household, group, persons, members, before) -> tuple[int | None, int | None]:
        """The case of a household of an earlier batch, as the corrected file says; (case id, its version after)
        when the batch changed it. A category: the migrated case's figures, or a new migrated case when it has
        none open. No category: its migrated case ends (the exit service, kind roster_ended), its timeline
        naming file, batch and row. A case opened here since (not migrated) is left as it is."""
        first = group[0]
        case = link.case
        ours = case is not None and case.origin == CaseOrigin.MIGRATED and case.status in PAID_STATES
        source = {"file": self.batch.filename, "batch": self.batch.pk, "row": first.row,
                  "household_code": link.household_code}
        if first.category and ours:
            case = Case.objects.select_for_update().get(pk=case.pk)
            if (case.category, case.monthly_amount) == (first.category, first.monthly_amount):
                return None, None
            before["case"] = {"category": case.category, "monthly_amount": str(case.monthly_amount)}
            case.category, case.monthly_amount = first.category, first.monthly_amount
            case.version += 1
            case.save(update_fields=["category", "monthly_amount", "version", "updated_at"])
            AuditEvent.objects.bulk_create([self._event("case.migration_updated", "cases.case", case.pk,
                                                        case.division_code, link.household_code, first.row)])
            feed.changed("cases.case", [case.pk])
            self.counts["cases_updated"] += 1
            return case.pk, case.version
        if first.category:
            if Case.objects.filter(household=household, status__in=OPEN_STATES).exists():
                return None, None  # an application or case of ours is open: the file does not override it
            new = self._new_case(household.pk, household.division_code, group, members.__getitem__, persons)
            insert([new])
            self._case_followups([(new, first)])
            household_paid_flags_refresh([household.pk])
            event = self._event("case.migrated", "cases.case", new.pk, new.division_code, link.household_code,
                                first.row)
            event.after |= {"status": new.status, "category": new.category, "monthly_amount": str(new.monthly_amount),
                            "first_payment_month": new.first_payment_month.isoformat()}
            insert([event])
            feed.changed("cases.case", [new.pk])
            MigratedHousehold.objects.filter(pk=link.pk).update(case=new)
            before["case_created"], before["link_case"] = new.pk, link.case_id
            self.counts["cases_created"] += 1
            return new.pk, new.version
        if not ours:
            return None, None
        prior = Case.objects.get(pk=case.pk)
        old_exit = CaseExit.objects.filter(case=case).values(
            "id", "kind", "end_month", "gradual_schedule", "reason", "decided_by_id").first()
        if old_exit is not None:
            old_exit["end_month"] = old_exit["end_month"].isoformat()
        due_reviews = list(Review.objects.filter(case=case, status=ReviewStatus.DUE).values_list("id", flat=True))
        # The single exit service: audit event case.exit (file, batch, row on the timeline), reviews cancelled.
        case_exit(actor=self.actor, case=case, kind=ExitKind.ROSTER_ENDED, version=prior.version,
                  reason=_("The corrected roster file lists the household without a category: the case ended in "
                           "the previous system (%(file)s, row %(row)d).") % {"file": self.batch.filename,
                                                                              "row": first.row},
                  effective_month=max(add_months(first_of_month(self.today), 1), case.first_payment_month),
                  source=source)
        case.refresh_from_db()
        before["case_ended"] = {"status": prior.status, "exit_reason": prior.exit_reason, "exit": old_exit,
                                "reviews": due_reviews}
        self.counts["cases_ended"] += 1
        return case.pk, case.version
