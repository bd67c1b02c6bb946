"""Dashboard figures from the overlap findings (overlaps.OverlapFlag: rule, status, division_code)."""

from django.db.models import Count

OPEN_STATUSES = ("open",)


def open_statuses(flag_model) -> tuple[str, ...]:
    choices = dict(flag_model._meta.get_field("status").choices or [])
    found = tuple(s for s in OPEN_STATUSES if s in choices)
    return found or OPEN_STATUSES


def finding_figures(flag_model, scope, *, using: str, group) -> dict:
    rule_labels = dict(flag_model._meta.get_field("rule").choices or [])
    rows = (flag_model.objects.using(using)
            .filter(division_code__startswith=scope.prefix, status__in=open_statuses(flag_model))
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
        "status": open_statuses(flag_model)[0],
    }
