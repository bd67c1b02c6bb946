"""Poverty-alleviation registrations (建档立卡 / 防返贫监测): the other department's roster.

A registry household is never merged with a dibao household: the two meet only through the
shared person index (households.Person), which members link to by resident ID number.
Writes go through `poverty_registry.services` (single records) and
`poverty_registry.importing` (files, set-based).
"""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Division
from households.models import Person


class RegistryStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered poor household")
    LIFTED = "lifted", _("Lifted out of poverty")
    MONITORED = "monitored", _("Monitored")


class MonitoringType(models.TextChoices):
    NONE = "", _("Not monitored")
    UNSTABLE = "unstable", _("Unstable after lifting out")
    EDGE = "edge", _("Edge household at risk")
    SUDDEN = "sudden", _("Sudden severe hardship")


class RegistryHousehold(models.Model):
    """One household of the roster for one year (the roster is replaced yearly)."""

    SCOPE_CODE_FIELD = "division_code"

    year = models.PositiveSmallIntegerField(_("year"))
    registry_code = models.CharField(_("registry household code"), max_length=40)
    village = models.ForeignKey(Division, verbose_name=_("village"), on_delete=models.PROTECT,
                                related_name="registry_households")
    division_code = models.CharField(_("division code"), max_length=12, db_index=True)
    status = models.CharField(_("status"), max_length=12, choices=RegistryStatus.choices)
    monitoring_type = models.CharField(_("monitoring type"), max_length=10, choices=MonitoringType.choices,
                                       blank=True, default="")
    lifted_year = models.PositiveSmallIntegerField(_("year lifted out"), null=True, blank=True)
    annual_income_per_capita = models.DecimalField(_("annual per-capita income (yuan)"), max_digits=12,
                                                   decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    import_job = models.ForeignKey("jobs.Job", verbose_name=_("import job"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("poverty registration")
        verbose_name_plural = _("poverty registrations")
        ordering = ["-year", "division_code", "registry_code"]
        constraints = [
            models.UniqueConstraint(fields=["year", "registry_code"], name="registry_household_one_per_year"),
            models.CheckConstraint(condition=models.Q(annual_income_per_capita__gte=0),
                                   name="registry_income_non_negative"),
        ]
        indexes = [models.Index(fields=["division_code", "year"], name="registry_division_year")]

    def __str__(self):
        return f"{self.registry_code} ({self.year})"


class RegistryMember(models.Model):
    SCOPE_FIELD = "registry_household__village"

    registry_household = models.ForeignKey(RegistryHousehold, verbose_name=_("registry household"),
                                           on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT,
                               related_name="registry_memberships")
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    relationship = models.CharField(_("relationship to head"), max_length=30, blank=True)
    is_head = models.BooleanField(_("head of household"), default=False)
    # The import that last confirmed this member; members a re-import no longer lists are removed.
    import_job = models.ForeignKey("jobs.Job", verbose_name=_("import job"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("registry member")
        verbose_name_plural = _("registry members")
        ordering = ["registry_household_id", "-is_head", "id"]
        constraints = [
            models.UniqueConstraint(fields=["registry_household", "person"], name="registry_member_once"),
        ]

    def __str__(self):
        return self.name


def persons_roster_flags_refresh(person_ids) -> None:
    """Set Person.on_poverty_roster from the registrations, touching only the persons whose answer changed.

    Every write that adds or removes registry members calls it in the same transaction.
    """
    listed = Exists(RegistryMember.objects.filter(person=OuterRef("pk")))
    persons = Person.objects.filter(pk__in=person_ids)
    persons.filter(listed, on_poverty_roster=False).update(on_poverty_roster=True)
    persons.filter(~listed, on_poverty_roster=True).update(on_poverty_roster=False)
