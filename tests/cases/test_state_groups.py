"""The groups of case states, written out literally: the one definition every app uses (cases.models)."""

from cases import models


def values(group) -> list[str]:
    return [str(s) for s in group]


def test_state_groups():
    assert values(models.ACCEPTED_PENDING_STATES) == ["under_investigation", "investigated", "in_notice",
                                                      "awaiting_decision"]
    assert values(models.SUBMITTED_PENDING_STATES) == ["submitted", "under_investigation", "investigated",
                                                       "in_notice", "awaiting_decision"]
    assert values(models.PENDING_STATES) == ["draft", "submitted", "under_investigation", "investigated",
                                             "in_notice", "awaiting_decision"]
    assert values(models.PAID_STATES) == ["active", "gradual_exit"]
    assert set(values(models.OPEN_STATES)) == {"draft", "submitted", "under_investigation", "investigated",
                                               "in_notice", "awaiting_decision", "active", "gradual_exit"}
    assert values(models.APPROVED_STATES) == ["active", "gradual_exit", "closed"]
    assert values(models.DECIDED_STATES) == ["active", "gradual_exit", "closed", "rejected"]
    assert values(models.TERMINAL_STATES) == ["rejected", "closed", "withdrawn"]
    # every state is either open or terminal, never both
    assert set(values(models.OPEN_STATES)) | set(values(models.TERMINAL_STATES)) == set(models.CaseStatus.values)
    assert not set(values(models.OPEN_STATES)) & set(values(models.TERMINAL_STATES))
