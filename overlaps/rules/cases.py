"""Rules on cases alone."""

from django.utils.translation import gettext_lazy as _

from overlaps.models import RuleCode, Severity
from overlaps.rules.base import Finding, Rule, changed_households_cte, fetch, like, open_states_sql


class StaffRelative(Rule):
    """An open case (pending or paid) declared as related to staff or village cadres (近亲属备案).
    The finding's division is the county, so it is always visible to the county."""

    code = RuleCode.STAFF_RELATIVE
    severity = Severity.MEDIUM
    title = _("Staff-relative application")
    explanation = _("The applicant declared a close relation to case staff or village cadres. Such cases are "
                    "registered with the county and examined with particular care.")

    def scan(self, prefix="", person_ids=None, today=None):
        cte, source = "", "cases_case c"
        if person_ids is not None:
            cte, source = changed_households_cte(person_ids), "changed JOIN cases_case c ON c.household_id = changed.household_id"
        rows = fetch(f"""{cte} SELECT c.id, c.household_id, c.division_code, c.status,
                                c.staff_relative_relation, c.staff_relative_to
                         FROM {source} WHERE c.staff_relative AND c.status IN {open_states_sql()}
                         AND c.division_code LIKE %(prefix)s""", {"prefix": like(prefix)})
        for case_id, hid, division, case_status, relation, related_to in rows:
            yield Finding(subject_key=f"c:{case_id}",
                          details={"case": case_id, "household": hid, "relation": relation,
                                   "related_to": related_to, "village": division, "case_status": case_status},
                          division_code=division[:6].ljust(12, "0"), case_ids=[case_id], household_ids=[hid])
