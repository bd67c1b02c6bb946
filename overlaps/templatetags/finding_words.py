"""Rule codes in words on pages outside the findings app (the scan job's page)."""

from django import template
from django.utils.translation import gettext_lazy as _

from overlaps.models import RuleCode

register = template.Library()


@register.simple_tag
def rule_counts(counts):
    """[(rule label, number)] of a scan job's per-rule counts."""
    labels = dict(RuleCode.choices)
    rules = (counts or {}).get("rules") or {}
    return [(labels.get(code, code), n) for code, n in sorted(rules.items())]


# Why a finding matched (details["reason"] / details["reasons"] written by the rules), in words.
REASONS = {
    "registry_lifted_above_standard": _("the roster lists the household as lifted out of poverty with an income "
                                        "at or above the dibao standard"),
    "registry_income_above_standard": _("the roster's per-capita income is above the dibao standard"),
    "income_figures_disagree": _("the two departments' income figures differ widely"),
    "one_digit": _("the ID numbers differ in one digit"),
    "transposition": _("the ID numbers differ by two swapped digits"),
    "bad_check_digit": _("one ID number has a wrong check character"),
}


@register.filter
def match_reason(code):
    return REASONS.get(code, _("another condition of the rule"))
