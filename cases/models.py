"""Dibao applications (cases). The workflow that moves them is `cases/workflow.py`."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from households.models import MONEY, NON_NEGATIVE, Household, Member


class CaseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    UNDER_INVESTIGATION = "under_investigation", _("Under investigation")
    INVESTIGATED = "investigated", _("Investigated")
    IN_NOTICE = "in_notice", _("In public notice")
    AWAITING_DECISION = "awaiting_decision", _("Awaiting decision")
    ACTIVE = "active", _("Active (recipient)")
    GRADUAL_EXIT = "gradual_exit", _("Gradual exit")
    REJECTED = "rejected", _("Rejected")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# The groups of states every app uses (one definition each).
# Accepted by the county and not yet decided: the working-day time limits run.
ACCEPTED_PENDING_STATES = (
    CaseStatus.UNDER_INVESTIGATION, CaseStatus.INVESTIGATED, CaseStatus.IN_NOTICE, CaseStatus.AWAITING_DECISION,
)
# Submitted and not yet decided: the county's work in hand.
SUBMITTED_PENDING_STATES = (CaseStatus.SUBMITTED, *ACCEPTED_PENDING_STATES)
# Before a decision: the case is pending.
PENDING_STATES = (CaseStatus.DRAFT, *SUBMITTED_PENDING_STATES)
# Being paid.
PAID_STATES = (CaseStatus.ACTIVE, CaseStatus.GRADUAL_EXIT)
# Pending or paid: a household has at most one such case.
OPEN_STATES = PENDING_STATES + PAID_STATES
# Approved (paid now, or closed after being paid), and decided either way.
APPROVED_STATES = (CaseStatus.ACTIVE, CaseStatus.GRADUAL_EXIT, CaseStatus.CLOSED)
DECIDED_STATES = APPROVED_STATES + (CaseStatus.REJECTED,)
TERMINAL_STATES = (CaseStatus.REJECTED, CaseStatus.CLOSED, CaseStatus.WITHDRAWN)


class Category(models.TextChoices):
    A = "A", _("A: stable, no income capacity")
    B = "B", _("B: stable, little income capacity")
    C = "C", _("C: unstable income or able-bodied members")


class CaseOrigin(models.TextChoices):
    ENTERED = "entered", _("Entered and decided here")
    MIGRATED = "migrated", _("Migrated from the previous system")


class Case(models.Model):
    """低保申请 / 案件: one application and its whole life, from entry to exit."""

    SCOPE_CODE_FIELD = "division_code"

    household = models.ForeignKey(Household, verbose_name=_("household"), on_delete=models.PROTECT,
                                  related_name="cases")
    # Copy of the household's village code: scoping without a join.
    division_code = models.CharField(_("division code"), max_length=12, db_index=True, editable=False)
    status = models.CharField(_("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.DRAFT,
                              db_index=True)
    applicant = models.ForeignKey(Member, verbose_name=_("applicant"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason for applying"), blank=True)
    authorisation_signed = models.BooleanField(_("authorisation for information checks signed"), default=False)
    authorisation_date = models.DateField(_("authorisation signed on"), null=True, blank=True)
    # 近亲属备案: applicant related to case staff or village cadres.
    staff_relative = models.BooleanField(_("staff relative"), default=False, db_index=True)
    staff_relative_relation = models.CharField(_("relation"), max_length=100, blank=True)
    staff_relative_to = models.CharField(_("related to (staff member / cadre)"), max_length=100, blank=True)
    # Individual inclusion (单人保): only this member is covered.
    individual_member = models.ForeignKey(Member, verbose_name=_("individually included member"), null=True,
                                          blank=True, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(_("category"), max_length=1, choices=Category.choices, blank=True)
    monthly_amount = models.DecimalField(_("monthly benefit (yuan)"), null=True, blank=True, **MONEY)
    first_payment_month = models.DateField(_("first payment month"), null=True, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("entered by"), on_delete=models.PROTECT,
                                   related_name="+")
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True, db_index=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Set when the holiday table has no schedule for a year the deadline crosses (weekends only counted).
    deadline_uncertain = models.BooleanField(_("deadline uncertain (holiday schedule missing)"), default=False)
    deadline_extended = models.BooleanField(_("time limit extended"), default=False)
    extension_reason = models.TextField(_("reason for extending"), blank=True)
    # The limit of the current step (e.g. decision within N working days after the notice).
    step_deadline = models.DateField(_("step deadline"), null=True, blank=True, db_index=True)
    step_name = models.CharField(_("step"), max_length=30, blank=True)
    return_reasons = models.TextField(_("reasons for return"), blank=True)
    investigation_round = models.PositiveSmallIntegerField(_("investigation round"), default=1)
    exit_reason = models.TextField(_("reason for exit"), blank=True)
    # Migrated: an active case brought in at go-live (golive), decided in the previous system; it had no
    # visits or notice here, and its timeline names the file, batch and row it came from.
    origin = models.CharField(_("origin"), max_length=10, choices=CaseOrigin.choices, default=CaseOrigin.ENTERED)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at", "-id"]
        constraints = [
            # A household has at most one open case (pending or being paid).
            models.UniqueConstraint(fields=["household"], condition=Q(status__in=OPEN_STATES),
                                    name="case_one_open_per_household"),
        ]
        indexes = [
            models.Index(fields=["division_code", "status"], name="case_division_status"),
            # A county-wide list of one status (the county officer's queue): division_code is a
            # range there, so (division_code, status) walks every case of the county; this one
            # reads the status's cases of the county only (benchmarks/RESULTS.md).
            models.Index(fields=["status", "division_code"], name="case_status_division"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.household} ({self.get_status_display()})"


# --- fields added by the workflow (issue 4) live on the models below and in migration 0002 ---


def household_paid_flags_refresh(household_ids) -> None:
    """Set Household.has_paid_case from the households' cases, in one UPDATE.

    Every write that moves a case into or out of PAID_STATES calls it in its own transaction.
    """
    Household.objects.filter(pk__in=household_ids).update(has_paid_case=Exists(
        Case.objects.filter(household=OuterRef("pk"), status__in=PAID_STATES)))


class Rounding(models.TextChoices):
    YUAN_UP = "yuan_up", _("Up to the whole yuan")
    YUAN_HALF_UP = "yuan_half_up", _("To the nearest yuan (half up)")
    FEN = "fen", _("To the fen (no rounding)")


class CasePolicy(models.Model):
    """A county's benefit and procedure configuration from a date (DOMAIN.md: all *local*)."""

    SCOPE_FIELD = "county"

    county = models.ForeignKey("accounts.Division", verbose_name=_("county"), on_delete=models.PROTECT,
                               related_name="case_policies", limit_choices_to={"level": "county"})
    effective_from = models.DateField(_("effective from"))
    elderly_surcharge_percent = models.DecimalField(_("surcharge per elderly member (percent of standard)"),
                                                    max_digits=5, decimal_places=2, default=Decimal("10"))
    minor_surcharge_percent = models.DecimalField(_("surcharge per minor (percent of standard)"),
                                                  max_digits=5, decimal_places=2, default=Decimal("10"))
    disabled_surcharge_percent = models.DecimalField(_("surcharge per severely disabled member (percent of standard)"),
                                                     max_digits=5, decimal_places=2, default=Decimal("20"))
    ill_surcharge_percent = models.DecimalField(_("surcharge per seriously ill member (percent of standard)"),
                                                max_digits=5, decimal_places=2, default=Decimal("20"))
    minimum_payment = models.DecimalField(_("minimum monthly payment (yuan)"), default=Decimal("50"), **MONEY)
    rounding = models.CharField(_("rounding"), max_length=15, choices=Rounding.choices, default=Rounding.YUAN_UP)
    individual_inclusion_percent = models.DecimalField(
        _("individual inclusion (percent of standard)"), max_digits=5, decimal_places=2, default=Decimal("60"),
        validators=[MinValueValidator(Decimal("60"))])
    deadline_days = models.PositiveSmallIntegerField(_("time limit (working days)"), default=30)
    extended_deadline_days = models.PositiveSmallIntegerField(_("extended time limit (working days)"), default=45)
    decision_days = models.PositiveSmallIntegerField(_("decision within (working days after the notice)"),
                                                     default=10)
    notice_days = models.PositiveSmallIntegerField(_("public notice (days)"), default=7,
                                                   validators=[MinValueValidator(1)])
    # Money needs two people (cases/amounts.py): above the calculation or this ceiling a second county
    # officer confirms; above the absolute ceiling (factor x standard x household size) it is refused.
    second_approval_above = models.DecimalField(_("second officer confirms monthly amounts above (yuan)"),
                                                null=True, blank=True, **MONEY)
    absolute_ceiling_factor = models.DecimalField(
        _("absolute ceiling (times the standard times the household size)"), max_digits=5, decimal_places=2,
        default=Decimal("10"), validators=[MinValueValidator(Decimal("1"))])
    second_officer_for_every_approval = models.BooleanField(_("a second officer confirms every approval"),
                                                            default=False)

    class Meta:
        verbose_name = _("case policy")
        verbose_name_plural = _("case policies")
        ordering = ["county_id", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["county", "effective_from"], name="case_policy_one_per_date")]

    def __str__(self):
        return f"{self.county} {self.effective_from}"


class Holiday(models.Model):
    """One day that differs from the Monday-Friday rule: a public holiday or a swapped working weekend."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Public holiday (no work)")
        WORKDAY = "workday", _("Swapped working day (weekend worked)")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("holiday or swapped working day")
        verbose_name_plural = _("holidays and swapped working days")
        ordering = ["date"]

    def __str__(self):
        # The seeded names are chinesecalendar's English ones; their words are in the catalogue.
        return f"{self.date} {self.get_kind_display()} {gettext(self.name) if self.name else ''}".strip()


class HomeVisit(models.Model):
    """入户调查: one of the two visits of an investigation round."""

    SCOPE_FIELD = "case__household__village"

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="visits")
    # An objection during the notice starts a new investigation round with two new visits.
    round = models.PositiveSmallIntegerField(_("investigation round"), default=1)
    number = models.PositiveSmallIntegerField(_("visit number"), choices=[(1, "1"), (2, "2")])
    visit_date = models.DateField(_("visit date"))
    investigators = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("investigators (users)"),
                                           blank=True, related_name="+")
    investigator_names = models.JSONField(_("investigators (named people)"), default=list, blank=True)
    findings = models.TextField(_("findings"))
    declared_monthly_income = models.DecimalField(_("declared monthly household income"), null=True, blank=True,
                                                  **MONEY)
    verified_monthly_income = models.DecimalField(_("verified monthly household income"), null=True, blank=True,
                                                  validators=NON_NEGATIVE, **MONEY)
    declared_financial_assets = models.DecimalField(_("declared financial assets"), null=True, blank=True, **MONEY)
    verified_financial_assets = models.DecimalField(_("verified financial assets"), null=True, blank=True,
                                                    validators=NON_NEGATIVE, **MONEY)
    applicant_signed = models.BooleanField(_("applicant signed the findings"), default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("home visit")
        verbose_name_plural = _("home visits")
        ordering = ["case_id", "round", "number"]
        constraints = [models.UniqueConstraint(fields=["case", "round", "number"], name="visit_one_per_number")]

    def __str__(self):
        return f"{self.case_id} visit {self.round}.{self.number}"


class PublicNotice(models.Model):
    """公示: the notice on the village board before the decision."""

    SCOPE_FIELD = "case__household__village"

    class Outcome(models.TextChoices):
        # In context: a bare "Open" is also a finding's status (待处理), and gettext keeps one translation.
        OPEN = "open", pgettext_lazy("public notice", "Open")
        OBJECTED = "objected", _("Ended by an objection")
        ENDED = "ended", _("Ended without objection")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="notices")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on (last day)"))
    days = models.PositiveSmallIntegerField(_("days"))
    applicant_name = models.CharField(_("applicant"), max_length=50)
    household_size = models.PositiveSmallIntegerField(_("household size"))
    proposed_amount = models.DecimalField(_("proposed monthly amount"), **MONEY)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("public notice")
        verbose_name_plural = _("public notices")
        ordering = ["case_id", "starts_on", "id"]

    def __str__(self):
        return f"{self.case_id} {self.starts_on}-{self.ends_on}"


class Objection(models.Model):
    SCOPE_FIELD = "notice__case__household__village"

    notice = models.ForeignKey(PublicNotice, on_delete=models.CASCADE, related_name="objections")
    received_on = models.DateField(_("received on"))
    raised_by = models.CharField(_("raised by"), max_length=100, blank=True)
    content = models.TextField(_("objection"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["notice_id", "id"]

    def __str__(self):
        return f"{self.notice_id} {self.received_on}"


class Decision(models.Model):
    """审批: approval or rejection, with every input that produced the amount (reproducible)."""

    SCOPE_FIELD = "case__household__village"

    class Outcome(models.TextChoices):
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class ReasonKind(models.TextChoices):
        MEDICAL = "medical", _("Medical or care expenses")
        RIGID_EXPENSES = "rigid_expenses", _("Other unavoidable expenses (schooling, housing)")
        VERIFIED_CIRCUMSTANCES = "verified_circumstances", _("Circumstances verified on the visits")
        OTHER = "other", _("Other (explained in the text)")

    class Confirmation(models.TextChoices):
        NOT_NEEDED = "", _("Not needed")
        PENDING = "pending", _("Awaiting second approval")
        CONFIRMED = "confirmed", _("Confirmed by a second officer")
        CANCELLED = "cancelled", _("Cancelled before confirmation")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="decisions")
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    category = models.CharField(_("category"), max_length=1, choices=Category.choices, blank=True)
    calculated_amount = models.DecimalField(_("calculated monthly amount"), null=True, blank=True, **MONEY)
    monthly_amount = models.DecimalField(_("monthly amount"), null=True, blank=True, **MONEY)
    override_reason = models.TextField(_("reason for overriding the amount"), blank=True)
    override_reason_kind = models.CharField(_("kind of reason"), max_length=30, choices=ReasonKind.choices,
                                            blank=True)
    confirmation = models.CharField(_("second approval"), max_length=10, choices=Confirmation.choices, blank=True,
                                    default="", db_index=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    first_payment_month = models.DateField(_("first payment month"), null=True, blank=True)
    reason = models.TextField(_("reasons"), blank=True)
    inputs = models.JSONField(_("calculation inputs"), default=dict, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_on = models.DateField(_("decided on"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["case_id", "-id"]

    def __str__(self):
        return f"{self.case_id} {self.get_outcome_display()}"


class CountyOffice(models.Model):
    """A county's issuing office as printed on its documents (admin-editable, audited): the office's name,
    the supervision phone on notices, the seal text, and the prefix of its letters' document numbers."""

    SCOPE_FIELD = "county"

    county = models.OneToOneField("accounts.Division", verbose_name=_("county"), on_delete=models.PROTECT,
                                  related_name="document_office", limit_choices_to={"level": "county"})
    issuing_office = models.CharField(_("issuing office"), max_length=100)
    supervision_phone = models.CharField(_("supervision phone"), max_length=40)
    seal_text = models.CharField(_("seal text"), max_length=100)
    # 文号 e.g. 平民低〔2026〕第15号: the prefix before the year.
    number_prefix = models.CharField(_("document number prefix"), max_length=20)

    class Meta:
        verbose_name = _("county issuing office")
        verbose_name_plural = _("county issuing offices")
        ordering = ["county_id"]

    def __str__(self):
        return self.issuing_office


class DocumentNumberCounter(models.Model):
    """The last document number used by a county in a year: locked while a number is taken, never reset."""

    county = models.ForeignKey("accounts.Division", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["county", "year"], name="document_counter_one_per_year")]

    def __str__(self):
        return f"{self.county_id} {self.year}: {self.last_number}"


class DocumentNumber(models.Model):
    """文号: one per decision letter, allocated once and never reused."""

    county = models.ForeignKey("accounts.Division", verbose_name=_("county"), on_delete=models.PROTECT,
                               related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(pgettext_lazy("document number", "number"))
    text = models.CharField(_("document number"), max_length=60)
    decision = models.OneToOneField(Decision, verbose_name=_("decision"), on_delete=models.PROTECT,
                                    related_name="document_number")
    allocated_at = models.DateTimeField(_("allocated"), auto_now_add=True)

    class Meta:
        verbose_name = _("document number")
        verbose_name_plural = _("document numbers")
        constraints = [models.UniqueConstraint(fields=["county", "year", "number"], name="document_number_unique")]

    def __str__(self):
        return self.text
