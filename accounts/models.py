"""Users, roles and the administrative-division tree."""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County")
    TOWNSHIP = "township", _("Township")
    VILLAGE = "village", _("Village")


# Significant digits of the 12-digit statistical code at each level: a division's subtree is
# exactly the codes that start with its prefix, so "is inside" is a prefix test on an index.
LEVEL_PREFIX_LENGTH = {
    Level.PROVINCE: 2,
    Level.CITY: 4,
    Level.COUNTY: 6,
    Level.TOWNSHIP: 9,
    Level.VILLAGE: 12,
}
LEVEL_ORDER = [Level.PROVINCE, Level.CITY, Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE]


class Division(models.Model):
    """行政区划: province > city > county > township > village."""

    SCOPE_FIELD = ""  # a division is scoped by its own code

    code = models.CharField(
        _("code"),
        max_length=12,
        unique=True,
        validators=[RegexValidator(r"^\d{12}$", _("A division code is exactly 12 digits."))],
    )
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    population = models.PositiveIntegerField(_("rural population"), null=True, blank=True)

    class Meta:
        verbose_name = _("division")
        verbose_name_plural = _("divisions")
        ordering = ["code"]
        indexes = [
            # The unique index on code also gets a varchar_pattern_ops twin on PostgreSQL
            # (Django adds it), which serves the prefix ("is inside") searches.
            models.Index(fields=["level", "code"]),
        ]

    def __str__(self):
        return self.name

    @property
    def prefix(self) -> str:
        return self.code[: LEVEL_PREFIX_LENGTH[self.level]]

    def contains(self, other: "Division") -> bool:
        return other.code.startswith(self.prefix) and LEVEL_ORDER.index(other.level) >= LEVEL_ORDER.index(self.level)

    def clean(self):
        if self.level == Level.PROVINCE:
            if self.parent_id:
                raise ValidationError({"parent": _("A province has no parent.")})
        else:
            if not self.parent_id:
                raise ValidationError({"parent": _("Only a province may be without a parent.")})
            expected = LEVEL_ORDER[LEVEL_ORDER.index(self.level) - 1]
            if self.parent.level != expected:
                raise ValidationError(
                    {"parent": _("The parent of a %(level)s must be a %(expected)s.")
                     % {"level": self.get_level_display(), "expected": Level(expected).label}}
                )
            if self.code and not self.code.startswith(self.parent.prefix):
                raise ValidationError({"code": _("The code must start with the parent's code %(prefix)s.")
                                       % {"prefix": self.parent.prefix}})
        if self.code and self.level:
            tail = self.code[LEVEL_PREFIX_LENGTH[self.level]:]
            if tail.strip("0"):
                raise ValidationError({"code": _("A %(level)s code ends with %(n)d zeros.")
                                       % {"level": self.get_level_display(), "n": len(tail)}})


class Role(models.TextChoices):
    VILLAGE_STAFF = "village_staff", _("Village staff")
    TOWNSHIP_STAFF = "township_staff", _("Township staff")
    COUNTY_OFFICER = "county_officer", _("County civil-affairs officer")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")


# The division level each role works at.
ROLE_LEVELS = {
    Role.VILLAGE_STAFF: {Level.VILLAGE},
    Role.TOWNSHIP_STAFF: {Level.TOWNSHIP},
    Role.COUNTY_OFFICER: {Level.COUNTY},
    Role.AUDITOR: {Level.COUNTY, Level.CITY, Level.PROVINCE},
    Role.ADMIN: set(LEVEL_ORDER),
}


class User(AbstractUser):
    SCOPE_FIELD = "division"  # a user is in the area of the division they work in (admins have none)

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.VILLAGE_STAFF)
    division = models.ForeignKey(
        Division, verbose_name=_("division"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def is_admin_role(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    def has_role(self, *roles: str) -> bool:
        return self.is_admin_role or self.role in roles

    def clean(self):
        super().clean()
        if self.role != Role.ADMIN and not self.is_superuser:
            if not self.division_id:
                raise ValidationError({"division": _("Every non-admin user belongs to a division.")})
            if self.division.level not in ROLE_LEVELS[self.role]:
                raise ValidationError(
                    {"division": _("A %(role)s works at the %(levels)s level.")
                     % {"role": self.get_role_display(),
                        "levels": ", ".join(str(Level(lv).label) for lv in ROLE_LEVELS[self.role])}}
                )
