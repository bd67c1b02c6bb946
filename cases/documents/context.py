"""What each document shows: the issuing office of the county, and the rows of each document, read in scope."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from accounts.divisions import county_code_of
from accounts.models import Division
from accounts.scoping import scope_queryset
from cases.models import CaseStatus, CountyOffice, PublicNotice


@dataclass(frozen=True)
class Office:
    """The issuing office as printed: the county's configuration, or a visible blank to fill in by hand."""

    county_name: str
    issuing_office: str
    supervision_phone: str
    seal_text: str
    configured: bool


def office_for(code: str | None) -> Office | None:
    """The issuing office of the county a division code lies in (None without a code: an admin's blank form)."""
    if not code:
        return None
    county_code = county_code_of(code)
    office = CountyOffice.objects.select_related("county").filter(county__code=county_code).first()
    if office:
        return Office(office.county.name, office.issuing_office, office.supervision_phone, office.seal_text, True)
    county = Division.objects.filter(code=county_code).values_list("name", flat=True).first() or ""
    blank = "________________"
    return Office(county, blank, blank, _("(seal)"), False)


def notices_on_board(user, village: Division) -> list[PublicNotice]:
    """Every application in notice in the village: name, household size and proposed amount only."""
    return list(scope_queryset(user, PublicNotice.objects.filter(
        outcome=PublicNotice.Outcome.OPEN, case__status=CaseStatus.IN_NOTICE, case__division_code=village.code))
        .only("applicant_name", "household_size", "proposed_amount", "starts_on", "ends_on", "case_id")
        .order_by("starts_on", "applicant_name", "id"))
