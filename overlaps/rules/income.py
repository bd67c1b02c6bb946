"""Rules comparing dibao with the poverty registry and the county standard.

Registry income is annual per capita; it is compared per month (annual / 12). The standard is
the county's monthly standard in force today; the registry year is the latest one loaded for
the county. Registry and dibao households are linked through their members' person ids.
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from cases.models import PAID_STATES
from overlaps.models import RuleCode, Severity
from overlaps.rules.base import (
    Finding,
    Rule,
    base_params,
    changed_households_cte,
    changed_registry_cte,
    fetch,
    in_list,
    latest_year,
    money,
    open_states_sql,
    policy_sql,
    standards_sql,
)

DEFAULT_RATIO = Decimal("0.50")
DEFAULT_INELIGIBLE = Decimal("1.00")
DEFAULT_EDGE = Decimal("1.50")


class ProtectionGap(Rule):
    """Registered-poor or monitored household (latest registry year) with per-capita income
    (annual / 12) below the dibao standard, none of whose members is an active member of a
    household with an open dibao case."""

    code = RuleCode.PROTECTION_GAP
    severity = Severity.HIGH
    title = _("Registered poor below the standard without dibao")
    explanation = _("The poverty registry lists this household as registered poor or monitored, its per-capita "
                    "income is below the dibao standard, and none of its members is covered by an open dibao "
                    "case. It should be fully protected: check whether it should apply.")

    def scan(self, prefix="", person_ids=None, today=None):
        params = base_params(prefix, today)
        incremental = person_ids is not None
        cte, source = "", "poverty_registry_registryhousehold rh"
        if incremental:
            cte = changed_registry_cte(person_ids)
            source = "changed JOIN poverty_registry_registryhousehold rh ON rh.id = changed.registry_household_id"
        year_join, year_where = latest_year("rh", incremental)
        rows = fetch(f"""{cte}
            SELECT rh.id, rh.registry_code, rh.division_code, rh.year, rh.status,
                   rh.annual_income_per_capita, std.amount
            FROM {source}
            {year_join}
            JOIN {standards_sql()} std ON std.cp = substr(rh.division_code, 1, 6)
            WHERE rh.division_code LIKE %(prefix)s AND rh.status IN ('registered', 'monitored')
              AND rh.annual_income_per_capita / 12.0 < std.amount
              {year_where}
              AND NOT EXISTS (
                SELECT 1 FROM poverty_registry_registrymember rm
                JOIN households_member m ON m.person_id = rm.person_id AND m.is_active
                JOIN cases_case c ON c.household_id = m.household_id AND c.status IN {open_states_sql()}
                WHERE rm.registry_household_id = rh.id)""", params)
        members = self.registry_members([r[0] for r in rows])
        for rh_id, code, division, year, status, income, standard in rows:
            income, standard = Decimal(str(income)), Decimal(str(standard))
            yield Finding(
                subject_key=f"rh:{code}",
                details={"registry_household": rh_id, "registry_code": code, "year": year, "status": status,
                         "registry_monthly_income": money(income / 12), "standard": money(standard),
                         "members": sorted(members.get(rh_id, []))},
                division_code=division, registry_household_ids=[rh_id], person_ids=members.get(rh_id, []),
            )

    def registry_members(self, rh_ids) -> dict:
        out: dict = {}
        if rh_ids:
            for rh_id, pid in fetch(f"SELECT registry_household_id, person_id FROM poverty_registry_registrymember "
                                    f"WHERE registry_household_id IN {in_list(rh_ids)}", {}):
                out.setdefault(rh_id, []).append(pid)
        return out


def _case_registry_rows(prefix, person_ids, today, statuses, extra_where):
    """Cases in `statuses` joined to the latest-year registry households sharing an active member."""
    params = base_params(prefix, today)
    incremental = person_ids is not None
    cte, source = "", "cases_case c"
    if incremental:
        cte, source = changed_households_cte(person_ids), "changed JOIN cases_case c ON c.household_id = changed.household_id"
    year_join, year_where = latest_year("rh", incremental)
    return fetch(f"""{cte}
        SELECT DISTINCT c.id, c.division_code, c.household_id, c.status, c.monthly_amount,
               h.per_capita_monthly_income, rh.id, rh.registry_code, rh.status, rh.annual_income_per_capita,
               std.amount, COALESCE(pol.ratio, {DEFAULT_RATIO}), COALESCE(pol.inelig, {DEFAULT_INELIGIBLE})
        FROM {source}
        JOIN households_household h ON h.id = c.household_id
        JOIN households_member m ON m.household_id = h.id AND m.is_active
        JOIN poverty_registry_registrymember rm ON rm.person_id = m.person_id
        JOIN poverty_registry_registryhousehold rh ON rh.id = rm.registry_household_id
        {year_join}
        JOIN {standards_sql()} std ON std.cp = substr(c.division_code, 1, 6)
        LEFT JOIN {policy_sql()} pol ON pol.cp = substr(c.division_code, 1, 6)
        WHERE c.division_code LIKE %(prefix)s AND c.status IN ({", ".join(f"'{s}'" for s in statuses)})
          {year_where}
          AND ({extra_where})
        ORDER BY c.id, rh.id""", params, written_order=incremental)


def _case_findings(rows, describe, *, with_case_state: bool = True):
    """One finding per case from the case-registry rows. Without the case's state (an application moving
    through its investigation), a finding explained once is not raised again at each step."""
    seen = set()
    for (case_id, division, household_id, status, amount, dibao_income, rh_id, code, rh_status, rh_income,
         standard, ratio, inelig) in rows:
        if case_id in seen:
            continue
        seen.add(case_id)
        dibao_income, rh_income, standard, ratio, inelig = (
            Decimal(str(v)) for v in (dibao_income, rh_income, standard, ratio, inelig))
        details = {"case": case_id, "household": household_id}
        if with_case_state:
            details |= {"case_status": status, "monthly_amount": money(amount)}
        details |= {"dibao_monthly_income": money(dibao_income), "registry_household": rh_id,
                    "registry_code": code, "registry_status": rh_status,
                    "registry_monthly_income": money(rh_income / 12), "standard": money(standard)}
        details.update(describe(dibao_income, rh_income / 12, standard, ratio, inelig, rh_status))
        yield Finding(subject_key=f"c:{case_id}", details=details, division_code=division,
                      case_ids=[case_id], household_ids=[household_id], registry_household_ids=[rh_id])


class IneligibleRecipient(Rule):
    """A case being paid whose registry figures say it is not eligible:
    (a) status `active` (not in gradual exit), registry household not `lifted`, and registry
        monthly income above the standard x the county's `ineligible_multiple`; or
    (b) status active or gradual exit and the two departments' per-capita monthly incomes
        differ by more than `income_disagreement_ratio` of the larger one.
    A lifted registry household with dibao paid in full is STATUS_CONFLICT instead of (a).
    """

    code = RuleCode.INELIGIBLE_RECIPIENT
    severity = Severity.HIGH
    title = _("Recipient the registry says is not eligible")
    explanation = _("This household is paid dibao, but the poverty registry records a per-capita income above the "
                    "standard (and the case is not in gradual exit), or the two departments' income figures "
                    "differ widely. Review the household's income.")

    def scan(self, prefix="", person_ids=None, today=None):
        above = ("c.status = 'active' AND rh.status <> 'lifted' AND "
                 f"rh.annual_income_per_capita / 12.0 > std.amount * COALESCE(pol.inelig, {DEFAULT_INELIGIBLE})")
        disagree = (f"ABS(rh.annual_income_per_capita / 12.0 - h.per_capita_monthly_income) > "
                    f"COALESCE(pol.ratio, {DEFAULT_RATIO}) * (CASE WHEN rh.annual_income_per_capita / 12.0 > "
                    f"h.per_capita_monthly_income THEN rh.annual_income_per_capita / 12.0 "
                    f"ELSE h.per_capita_monthly_income END)")
        rows = _case_registry_rows(prefix, person_ids, today, PAID_STATES,
                                   f"({above}) OR ({disagree})")

        def describe(dibao_income, registry_income, standard, ratio, inelig, rh_status):
            reasons = []
            if rh_status != "lifted" and registry_income > standard * inelig:
                reasons.append("registry_income_above_standard")
            high = max(registry_income, dibao_income)
            if abs(registry_income - dibao_income) > ratio * high:
                reasons.append("income_figures_disagree")
            return {"reasons": reasons}

        yield from _case_findings(rows, describe)


class StatusConflict(Rule):
    """Defined precisely: the latest-year registry household is `lifted`, its per-capita monthly
    income (annual / 12) is at or above the standard, a member's household has a case in status
    `active` (paid in full, not gradual exit), and that household's recorded per-capita monthly
    income is below the standard. Dibao says "still below the line" where the registry says
    "lifted out with income above it"."""

    code = RuleCode.STATUS_CONFLICT
    severity = Severity.MEDIUM
    title = _("Lifted out of poverty but paid in full")
    explanation = _("The poverty registry marks this household as lifted out of poverty with a per-capita income at "
                    "or above the dibao standard, but its dibao case is paid in full (not in gradual exit) on a "
                    "recorded income below the standard. One of the two records is out of date.")

    def scan(self, prefix="", person_ids=None, today=None):
        where = ("rh.status = 'lifted' AND rh.annual_income_per_capita / 12.0 >= std.amount "
                 "AND h.per_capita_monthly_income < std.amount")
        rows = _case_registry_rows(prefix, person_ids, today, ["active"], where)
        yield from _case_findings(rows, lambda *a: {})


class EdgeHousehold(Rule):
    """A dibao-system household (active, with members) whose recorded per-capita monthly income
    is at least the standard and at most standard x `edge_upper_multiple` (1.5 by default), with
    no open case and no member in a latest-year registry household with status `monitored`."""

    code = RuleCode.EDGE_HOUSEHOLD
    severity = Severity.LOW
    title = _("Edge household to watch")
    explanation = _("This household's per-capita income is just above the dibao standard (up to the county's edge "
                    "multiple), it has no open case and the poverty registry does not monitor it. Watch it: a "
                    "setback could bring it below the line.")

    def scan(self, prefix="", person_ids=None, today=None):
        params = base_params(prefix, today)
        incremental = person_ids is not None
        cte, source = "", "households_household h"
        if incremental:
            cte, source = changed_households_cte(person_ids), "changed JOIN households_household h ON h.id = changed.household_id"
        year_join, year_where = latest_year("rh", incremental)
        rows = fetch(f"""{cte}
            SELECT h.id, h.division_code, h.per_capita_monthly_income, std.amount,
                   COALESCE(pol.edge, {DEFAULT_EDGE})
            FROM {source}
            JOIN {standards_sql()} std ON std.cp = substr(h.division_code, 1, 6)
            LEFT JOIN {policy_sql()} pol ON pol.cp = substr(h.division_code, 1, 6)
            WHERE h.division_code LIKE %(prefix)s AND h.is_active AND h.size > 0
              AND h.per_capita_monthly_income >= std.amount
              AND h.per_capita_monthly_income <= std.amount * COALESCE(pol.edge, {DEFAULT_EDGE})
              AND NOT EXISTS (SELECT 1 FROM cases_case c WHERE c.household_id = h.id
                              AND c.status IN {open_states_sql()})
              AND NOT EXISTS (
                SELECT 1 FROM households_member m
                JOIN poverty_registry_registrymember rm ON rm.person_id = m.person_id
                JOIN poverty_registry_registryhousehold rh ON rh.id = rm.registry_household_id
                {year_join}
                WHERE m.household_id = h.id AND m.is_active AND rh.status = 'monitored' {year_where})""", params)
        members = self.persons_of_households([r[0] for r in rows])
        for hid, division, income, standard, edge in rows:
            income, standard, edge = (Decimal(str(v)) for v in (income, standard, edge))
            yield Finding(subject_key=f"h:{hid}",
                          details={"household": hid, "dibao_monthly_income": money(income),
                                   "standard": money(standard), "upper": money(standard * edge)},
                          division_code=division, household_ids=[hid], person_ids=members.get(hid, []))
