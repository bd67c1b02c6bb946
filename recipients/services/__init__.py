"""Every write of the recipients app. One module per entity; import from here."""

from recipients.services.exits import case_exit, gradual_exits_close
from recipients.services.policy import policy_for
from recipients.services.reviews import (
    next_review_due,
    recalculate_amount,
    review_complete,
    review_confirm_amount,
    review_report_change,
    reviews_create_due,
)
from recipients.services.rolls import (
    payment_roll_finalise,
    payment_roll_generate,
    payment_roll_review,
    payment_roll_run,
    payment_roll_start,
)

__all__ = [
    "case_exit", "gradual_exits_close", "policy_for", "next_review_due", "recalculate_amount",
    "review_complete", "review_confirm_amount", "review_report_change", "reviews_create_due", "payment_roll_generate", "payment_roll_start", "payment_roll_run",
    "payment_roll_review", "payment_roll_finalise",
]
