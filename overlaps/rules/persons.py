"""Rules on the person index: the same person twice, exactly (blind index) or probably."""

from django.db import connection
from django.utils.translation import gettext_lazy as _

from households.idnumber import check_char
from households.models import Person
from overlaps.models import RuleCode, Severity
from overlaps.rules.base import Finding, Rule, common_division, fetch, in_list, like, open_states_sql


class DuplicatePersonHouseholds(Rule):
    """One person (one id_hash) an active member of two households.

    The households table also enforces one active membership per person; this rule guards
    imported or legacy data and reports it instead of failing silently.
    """

    code = RuleCode.DUPLICATE_PERSON_HOUSEHOLDS
    severity = Severity.HIGH
    title = _("Person in two households")
    explanation = _("The same resident ID number is an active member of two households. One membership must be "
                    "ended: a person belongs to one household only.")

    def scan(self, prefix="", person_ids=None, today=None):
        if one_active_membership_enforced():
            return
        person_filter = f"AND m2.person_id IN {in_list(person_ids)}" if person_ids is not None else ""
        rows = fetch(f"""
            SELECT m.person_id, m.household_id, h.division_code
            FROM households_member m JOIN households_household h ON h.id = m.household_id
            WHERE m.is_active AND m.person_id IN (
                SELECT m2.person_id FROM households_member m2
                JOIN households_household h2 ON h2.id = m2.household_id
                WHERE m2.is_active {person_filter}
                GROUP BY m2.person_id
                HAVING COUNT(DISTINCT m2.household_id) > 1
                   AND SUM(CASE WHEN h2.division_code LIKE %(prefix)s THEN 1 ELSE 0 END) > 0)
            ORDER BY m.person_id, m.household_id""", {"prefix": like(prefix)})
        yield from _group_by_person(rows, "households")


MEMBERSHIP_INDEX = "member_one_active_household_per_person"


def one_active_membership_enforced() -> bool:
    """Whether the database itself forbids a person active in two households: Member's unique partial index
    exists and is valid. Then DUPLICATE_PERSON_HOUSEHOLDS has nothing to find, and one catalogue lookup
    replaces its grouping of every active membership (4 s of a full scan at a million persons). Data from
    before the index, or a database where it was dropped or failed to build, is scanned."""
    if connection.vendor == "postgresql":
        rows = fetch("SELECT indisunique AND indisvalid FROM pg_index WHERE indexrelid = to_regclass(%(name)s)",
                     {"name": MEMBERSHIP_INDEX})
    else:
        rows = fetch("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = %(name)s", {"name": MEMBERSHIP_INDEX})
    return bool(rows and rows[0][0])


def _group_by_person(rows, label):
    groups: dict = {}
    for person_id, obj_id, code, *extra in rows:
        groups.setdefault(person_id, []).append((obj_id, code, *extra))
    for person_id, items in groups.items():
        ids = [i[0] for i in items]
        finding = Finding(
            subject_key=f"p:{person_id}",
            details={"person_id": person_id, label: ids},
            division_code=common_division([i[1] for i in items]),
            person_ids=[person_id],
        )
        if label == "households":
            finding.household_ids = ids
        else:
            finding.case_ids = ids
            finding.household_ids = [i[2] for i in items]
            finding.details["households"] = finding.household_ids
        yield finding


class DoubleDibao(Rule):
    """One person on two open (pending or paid) cases of different households.

    A case covers its household's members, including one who has since left (the member row
    stays, inactive) until the case is reviewed. So a person counts on every household with an
    open case where they have a membership row; two such households is double protection.
    (One household has at most one open case, so this always spans households.)
    """

    code = RuleCode.DOUBLE_DIBAO
    severity = Severity.HIGH
    title = _("Person in two open dibao cases")
    explanation = _("The same person is covered by two open dibao cases (pending or being paid) in different "
                    "households. Only one household may claim them; the other case must be corrected.")

    def scan(self, prefix="", person_ids=None, today=None):
        person_filter = f"AND m2.person_id IN {in_list(person_ids)}" if person_ids is not None else ""
        states = open_states_sql()
        rows = fetch(f"""
            SELECT m.person_id, c.id, c.division_code, c.household_id
            FROM households_member m JOIN cases_case c ON c.household_id = m.household_id
            WHERE c.status IN {states} AND m.person_id IN (
                SELECT m2.person_id FROM households_member m2
                JOIN cases_case c2 ON c2.household_id = m2.household_id
                WHERE c2.status IN {states} {person_filter}
                GROUP BY m2.person_id
                HAVING COUNT(DISTINCT c2.id) > 1
                   AND SUM(CASE WHEN c2.division_code LIKE %(prefix)s THEN 1 ELSE 0 END) > 0)
            ORDER BY m.person_id, c.id""", {"prefix": like(prefix)})
        yield from _group_by_person(rows, "cases")


def first17_close(a: str, b: str) -> str | None:
    """How two ID numbers' first 17 digits are one typing error apart, or None."""
    a17, b17 = a[:17], b[:17]
    diffs = [i for i in range(17) if a17[i] != b17[i]]
    if len(diffs) == 1:
        return "one_digit"
    if len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a17[diffs[0]] == b17[diffs[1]] \
            and a17[diffs[1]] == b17[diffs[0]]:
        return "transposition"
    return None


def bad_check(number: str) -> bool:
    return len(number) != 18 or not number[:17].isdigit() or check_char(number[:17]) != number[17]


def probable_duplicate_reason(a: str, b: str) -> str | None:
    """Why two different ID numbers (same pinyin, birth date and sex) are likely one person.

    A wrong check character alone is not enough (two people of the same name and birthday, one
    of them mistyped, would match): the first 17 digits must also be at most two digits apart.
    """
    close = first17_close(a, b)
    if close:
        return close
    if (bad_check(a) or bad_check(b)) and sum(x != y for x, y in zip(a[:17], b[:17], strict=False)) <= 2:
        return "bad_check_digit"
    return None


class ProbableDuplicate(Rule):
    """Different ID numbers, probably one person.

    Same name or the same pinyin (a name with the same characters always has the same
    pinyin), the same birth date and sex, and the ID numbers' first 17 digits one digit or one
    adjacent swap apart, or one of the two numbers with a wrong check character and the first 17
    digits at most two apart.
    Blocking: candidate pairs come from one SQL self-join on the stored blocking key (birth_date, sex,
    name_pinyin), indexed as `person_blocking_key`; only those pairs are decrypted and compared, so
    the cost grows with the number of persons, not with its square, and an incremental check reads
    one index range per changed person.
    """

    code = RuleCode.PROBABLE_DUPLICATE
    severity = Severity.MEDIUM
    title = _("Probable duplicate person")
    explanation = _("Two records with different ID numbers have the same name (or pinyin), birth date and sex, and "
                    "their ID numbers differ by one typing error (one digit, two swapped digits or a wrong check "
                    "character). They are probably one person recorded twice.")

    def candidate_pairs(self, prefix="", person_ids=None):
        scope = ""
        if prefix:
            scope = """ AND (EXISTS (SELECT 1 FROM households_member m JOIN households_household h
                                     ON h.id = m.household_id
                                     WHERE m.person_id IN (a.id, b.id) AND h.division_code LIKE %(prefix)s)
                          OR EXISTS (SELECT 1 FROM poverty_registry_registrymember rm
                                     JOIN poverty_registry_registryhousehold rh ON rh.id = rm.registry_household_id
                                     WHERE rm.person_id IN (a.id, b.id) AND rh.division_code LIKE %(prefix)s))"""
        if person_ids is not None:
            # The changed persons' blocks only: each changed person's blocking key is one range of the index
            # `person_blocking_key` (birth_date, sex, name_pinyin). A changed person may be either side of a
            # pair, so both orders are taken from the one probe (not `a.id IN .. OR b.id IN ..`, which no
            # index serves and which made the planner walk the whole self-join).
            return fetch(f"""
                SELECT DISTINCT CASE WHEN a.id < b.id THEN a.id ELSE b.id END,
                                CASE WHEN a.id < b.id THEN b.id ELSE a.id END
                FROM households_person a
                JOIN households_person b ON b.birth_date = a.birth_date AND b.sex = a.sex
                     AND b.name_pinyin = a.name_pinyin AND b.id <> a.id
                WHERE a.id IN {in_list(person_ids)} AND a.name_pinyin <> '' {scope}
                ORDER BY 1, 2""", {"prefix": like(prefix)})
        # The blocks with two persons or more first: one pass over the index `person_blocking_key` (an index-only
        # scan and a grouping), then only those blocks' persons paired. Joining the table to itself on the key
        # read the whole index on both sides: 37 s against 7 s at ten million persons, for the same pairs.
        return fetch(f"""
            SELECT a.id, b.id
            FROM (SELECT birth_date, sex, name_pinyin FROM households_person WHERE name_pinyin <> ''
                  GROUP BY birth_date, sex, name_pinyin HAVING COUNT(*) > 1) block
            JOIN households_person a ON a.birth_date = block.birth_date AND a.sex = block.sex
                 AND a.name_pinyin = block.name_pinyin
            JOIN households_person b ON b.birth_date = a.birth_date AND b.sex = a.sex
                 AND b.name_pinyin = a.name_pinyin AND b.id > a.id
            WHERE TRUE {scope}""", {"prefix": like(prefix)})

    def scan(self, prefix="", person_ids=None, today=None):
        pairs = self.candidate_pairs(prefix, person_ids)
        if not pairs:
            return
        ids = {i for pair in pairs for i in pair}
        persons = {p.pk: p for p in Person.objects.filter(pk__in=ids).only(
            "id", "id_hash", "id_encrypted", "name", "birth_date", "sex")}
        numbers = {pk: p.id_number for pk, p in persons.items()}  # decrypt only within blocks
        matched = [(a, b, reason) for a, b in pairs if (reason := probable_duplicate_reason(numbers[a], numbers[b]))]
        if not matched:
            return
        # The divisions of the matched pairs' persons only (a few thousand of the ~150,000 candidates at 10M).
        found = {i for a, b, _reason in matched for i in (a, b)}
        codes: dict = {}
        for pid, code in fetch(f"""SELECT m.person_id, h.division_code FROM households_member m
                                   JOIN households_household h ON h.id = m.household_id
                                   WHERE m.person_id IN {in_list(found)}
                                   UNION SELECT rm.person_id, rh.division_code
                                   FROM poverty_registry_registrymember rm
                                   JOIN poverty_registry_registryhousehold rh ON rh.id = rm.registry_household_id
                                   WHERE rm.person_id IN {in_list(found)}""", {}):
            codes.setdefault(pid, []).append(code)
        for a, b, reason in matched:
            yield Finding(
                subject_key=f"pp:{a}-{b}",
                details={"persons": [a, b], "reason": reason, "names": [persons[a].name, persons[b].name]},
                division_code=common_division(codes.get(a, []) + codes.get(b, [])),
                person_ids=[a, b],
            )
