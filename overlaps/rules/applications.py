"""The cross-check on applications: an accepted, undecided case against the poverty roster.

The same join as the recipient rules (a latest-year roster household sharing an active member of
the applicant household), but on ACCEPTED_PENDING_STATES: from acceptance until the decision. A
draft or a case only submitted is not checked (the county has not taken it on yet). Once decided,
the case leaves these states and the finding closes; the recipient rules take over if it is paid.

The roster contradicts the application when, using the county's OverlapPolicy thresholds:
- the application's per-capita income is below the standard, and the roster lists the household
  as lifted out with an income at or above the standard (`registry_lifted_above_standard`) or, in
  any status, with an income above the standard x `ineligible_multiple`
  (`registry_income_above_standard`); or
- the roster's income is higher than the declared one by more than `income_disagreement_ratio` of
  the roster's figure (`income_figures_disagree`). A roster figure lower than the declared one
  does not contradict the application.
The details hold no case status or amount, so a finding explained once is not raised again by the
case moving on through the investigation; it is raised again only when the compared figures change.
"""


from django.utils.translation import gettext_lazy as _

from cases.models import ACCEPTED_PENDING_STATES
from overlaps.models import RuleCode, Severity
from overlaps.rules.base import Rule
from overlaps.rules.income import DEFAULT_INELIGIBLE, DEFAULT_RATIO, _case_findings, _case_registry_rows

REG = "rh.annual_income_per_capita / 12.0"
BELOW = "h.per_capita_monthly_income < std.amount"
LIFTED = f"rh.status = 'lifted' AND {REG} >= std.amount"
ABOVE = f"{REG} > std.amount * COALESCE(pol.inelig, {DEFAULT_INELIGIBLE})"
DISAGREE = (f"{REG} > h.per_capita_monthly_income AND "
            f"{REG} - h.per_capita_monthly_income > COALESCE(pol.ratio, {DEFAULT_RATIO}) * {REG}")


def reasons(declared, registry, standard, ratio, inelig, rh_status) -> list[str]:
    """The same conditions as the SQL above, on one row's figures (the reasons shown on the finding)."""
    out = []
    if declared < standard and rh_status == "lifted" and registry >= standard:
        out.append("registry_lifted_above_standard")
    if declared < standard and registry > standard * inelig:
        out.append("registry_income_above_standard")
    if registry > declared and registry - declared > ratio * registry:
        out.append("income_figures_disagree")
    return out


class ApplicationRosterConflict(Rule):
    """An accepted application (under investigation up to awaiting decision) whose household shares
    a member with a latest-year roster household whose status or income contradicts it."""

    code = RuleCode.APPLICATION_ROSTER_CONFLICT
    severity = Severity.MEDIUM
    title = _("Application contradicted by the poverty roster")
    explanation = _("The poverty roster lists a member of this applicant household as lifted out of poverty with "
                    "an income above the standard, or records a per-capita income far above the one declared in "
                    "the application. Verify the household's income during the home visits. The finding blocks "
                    "nothing before the decision.")

    def scan(self, prefix="", person_ids=None, today=None):
        where = f"({BELOW} AND (({LIFTED}) OR ({ABOVE}))) OR ({DISAGREE})"
        rows = _case_registry_rows(prefix, person_ids, today, ACCEPTED_PENDING_STATES, where)
        yield from _case_findings(rows, lambda *figures: {"reasons": reasons(*figures)}, with_case_state=False)
