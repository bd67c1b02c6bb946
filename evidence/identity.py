"""Need to know: who complained, and how to reach them, is shown only to the people handling the complaint.

Complaints are handled by the county's civil-affairs office: every county officer of the complaint's county
may assign, investigate and resolve it (evidence.services), so those officers see the complainant's name
and contact; so do auditors (and admins). Village and township staff, who see the complaint in their area,
see that it exists (case, date, channel, status) with the identity withheld: a complainant about a
village's case is protected from that village. The complaint is already in the reader's scope here.
"""

from accounts.models import Role
from evidence.models import Complaint

IDENTITY_ROLES = (Role.COUNTY_OFFICER, Role.AUDITOR)


def complainant_visible(user, complaint: Complaint) -> bool:
    """May this user (who can see the complaint) see who made it? Admins may (has_role)."""
    if not user.is_authenticated or not user.has_role(*IDENTITY_ROLES):
        return False
    if user.is_admin_role or user.role == Role.AUDITOR:
        return True
    # A county officer: of the complaint's county (the scope already says so; checked again here so a
    # wider scope elsewhere cannot widen who reads identities).
    division = user.division
    return division is not None and complaint.division_code.startswith(division.prefix)
