"""Recipients over time: what happens to a dibao case after approval.

Periodic and change-reported reviews (复核), exits including the gradual exit (渐退期),
amounts to recover after fraud, the amount history, and the monthly payment rolls for the bank.

Why its own app: `cases/` holds the application workflow up to the decision. Everything here
starts once a case is active, so `recipients` depends on `cases` (its Case model, benefit
calculator and working-day calendar) and `cases` never imports `recipients`. The workflow's
exit action calls `recipients.services.case_exit`, the single exit service.
"""
