"""County configuration lookups: the RecipientPolicy in force, and a case's county."""

from datetime import date

from accounts.models import Division, Level
from recipients.models import RecipientPolicy


def county_code_of(division_code: str) -> str:
    return division_code[:6] + "000000"


def policy_for(county: Division | int, on: date) -> RecipientPolicy:
    """The policy in force on `on`; the national defaults (unsaved) when the county set none."""
    county_id = county.pk if isinstance(county, Division) else county
    policy = (RecipientPolicy.objects.filter(county_id=county_id, effective_from__lte=on)
              .order_by("-effective_from").first())
    return policy or RecipientPolicy(county_id=county_id, effective_from=date(1900, 1, 1))


def county_for_code(division_code: str) -> Division:
    return Division.objects.get(code=county_code_of(division_code), level=Level.COUNTY)


def household_on_poverty_roster(household) -> bool:
    """Whether a member of the household is on the poverty-alleviation roster.

    The roster lives in `poverty_registry` (RegistryMember -> households.Person). When that app's
    models are not installed the answer is False and callers pass `on_poverty_roster` explicitly.
    """
    try:
        from poverty_registry.models import RegistryMember  # noqa: PLC0415
    except ImportError:
        return False
    person_ids = household.members.filter(is_active=True).values("person_id")
    return RegistryMember.objects.filter(person_id__in=person_ids).exists()
