"""Rules on cases alone."""

from django.utils.translation import gettext_lazy as _

from overlaps.models import RuleCode, Severity
from overlaps.rules.base import Finding, Rule, fetch, in_list, like, open_states_sql


class StaffRelative(Rule):
    """An open case (pending or paid) declared as related to staff or village cadres (近亲属备案).
    The finding's division is the county, so it is always visible to the county."""

    code = RuleCode.STAFF_RELATIVE
    severity = Severity.MEDIUM
    title = _("Staff-relative application")
    explanation = _("The applicant declared a close relation to case staff or village cadres. Such cases are "
                    "registered with the county and examined with particular care.")

    def scan(self, prefix="", person_ids=None, today=None):
        person_filter = ""
        if person_ids is not None:
            person_filter = (f"AND c.household_id IN (SELECT household_id FROM households_member "
                             f"WHERE person_id IN {in_list(person_ids)})")
        rows = fetch(f"""SELECT c.id, c.household_id, c.division_code, c.status,
                                c.staff_relative_relation, c.staff_relative_to
                         FROM cases_case c WHERE c.staff_relative AND c.status IN {open_states_sql()}
                         AND c.division_code LIKE %(prefix)s {person_filter}""", {"prefix": like(prefix)})
        for case_id, hid, division, case_status, relation, related_to in rows:
            yield Finding(subject_key=f"c:{case_id}",
                          details={"case": case_id, "household": hid, "relation": relation,
                                   "related_to": related_to, "village": division, "case_status": case_status},
                          division_code=division[:6].ljust(12, "0"), case_ids=[case_id], household_ids=[hid])
