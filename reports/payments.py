"""Dashboard figures from finalised payment rolls (recipients.PaymentRoll / PaymentLine).

A line carries its village code (`village_code`) and the roll its month (first day) and status.
One GROUP BY (child, month) query gives every figure. A finalised roll does not change, so the
result is cached under a key made from the finalised rolls in the area (id, status, version,
finalisation time): a newly finalised roll changes the key, and the heavy query runs only then.
"""

import hashlib
from datetime import date

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth

from dibao.cache import cache_get, cache_set
from recipients.models import PaymentLine, PaymentRoll, RollStatus

FINALISED = RollStatus.FINALISED
CACHE_SECONDS = 6 * 3600


def _rolls_digest(scope, months, using) -> str:
    county_prefix = scope.prefix[:6]
    rolls = (PaymentRoll.objects.using(using)
             .filter(status=FINALISED, month__gte=months[0], county__code__startswith=county_prefix)
             .order_by("id").values_list("id", "version", "finalised_at"))
    return hashlib.sha256(repr(list(rolls)).encode()).hexdigest()[:32]


def payment_figures(scope, months: list[date], *, using: str, group) -> dict:
    """Money paid per month and quarter and per child from finalised payment rolls."""
    key = (f"reports:payments:{using}:{scope.prefix}:{scope.child_prefix_length}:{months[0]}:"
           f"{_rolls_digest(scope, months, using)}")
    cached = cache_get(key)
    if cached is not None:
        return cached
    lines = PaymentLine.objects.using(using).filter(village_code__startswith=scope.prefix,
                                                    roll__status=FINALISED, roll__month__gte=months[0])
    rows = (lines.annotate(g=group(scope, "village_code"), m=TruncMonth("roll__month")).values("g", "m")
            .annotate(amount=Sum("amount"), households=Count("id")).order_by())
    by_month_rows: dict = {}
    by_child: dict = {}
    for row in rows:  # one row per (child, month): bounded by divisions x 12, not by lines
        for bucket, key_value in ((by_month_rows, row["m"]), (by_child, row["g"])):
            entry = bucket.setdefault(key_value, {"amount": 0, "households": 0})
            entry["amount"] += row["amount"] or 0
            entry["households"] += row["households"]
    by_month = []
    quarters: dict[str, dict] = {}
    for month in months:
        row = by_month_rows.get(month, {})
        amount = row.get("amount") or 0
        households = row.get("households") or 0
        by_month.append({"month": month, "label": month.strftime("%Y-%m"), "amount": amount, "households": households})
        quarter_key = f"{month.year} Q{(month.month - 1) // 3 + 1}"
        # The label is words, made on the page in the reader's language (this result is cached).
        quarter = quarters.setdefault(quarter_key, {"label": quarter_key, "year": month.year,
                                                    "quarter": (month.month - 1) // 3 + 1, "amount": 0, "households": 0})
        quarter["amount"] += amount
        quarter["households"] += households
    total = sum(r["amount"] for r in by_month)
    paid_lines = sum(r["households"] for r in by_month)
    result = {"by_month": by_month, "by_quarter": list(quarters.values()), "by_child": by_child,
              "total": total, "average": (total / paid_lines) if paid_lines else None}
    cache_set(key, result, CACHE_SECONDS)
    return result
