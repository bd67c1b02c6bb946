"""Users, roles and the administrative-division tree."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken


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
    # The three administrators (三员分立, GB/T 22239 level 3). ADMIN keeps its stored value "admin" so
    # existing accounts and API clients keep working; it is the system administrator.
    ADMIN = "admin", _("System administrator")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    AUDIT_ADMIN = "audit_admin", _("Audit administrator")


# The three administrator roles: no account holds two (one role field, and is_superuser only with ADMIN).
ADMIN_ROLES = (Role.ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)
# Who reads the audit and access logs: auditors in their area, the audit administrator everywhere.
AUDIT_LOG_READERS = (Role.AUDITOR, Role.AUDIT_ADMIN)

# The division level each role works at.
ROLE_LEVELS = {
    Role.VILLAGE_STAFF: {Level.VILLAGE},
    Role.TOWNSHIP_STAFF: {Level.TOWNSHIP},
    Role.COUNTY_OFFICER: {Level.COUNTY},
    Role.AUDITOR: {Level.COUNTY, Level.CITY, Level.PROVINCE},
    Role.ADMIN: set(LEVEL_ORDER),
    Role.SECURITY_ADMIN: set(LEVEL_ORDER),
    Role.AUDIT_ADMIN: set(LEVEL_ORDER),
}


class DibaoUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        # Only the system administrator may be a superuser (constraint superuser_is_system_admin).
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    SCOPE_FIELD = "division"  # a user is in the area of the division they work in (admins have none)

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.VILLAGE_STAFF)
    division = models.ForeignKey(
        Division, verbose_name=_("division"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )

    objects = DibaoUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # A superuser can do everything, so only the system administrator may be one (in production
            # none should exist: the deploy check accounts.W001 says so).
            models.CheckConstraint(condition=models.Q(is_superuser=False) | models.Q(role="admin"),
                                   name="superuser_is_system_admin"),
        ]

    @property
    def is_admin_role(self) -> bool:
        """The system administrator: users, divisions, configuration, and every business page."""
        return self.role == Role.ADMIN or self.is_superuser

    def has_role(self, *roles: str) -> bool:
        return self.is_admin_role or self.role in roles

    def has_exact_role(self, *roles: str) -> bool:
        """Like has_role, without the system administrator's pass (separation of duties)."""
        return self.role in roles

    def clean(self):
        super().clean()
        if self.is_superuser and self.role != Role.ADMIN:
            raise ValidationError({"role": _("Only a system administrator may be a superuser.")})
        if self.role not in ADMIN_ROLES and not self.is_superuser:
            if not self.division_id:
                raise ValidationError({"division": _("Every non-admin user belongs to a division.")})
            if self.division.level not in ROLE_LEVELS[self.role]:
                raise ValidationError(
                    {"division": _("A %(role)s works at the %(levels)s level.")
                     % {"role": self.get_role_display(),
                        "levels": ", ".join(str(Level(lv).label) for lv in ROLE_LEVELS[self.role])}}
                )


class ApiToken(AbstractAuthToken):
    """An API token (django-rest-knox: only its SHA-512 digest is stored). It expires after
    settings.TOKEN_TTL_HOURS and stops working when its owner's password changes (the fingerprint of the
    password hash it was issued under no longer matches) or the account is deactivated."""

    password_fingerprint = models.CharField(max_length=64)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("client"), max_length=200, blank=True)
    second_factor = models.BooleanField(_("second factor verified"), default=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
