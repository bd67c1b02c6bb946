"""Dashboard figures from the overlap findings (overlaps.OverlapFlag: rule, status, division_code)."""

from django.db.models import Count

from overlaps.models import FlagStatus, OverlapFlag, RuleCode


def finding_figures(scope, *, using: str, group) -> dict:
    """Open findings per rule and per child."""
    rule_labels = dict(RuleCode.choices)
    rows = (OverlapFlag.objects.using(using)
            .filter(division_code__startswith=scope.prefix, status=FlagStatus.OPEN)
            .annotate(g=group(scope)).values("g", "rule").annotate(n=Count("id")).order_by("rule", "g"))
    by_child: dict[str, int] = {}
    by_rule: dict[str, int] = {}
    for row in rows:  # one row per (child, rule): bounded by divisions x rules, not by findings
        by_child[row["g"]] = by_child.get(row["g"], 0) + row["n"]
        by_rule[row["rule"]] = by_rule.get(row["rule"], 0) + row["n"]
    return {
        "by_child": by_child,
        "by_rule": [{"rule": rule, "label": rule_labels.get(rule, rule), "count": n} for rule, n in sorted(by_rule.items())],
        "total": sum(by_rule.values()),
        "status": FlagStatus.OPEN.value,
    }
