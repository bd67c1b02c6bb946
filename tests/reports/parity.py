"""The dashboard's figures as plain JSON-able values, to compare two databases."""

from decimal import Decimal

ROW_KEYS = ("code", "recipient_households", "recipient_persons", "benefit_total", "pending", "overdue",
            "staff_relative", "applications", "approved", "rejected", "population", "coverage", "approval_rate",
            "average_benefit", "median_days", "p90_days", "paid", "open_findings")


def _plain(value):
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value if value is None or isinstance(value, int | str | bool) else str(value)


def figures(data: dict) -> dict:
    return _plain({
        "rows": [{k: row.get(k) for k in ROW_KEYS} for row in data["rows"]],
        "totals": data["totals"],
        "series": [{k: v for k, v in r.items() if k != "month"} for r in data["series"]["rows"]],
        "payments": data["payments"],
        "findings": data["findings"],
        "working_days": data["working_days"],
        "percentiles_supported": data["percentiles_supported"],
    })


def processing_days() -> dict[str, int]:
    """The processing-time report's column as the report computes it (its build step), per case id."""
    from cases.models import Case
    from reports.definitions import get_report

    qs = get_report("processing_time").build(Case.objects.all())
    return {str(pk): days for pk, days in qs.values_list("id", "processing_days")}
