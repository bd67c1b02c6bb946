"""Findings of the shared registry (信息比对) and the county thresholds the rules use."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Division


class Severity(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class RuleCode(models.TextChoices):
    DUPLICATE_PERSON_HOUSEHOLDS = "DUPLICATE_PERSON_HOUSEHOLDS", _("Person in two households")
    DOUBLE_DIBAO = "DOUBLE_DIBAO", _("Person in two open dibao cases")
    PROBABLE_DUPLICATE = "PROBABLE_DUPLICATE", _("Probable duplicate person")
    PROTECTION_GAP = "PROTECTION_GAP", _("Registered poor below the standard without dibao")
    INELIGIBLE_RECIPIENT = "INELIGIBLE_RECIPIENT", _("Recipient the registry says is not eligible")
    STATUS_CONFLICT = "STATUS_CONFLICT", _("Lifted out of poverty but paid in full")
    STAFF_RELATIVE = "STAFF_RELATIVE", _("Staff-relative application")
    EDGE_HOUSEHOLD = "EDGE_HOUSEHOLD", _("Edge household to watch")
    APPLICATION_ROSTER_CONFLICT = "APPLICATION_ROSTER_CONFLICT", _("Application contradicted by the poverty roster")


class FlagStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("finding status", "Open")  # not a notice's 公示中
    CONFIRMED = "confirmed", _("Confirmed and acted on")
    EXPLAINED = "explained", _("Explained")
    FALSE_MATCH = "false_match", _("False match")
    CLOSED = "closed", _("Closed (condition no longer holds)")


RESOLVED_STATUSES = (FlagStatus.CONFIRMED, FlagStatus.EXPLAINED, FlagStatus.FALSE_MATCH)


class OverlapPolicy(models.Model):
    """A county's thresholds for the rules, from a date. Without a row the defaults apply."""

    SCOPE_FIELD = "county"

    county = models.ForeignKey(Division, verbose_name=_("county"), on_delete=models.PROTECT,
                               related_name="overlap_policies", limit_choices_to={"level": "county"})
    effective_from = models.DateField(_("effective from"))
    income_disagreement_ratio = models.DecimalField(
        _("income disagreement ratio"), max_digits=5, decimal_places=2, default=Decimal("0.50"),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Raise a finding when the two departments' per-capita incomes differ by more than this "
                    "share of the larger figure."))
    ineligible_multiple = models.DecimalField(
        _("ineligible income multiple"), max_digits=5, decimal_places=2, default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0.5"))],
        help_text=_("A recipient whose registry income exceeds this multiple of the standard is flagged."))
    edge_upper_multiple = models.DecimalField(
        _("edge household upper multiple"), max_digits=5, decimal_places=2, default=Decimal("1.50"),
        validators=[MinValueValidator(Decimal("1"))])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("overlap policy")
        verbose_name_plural = _("overlap policies")
        ordering = ["county_id", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["county", "effective_from"], name="overlap_policy_one_per_date")]

    def __str__(self):
        return f"{self.county} ({self.effective_from})"


class OverlapFlag(models.Model):
    """One finding: a (rule, subject) whose condition held at the last scan.

    At most one *open* row per (rule, subject_key). Rows are never deleted: a finding whose
    condition no longer holds is `closed`; a resolved one keeps its outcome, and a later scan
    raises a new row only when `data_fingerprint` (a digest of the compared data) changes.
    """

    SCOPE_CODE_FIELD = "division_code"

    rule = models.CharField(_("rule"), max_length=40, choices=RuleCode.choices, db_index=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    subject_key = models.CharField(_("subject"), max_length=200)
    details = models.JSONField(_("details"), default=dict)
    data_fingerprint = models.CharField(_("data fingerprint"), max_length=64)
    division_code = models.CharField(_("division code"), max_length=12, db_index=True)
    division = models.ForeignKey(Division, verbose_name=_("division"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=FlagStatus.choices, default=FlagStatus.OPEN,
                              db_index=True)
    persons = models.ManyToManyField("households.Person", related_name="overlap_flags", blank=True)
    households = models.ManyToManyField("households.Household", related_name="overlap_flags", blank=True)
    cases = models.ManyToManyField("cases.Case", related_name="overlap_flags", blank=True)
    registry_households = models.ManyToManyField("poverty_registry.RegistryHousehold",
                                                 related_name="overlap_flags", blank=True)
    first_seen_at = models.DateTimeField(_("first seen"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen"))
    closed_at = models.DateTimeField(pgettext_lazy("finding", "closed"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("resolved by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolution_note = models.TextField(_("note"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = pgettext_lazy("shared registry", "findings")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "subject_key"], condition=Q(status="open"),
                                    name="overlap_flag_one_open_per_subject"),
        ]
        indexes = [
            models.Index(fields=["rule", "subject_key", "-id"], name="overlap_flag_rule_subject"),
            models.Index(fields=["division_code", "status"], name="overlap_flag_division_status"),
        ]

    def __str__(self):
        return f"{self.rule} {self.subject_key} ({self.status})"


OUTCOME_CHOICES = [(s.value, s.label) for s in RESOLVED_STATUSES]
