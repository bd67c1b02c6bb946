"""Recipients over time: county policy, reviews, exits, recoveries, amount history, payment rolls."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Division
from cases.models import Case, Decision
from households import crypto
from households.models import MONEY, Household, mask_account

DEFAULT_GRADUAL_SCHEDULE = [100, 100, 80, 80, 60, 60]
DEFAULT_GRADUAL_SCHEDULE_POVERTY_ROSTER = [100, 100, 100, 100, 80, 80, 80, 80, 60, 60, 60, 60]


class RecipientPolicy(models.Model):
    """County configuration for dynamic management, with an effective date (*local* figures)."""

    SCOPE_FIELD = "county"

    county = models.ForeignKey(Division, verbose_name=_("county"), on_delete=models.PROTECT,
                               related_name="recipient_policies", limit_choices_to={"level": "county"})
    effective_from = models.DateField(_("effective from"))
    review_months_a = models.PositiveSmallIntegerField(
        _("review interval, category A (months)"), default=12, validators=[MinValueValidator(1), MaxValueValidator(36)])
    review_months_b = models.PositiveSmallIntegerField(
        _("review interval, category B (months)"), default=12, validators=[MinValueValidator(1), MaxValueValidator(36)])
    review_months_c = models.PositiveSmallIntegerField(
        _("review interval, category C (months)"), default=6, validators=[MinValueValidator(1), MaxValueValidator(36)])
    # One percentage per month of the gradual exit, e.g. 100/100/80/80/60/60.
    gradual_exit_schedule = models.JSONField(_("gradual-exit schedule (% per month)"),
                                             default=list)
    gradual_exit_schedule_poverty_roster = models.JSONField(
        _("gradual-exit schedule for households on the poverty roster (% per month)"), default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("recipient policy")
        verbose_name_plural = _("recipient policies")
        ordering = ["county", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["county", "effective_from"],
                                               name="recipient_policy_one_per_county_date")]

    def __str__(self):
        return f"{self.county} {self.effective_from}"

    def clean(self):
        errors = {}
        for field in ("gradual_exit_schedule", "gradual_exit_schedule_poverty_roster"):
            value = getattr(self, field)
            if not isinstance(value, list) or not value or len(value) > 24 or not all(
                    isinstance(p, int) and 0 < p <= 100 for p in value):
                errors[field] = [_("Give 1 to 24 whole percentages between 1 and 100, one per month.")]
        if errors:
            raise ValidationError(errors)

    def review_months(self, category: str) -> int:
        return {"A": self.review_months_a, "B": self.review_months_b}.get(category, self.review_months_c)

    def gradual_schedule(self, *, on_poverty_roster: bool) -> list[int]:
        if on_poverty_roster:
            return list(self.gradual_exit_schedule_poverty_roster or DEFAULT_GRADUAL_SCHEDULE_POVERTY_ROSTER)
        return list(self.gradual_exit_schedule or DEFAULT_GRADUAL_SCHEDULE)


class ReviewKind(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CHANGE_REPORTED = "change_reported", _("Change reported")


class ReviewStatus(models.TextChoices):
    DUE = "due", _("Due")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class ReviewOutcome(models.TextChoices):
    CONTINUE = "continue", _("Continue unchanged")
    ADJUST = "adjust", _("Adjust the amount")
    EXIT = "exit", _("Exit")


class Review(models.Model):
    """复核: a periodic or change-reported re-check of a recipient household."""

    SCOPE_CODE_FIELD = "division_code"

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="reviews")
    division_code = models.CharField(_("division code"), max_length=12, db_index=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=ReviewKind.choices, default=ReviewKind.SCHEDULED)
    status = models.CharField(_("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.DUE)
    due_date = models.DateField(_("due date"))
    reported_change = models.TextField(_("change reported by the household"), blank=True)
    findings = models.TextField(_("visit findings"), blank=True)
    verified_per_capita_income = models.DecimalField(_("verified per-capita monthly income"), null=True, blank=True,
                                                     **MONEY)
    outcome = models.CharField(pgettext_lazy("review", "outcome"), max_length=10, choices=ReviewOutcome.choices, blank=True)
    previous_amount = models.DecimalField(_("previous monthly amount"), null=True, blank=True, **MONEY)
    new_amount = models.DecimalField(_("new monthly amount"), null=True, blank=True, **MONEY)
    # The benefit calculator's inputs and result, so the new amount can be reproduced.
    calculation = models.JSONField(_("calculation inputs"), default=dict, blank=True)
    # A review that raises the amount (cases/amounts.py): the proposing officer's reason of substance, then a
    # second county officer's confirmation; until then the review stays due and nothing is paid differently.
    confirmation = models.CharField(_("second approval"), max_length=10, choices=Decision.Confirmation.choices,
                                    blank=True, default="")
    amount_reason_kind = models.CharField(_("kind of reason"), max_length=30, choices=Decision.ReasonKind.choices,
                                          blank=True)
    amount_reason = models.TextField(_("reason for the higher amount"), blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("proposed by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    # The date the review schedule counts on from: the due date of a scheduled review, the
    # completion date of a change-reported one.
    anchor_date = models.DateField(_("schedule counted from"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("completed by"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "due_date"], condition=Q(kind="scheduled"),
                                    name="review_one_scheduled_per_case_date"),
            models.UniqueConstraint(fields=["case"], condition=Q(status="due"),
                                    name="review_one_open_per_case"),
        ]
        indexes = [models.Index(fields=["division_code", "status", "due_date"], name="review_div_status_due"),
                   # The due queue in due-date order: a county's first page comes off this index (a division
                   # prefix is a range, so the index above cannot give the order).
                   models.Index(fields=["status", "due_date", "id"], name="review_status_due_id")]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk} ({self.due_date})"

    @property
    def awaiting_second_approval(self) -> bool:
        return self.confirmation == Decision.Confirmation.PENDING


class ExitKind(models.TextChoices):
    DEATH = "death", _("Death")
    MOVED_AWAY = "moved_away", _("Moved away")
    FRAUD = "fraud", _("Fraud")
    REFUSED_WORK = "refused_work", _("Refused suitable work three times")
    INCOME_FAR_ABOVE = "income_far_above", _("Income far above the line")
    INCOME_ABOVE_LINE = "income_above_line", _("Income above the line (gradual exit)")
    # Set by the go-live import only: a corrected roster file no longer lists the household as a recipient.
    ROSTER_ENDED = "roster_ended", _("Ended in the previous system (corrected roster file)")


GRADUAL_EXIT_KINDS = (ExitKind.INCOME_ABOVE_LINE,)
# The reasons an officer chooses by hand (pages, API); ROSTER_ENDED comes from the go-live import alone.
EXIT_KINDS_BY_HAND = [(value, label) for value, label in ExitKind.choices if value != ExitKind.ROSTER_ENDED]


class CaseExit(models.Model):
    """The end of a recipient case, immediate or after a gradual exit; the notice letter prints from it."""

    SCOPE_CODE_FIELD = "division_code"

    case = models.OneToOneField(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="exit")
    division_code = models.CharField(_("division code"), max_length=12, db_index=True, editable=False)
    kind = models.CharField(_("exit reason"), max_length=20, choices=ExitKind.choices)
    reason = models.TextField(_("written reason"))
    # Immediate exit: the first month not paid. Gradual exit: the first month of the schedule.
    effective_month = models.DateField(_("effective month"))
    gradual_schedule = models.JSONField(_("gradual-exit schedule (% per month)"), default=list, blank=True)
    on_poverty_roster = models.BooleanField(_("household on the poverty roster"), default=False)
    # The first month with no payment at all.
    end_month = models.DateField(_("payments end before"))
    review = models.ForeignKey(Review, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("decided"), auto_now_add=True)

    class Meta:
        verbose_name = _("exit")
        verbose_name_plural = _("exits")
        ordering = ["-decided_at"]

    def __str__(self):
        return f"{self.case_id} {self.get_kind_display()}"

    @property
    def is_gradual(self) -> bool:
        return bool(self.gradual_schedule)


class Recovery(models.Model):
    """An amount owed back after a fraud exit (追回)."""

    SCOPE_CODE_FIELD = "division_code"

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="recoveries")
    case_exit = models.ForeignKey(CaseExit, verbose_name=_("exit"), on_delete=models.PROTECT,
                                  related_name="recoveries")
    division_code = models.CharField(_("division code"), max_length=12, db_index=True, editable=False)
    amount = models.DecimalField(_("amount to recover (yuan)"), validators=[MinValueValidator(Decimal("0.01"))],
                                 **MONEY)
    amount_recovered = models.DecimalField(_("amount recovered (yuan)"), default=Decimal("0"), **MONEY)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("recovery")
        verbose_name_plural = _("recoveries")
        ordering = ["-recorded_at"]

    def __str__(self):
        return f"{self.case_id}: {self.amount}"


class BenefitChangeKind(models.TextChoices):
    ADJUSTMENT = "adjustment", _("Adjustment after review")


class BenefitChange(models.Model):
    """The amount history: from `effective_month` on, the case is paid `amount` (until the next change).

    Before the first change the case is paid `previous_amount` of that first change (the approved
    amount), so a roll for a past month always uses the amount then in force.
    """

    SCOPE_CODE_FIELD = "division_code"

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="benefit_changes")
    division_code = models.CharField(_("division code"), max_length=12, db_index=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=BenefitChangeKind.choices,
                            default=BenefitChangeKind.ADJUSTMENT)
    effective_month = models.DateField(_("effective month"))
    previous_amount = models.DecimalField(_("previous monthly amount"), **MONEY)
    amount = models.DecimalField(_("monthly amount"), **MONEY)
    calculation = models.JSONField(_("calculation inputs"), default=dict, blank=True)
    review = models.ForeignKey(Review, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("benefit change")
        verbose_name_plural = _("benefit changes")
        ordering = ["case", "effective_month", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "effective_month"],
                                               name="benefit_change_one_per_case_month")]

    def __str__(self):
        return f"{self.case_id} {self.effective_month:%Y-%m}: {self.amount}"


class RollStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEWED = "reviewed", _("Reviewed")
    FINALISED = "finalised", _("Finalised")


class PaymentRoll(models.Model):
    """The monthly payment roll of one county: one line per household paid that month."""

    SCOPE_FIELD = "county"

    county = models.ForeignKey(Division, verbose_name=_("county"), on_delete=models.PROTECT,
                               related_name="payment_rolls")
    month = models.DateField(_("month"))
    status = models.CharField(_("status"), max_length=10, choices=RollStatus.choices, default=RollStatus.DRAFT)
    line_count = models.PositiveIntegerField(pgettext_lazy("count", "households"), default=0)
    total_amount = models.DecimalField(_("total (yuan)"), default=Decimal("0"), **MONEY)
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("generated by"), null=True,
                                     on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField(_("generated"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    finalised_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("finalised by"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    finalised_at = models.DateTimeField(_("finalised"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("payment roll")
        verbose_name_plural = _("payment rolls")
        ordering = ["-month", "county_id"]
        constraints = [models.UniqueConstraint(fields=["county", "month"], name="payment_roll_one_per_county_month")]

    def __str__(self):
        return f"{self.county} {self.month:%Y-%m}"


class PaymentLine(models.Model):
    SCOPE_CODE_FIELD = "village_code"

    roll = models.ForeignKey(PaymentRoll, verbose_name=_("payment roll"), on_delete=models.CASCADE,
                             related_name="lines")
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="+")
    village_code = models.CharField(_("village code"), max_length=12, db_index=True)
    village_name = models.CharField(_("village"), max_length=100)
    payee_name = models.CharField(_("payee"), max_length=50)
    payee_id_masked = models.CharField(_("payee ID number (masked)"), max_length=18, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    # The payee's bank account, encrypted like the household's (read and write it through `bank_account`).
    crypto_row = models.UUIDField(default=uuid.uuid4, editable=False)
    bank_account_encrypted = models.BinaryField(_("bank account (encrypted)"), blank=True, default=b"",
                                                editable=False)
    key_state = models.CharField(_("key state"), max_length=20, blank=True, default="", editable=False)
    bank_account = crypto.SealedValue(crypto.PAYMENT_ACCOUNT_CONTEXT, column="bank_account_encrypted")
    full_amount = models.DecimalField(_("monthly benefit (yuan)"), **MONEY)
    percent = models.PositiveSmallIntegerField(_("percent paid"), default=100)
    amount = models.DecimalField(_("amount paid (yuan)"), **MONEY)

    class Meta:
        verbose_name = _("payment line")
        verbose_name_plural = _("payment lines")
        ordering = ["village_code", "case_id"]
        constraints = [models.UniqueConstraint(fields=["roll", "case"], name="payment_line_one_per_case")]

    def __str__(self):
        return f"{self.payee_name}: {self.amount}"

    @property
    def masked_bank_account(self) -> str:
        return mask_account(self.bank_account)

    # rotate_keys (households.rotation) re-seals the rows of every model with this method.
    SEALED_COLUMNS = ("bank_account_encrypted", "key_state")

    def reseal(self) -> None:
        crypto.reseal(self)

    @classmethod
    def stale_rows(cls, ring):
        """Lines not on the current keys (lines written as plain columns without an account have no key state)."""
        return cls.objects.exclude(key_state=ring.state).exclude(key_state="", bank_account_encrypted=b"")
