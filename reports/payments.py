"""Dashboard figures from finalised payment rolls (recipients.PaymentRoll / PaymentLine).

A line carries its village code (`village_code`) and the roll its month (first day) and status.
"""

from datetime import date

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth

FINALISED = "finalised"


def payment_figures(line_model, scope, months: list[date], *, using: str, group) -> dict:
    lines = line_model.objects.using(using).filter(village_code__startswith=scope.prefix,
                                                   roll__status=FINALISED, roll__month__gte=months[0])
    by_month_rows = {row["m"]: row for row in lines.annotate(m=TruncMonth("roll__month")).values("m")
                     .annotate(amount=Sum("amount"), households=Count("id")).order_by()}
    by_child = {row["g"]: row for row in lines.annotate(g=group(scope, "village_code")).values("g")
                .annotate(amount=Sum("amount"), households=Count("id")).order_by()}
    by_month = []
    quarters: dict[str, dict] = {}
    for month in months:
        row = by_month_rows.get(month, {})
        amount = row.get("amount") or 0
        households = row.get("households") or 0
        by_month.append({"month": month, "label": month.strftime("%Y-%m"), "amount": amount, "households": households})
        key = f"{month.year} Q{(month.month - 1) // 3 + 1}"
        quarter = quarters.setdefault(key, {"label": key, "amount": 0, "households": 0})
        quarter["amount"] += amount
        quarter["households"] += households
    total = sum(r["amount"] for r in by_month)
    paid_lines = sum(r["households"] for r in by_month)
    return {"by_month": by_month, "by_quarter": list(quarters.values()), "by_child": by_child,
            "total": total, "average": (total / paid_lines) if paid_lines else None}
