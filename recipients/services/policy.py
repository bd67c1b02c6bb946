"""County configuration lookups: the RecipientPolicy in force, and a case's county."""

from datetime import date

from accounts.models import Division
from recipients.models import RecipientPolicy


def policy_for(county: Division | int, on: date) -> RecipientPolicy:
    """The policy in force on `on`; the national defaults (unsaved) when the county set none."""
    county_id = county.pk if isinstance(county, Division) else county
    policy = (RecipientPolicy.objects.filter(county_id=county_id, effective_from__lte=on)
              .order_by("-effective_from").first())
    return policy or RecipientPolicy(county_id=county_id, effective_from=date(1900, 1, 1))


def household_on_poverty_roster(household) -> bool:
    """Whether an active member of the household is on the poverty-alleviation roster (kept on the person
    by the registry's writers)."""
    return household.members.filter(is_active=True, person__on_poverty_roster=True).exists()
