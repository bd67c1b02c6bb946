"""Dibao applications (cases). The workflow that moves them is `cases/workflow.py`."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from households.models import MONEY, Household, Member


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


# States before a decision: the case is pending. Active and gradual exit are being paid.
PENDING_STATES = (
    CaseStatus.DRAFT, CaseStatus.SUBMITTED, CaseStatus.UNDER_INVESTIGATION, CaseStatus.INVESTIGATED,
    CaseStatus.IN_NOTICE, CaseStatus.AWAITING_DECISION,
)
PAID_STATES = (CaseStatus.ACTIVE, CaseStatus.GRADUAL_EXIT)
OPEN_STATES = PENDING_STATES + PAID_STATES
TERMINAL_STATES = (CaseStatus.REJECTED, CaseStatus.CLOSED, CaseStatus.WITHDRAWN)


class Category(models.TextChoices):
    A = "A", _("A: stable, no income capacity")
    B = "B", _("B: stable, little income capacity")
    C = "C", _("C: unstable income or able-bodied members")


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
    deadline = models.DateField(_("deadline"), null=True, blank=True, db_index=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
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
        indexes = [models.Index(fields=["division_code", "status"], name="case_division_status")]

    def __str__(self):
        return f"#{self.pk} {self.household} ({self.get_status_display()})"
