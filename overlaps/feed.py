"""The shared registry's subscriber to the change feed (settings.CHANGE_FEED_SUBSCRIBERS).

A changed case, household (its members, income and assets are recorded on it), registry household
or person leads to an incremental check of the persons involved, so a finding is raised or closed
soon after the change, whichever service made it. Runs in a worker, after the change committed.
"""

from cases.models import Case
from households.models import Member
from overlaps.services import overlaps_check_persons
from poverty_registry.models import RegistryMember

CASE, HOUSEHOLD, PERSON, REGISTRY_HOUSEHOLD = (
    "cases.case", "households.household", "households.person", "poverty_registry.registryhousehold")


def persons_to_check(changes) -> list[int]:
    """Every person of the changed objects: a household's members active or not (a member who left
    may end a finding), a case's household, a registry household's listed members."""
    ids: dict[str, set[int]] = {}
    for object_type, object_id in changes:
        ids.setdefault(object_type, set()).add(int(object_id))
    persons = set(ids.get(PERSON, ()))
    household_ids = set(ids.get(HOUSEHOLD, ()))
    if ids.get(CASE):
        household_ids |= set(Case.objects.filter(pk__in=ids[CASE]).values_list("household_id", flat=True))
    if household_ids:
        persons |= set(Member.objects.filter(household_id__in=household_ids).values_list("person_id", flat=True))
    if ids.get(REGISTRY_HOUSEHOLD):
        persons |= set(RegistryMember.objects.filter(registry_household_id__in=ids[REGISTRY_HOUSEHOLD])
                       .values_list("person_id", flat=True))
    return sorted(persons)


def on_changes(changes) -> dict:
    """Check the persons of one transaction's changes; returns the findings per rule."""
    results = overlaps_check_persons(persons_to_check(changes))
    return {code: counts["found"] for code, counts in results.items()}


on_changes.object_types = frozenset({CASE, HOUSEHOLD, PERSON, REGISTRY_HOUSEHOLD})
