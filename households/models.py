"""Households, their members, income and assets; the person index; county standards.

Writes go through `households.services`; the denormalised figures on Household (size,
counts, per-capita monthly income) are kept current there, never in save().
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Division
from households import crypto
from households.idnumber import mask

MONEY = {"max_digits": 12, "decimal_places": 2}
NON_NEGATIVE = [MinValueValidator(Decimal("0"))]


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Person(models.Model):
    """One real person, keyed by resident ID number (the shared person index).

    Household members, poverty-registry members and (through members) dibao cases all link
    here, so the shared registry joins on `id_hash` without ever decrypting.
    """

    id_hash = models.CharField(_("ID number blind index"), max_length=64, unique=True)
    id_encrypted = models.BinaryField(_("ID number (encrypted)"))
    # Blind index of (last six characters of the number, name): search without the digits in clear.
    id_suffix_hash = models.CharField(_("ID suffix and name blind index"), max_length=64, blank=True,
                                      db_default="", db_index=True, editable=False)
    # Suite and key versions of id_encrypted and the indexes ("aes:2:1"); rotate_keys rewrites the others.
    key_state = models.CharField(_("key state"), max_length=20, blank=True, db_default="", editable=False)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    name_pinyin = models.CharField(_("name in pinyin"), max_length=200, blank=True, db_index=True)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    region_code = models.CharField(_("region code"), max_length=6)
    # Listed in a registration of the poverty-alleviation roster (any year). Kept by the registry's writers
    # (poverty_registry.models.persons_roster_flags_refresh), so dibao reads it without importing the registry.
    on_poverty_roster = models.BooleanField(_("on the poverty roster"), default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        # The shared registry's blocking key for probable duplicates (overlaps.rules.persons): one index range per
        # person, so a household's check reads its members' blocks only. Also serves (birth_date, sex) lookups.
        indexes = [models.Index(fields=["birth_date", "sex", "name_pinyin"], name="person_blocking_key")]

    def __str__(self):
        return f"{self.name} ({self.masked_id})"

    @property
    def id_number(self) -> str:
        """The full number. Show it only on a detail view to a user in scope."""
        return crypto.decrypt_id(self.id_encrypted, id_hash=self.id_hash)

    @property
    def masked_id(self) -> str:
        return mask(self.id_number)


class Household(models.Model):
    """家庭: the co-resident family that applies and is paid as one unit."""

    SCOPE_CODE_FIELD = "division_code"

    class RegistrationType(models.TextChoices):
        RURAL = "rural", _("Rural household registration")
        URBAN = "urban", _("Urban household registration")
        MIXED = "mixed", _("Mixed")

    village = models.ForeignKey(Division, verbose_name=_("village"), on_delete=models.PROTECT,
                                related_name="households", limit_choices_to={"level": "village"})
    # Copy of village.code so scoping is a prefix test on this table alone (no join).
    division_code = models.CharField(_("division code"), max_length=12, db_index=True, editable=False)
    address = models.CharField(_("address"), max_length=200)
    registration_type = models.CharField(_("registration type"), max_length=10,
                                         choices=RegistrationType.choices, default=RegistrationType.RURAL)
    # The contact phone and bank account are stored encrypted (households.crypto): read and write them through
    # the `contact_phone` and `bank_account` properties below; search them by their blind indexes.
    crypto_row = models.UUIDField(default=uuid.uuid4, editable=False)
    phone_encrypted = models.BinaryField(_("contact phone (encrypted)"), blank=True, default=b"", editable=False)
    phone_hash = models.CharField(_("contact phone blind index"), max_length=64, blank=True, default="",
                                  db_index=True, editable=False)
    phone_last4_hash = models.CharField(_("contact phone last digits blind index"), max_length=64, blank=True,
                                        default="", db_index=True, editable=False)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    bank_account_encrypted = models.BinaryField(_("bank account (encrypted)"), blank=True, default=b"",
                                                editable=False)
    bank_account_hash = models.CharField(_("bank account blind index"), max_length=64, blank=True, default="",
                                         db_index=True, editable=False)
    # Suite and key versions of the two ciphertexts and their indexes; rotate_keys rewrites the others.
    key_state = models.CharField(_("key state"), max_length=20, blank=True, default="", editable=False)
    head_name = models.CharField(_("head of household"), max_length=50, blank=True, db_index=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    # Denormalised, kept current by households.services.household_recalculate.
    size = models.PositiveSmallIntegerField(_("household size"), default=0)
    counted_members = models.PositiveSmallIntegerField(_("counted members"), default=0)
    elderly_count = models.PositiveSmallIntegerField(_("elderly members"), default=0)
    minor_count = models.PositiveSmallIntegerField(_("minor members"), default=0)
    disabled_count = models.PositiveSmallIntegerField(_("severely disabled members"), default=0)
    seriously_ill_count = models.PositiveSmallIntegerField(_("seriously ill members"), default=0)
    monthly_counted_income = models.DecimalField(_("counted monthly income"), default=Decimal("0"), **MONEY)
    per_capita_monthly_income = models.DecimalField(_("per-capita monthly income"), default=Decimal("0"), **MONEY)
    is_active = models.BooleanField(_("active"), default=True)
    # A case of the household is active or in gradual exit. Kept by cases (cases.models.household_paid_flags_refresh,
    # in the transaction of every change into or out of those states), so households can list and filter
    # recipients without importing cases.
    has_paid_case = models.BooleanField(_("has a paid case"), default=False, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["division_code", "id"]
        indexes = [
            models.Index(fields=["division_code", "id"], name="household_division_id"),
            # The list's COUNT(*) over a county (tens of thousands of rows) as an index-only scan.
            models.Index(fields=["division_code"], condition=Q(is_active=True), name="household_active_division"),
        ]

    def __str__(self):
        return f"{self.head_name or _('Household')} · {self.address}"

    # -- the encrypted contact phone and bank account: plaintext in, plaintext out ------------------------
    contact_phone = crypto.CONTACT_PHONE
    bank_account = crypto.BANK_ACCOUNT

    @property
    def masked_bank_account(self) -> str:
        return mask_account(self.bank_account)

    # rotate_keys (households.rotation) re-seals the rows of every model with this method.
    SEALED_COLUMNS = ("phone_encrypted", "phone_hash", "phone_last4_hash", "bank_account_encrypted",
                      "bank_account_hash", "key_state")

    def reseal(self) -> None:
        crypto.reseal(self)

    @classmethod
    def stale_rows(cls, ring):
        """Rows not on the current keys; a row with neither a phone nor an account has nothing to move."""
        return cls.objects.exclude(key_state=ring.state).exclude(phone_hash="", bank_account_hash="")


PHONE_VALIDATOR = RegexValidator(r"^\+?\d[\d-]{5,18}$", _("Enter a phone number of digits (and dashes)."))
BANK_ACCOUNT_VALIDATOR = RegexValidator(r"^\d{8,30}$", _("A bank account number is 8 to 30 digits."))


def mask_account(account: str) -> str:
    return ("*" * max(0, len(account) - 4) + account[-4:]) if account else ""


class Member(models.Model):
    SCOPE_FIELD = "household__village"

    class Relationship(models.TextChoices):
        HEAD = "head", _("Head of household")
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        GRANDCHILD = "grandchild", _("Grandchild")
        GRANDPARENT = "grandparent", _("Grandparent")
        SIBLING = "sibling", _("Sibling")
        CHILD_IN_LAW = "child_in_law", _("Son- or daughter-in-law")
        OTHER = "other", _("Other (legal duty of support)")

    class LabourCapacity(models.TextChoices):
        FULL = "full", pgettext_lazy("labour capacity", "Full")
        PARTIAL = "partial", pgettext_lazy("labour capacity", "Partial")
        NONE = "none", pgettext_lazy("labour capacity", "None")

    class Health(models.TextChoices):
        HEALTHY = "healthy", _("Healthy")
        CHRONIC = "chronic", _("Chronic illness")
        SERIOUS = "serious", _("Serious illness")
        DISABLED = "disabled", pgettext_lazy("health", "Disabled")

    class DisabilityType(models.TextChoices):
        NONE = "", _("None")
        VISUAL = "visual", _("Visual")
        HEARING = "hearing", _("Hearing")
        SPEECH = "speech", _("Speech")
        PHYSICAL = "physical", _("Physical")
        INTELLECTUAL = "intellectual", _("Intellectual")
        MENTAL = "mental", _("Mental")
        MULTIPLE = "multiple", _("Multiple")

    class StudentLevel(models.TextChoices):
        NONE = "", _("Not a student")
        PRESCHOOL = "preschool", _("Preschool")
        PRIMARY = "primary", _("Primary school")
        JUNIOR = "junior", _("Junior secondary")
        SENIOR = "senior", _("Senior secondary / vocational")
        COLLEGE = "college", _("College / bachelor's")
        POSTGRADUATE = "postgraduate", _("Postgraduate")

    class NotCountedReason(models.TextChoices):
        NONE = "", _("Counted")
        PRISON = "prison", _("Serving a prison sentence")
        DETOX = "detox", _("In compulsory drug rehabilitation")
        CLERGY = "clergy", _("Clergy living apart 3+ years")
        INDEPENDENT_ADULT = "independent_adult", _("Adult child living independently")
        OTHER = "other", _("Other (explained)")

    household = models.ForeignKey(Household, verbose_name=_("household"), on_delete=models.CASCADE,
                                  related_name="members")
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="memberships")
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    relationship = models.CharField(_("relationship to head"), max_length=20, choices=Relationship.choices)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, editable=False)
    birth_date = models.DateField(_("birth date"), editable=False)
    labour_capacity = models.CharField(_("labour capacity"), max_length=10, choices=LabourCapacity.choices,
                                       default=LabourCapacity.FULL)
    health = models.CharField(_("health"), max_length=10, choices=Health.choices, default=Health.HEALTHY)
    disability_grade = models.PositiveSmallIntegerField(_("disability grade"), null=True, blank=True,
                                                        choices=[(i, str(i)) for i in range(1, 5)])
    disability_type = models.CharField(_("disability type"), max_length=15, choices=DisabilityType.choices,
                                       blank=True, default="")
    student_level = models.CharField(_("student level"), max_length=15, choices=StudentLevel.choices,
                                     blank=True, default="")
    counted = models.BooleanField(_("counted in household"), default=True)
    not_counted_reason = models.CharField(_("reason not counted"), max_length=20, choices=NotCountedReason.choices,
                                          blank=True, default="")
    not_counted_note = models.CharField(_("note"), max_length=200, blank=True)
    # A member who leaves stays in history; only active memberships count and are unique.
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["household_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(is_active=True),
                                    name="member_one_active_household_per_person"),
            models.UniqueConstraint(fields=["household"], condition=Q(is_active=True, relationship="head"),
                                    name="member_one_head_per_household"),
            models.CheckConstraint(condition=Q(counted=True) | ~Q(not_counted_reason=""),
                                   name="member_not_counted_has_reason"),
        ]
        indexes = [
            # Search by name prefix (LIKE 'x%') among active members, whatever the database collation;
            # household_id included so the search's semi-join is an index-only scan.
            models.Index(fields=["name"], opclasses=["varchar_pattern_ops"], include=["household_id"],
                         condition=Q(is_active=True), name="member_active_name_prefix_hh"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_severely_disabled(self) -> bool:
        """Grade 1-2, or grade 3 intellectual/mental (DOMAIN.md, individual inclusion)."""
        if self.health != self.Health.DISABLED or not self.disability_grade:
            return False
        return self.disability_grade <= 2 or (
            self.disability_grade == 3 and self.disability_type in (self.DisabilityType.INTELLECTUAL,
                                                                    self.DisabilityType.MENTAL))


class IncomeKind(models.TextChoices):
    WAGES = "wages", _("Wages")
    BUSINESS = "business", _("Net business income")
    PROPERTY = "property", _("Property income")
    TRANSFER = "transfer", _("Transfer income")
    SUPPORT = "support", _("Support payments from relatives")
    BASIC_PENSION = "basic_pension", _("Residents' basic pension")
    SOCIAL_ASSISTANCE = "social_assistance", _("Social-assistance payments")
    SPECIAL_CARE = "special_care", _("Special-care pension")
    AWARD = "award", _("Awards")
    SCHOLARSHIP = "scholarship", _("Scholarships")
    FAMILY_PLANNING = "family_planning", _("Family-planning rewards")
    OTHER = "other", _("Other")


class IncomeItem(models.Model):
    SCOPE_FIELD = "household__village"

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="incomes")
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.CASCADE, related_name="incomes")
    kind = models.CharField(_("kind"), max_length=20, choices=IncomeKind.choices)
    monthly_amount = models.DecimalField(_("monthly amount (yuan)"), validators=NON_NEGATIVE, **MONEY)
    period_months = models.PositiveSmallIntegerField(
        _("reference period (months)"), validators=[MinValueValidator(1)],
        help_text=_("Months the amount was averaged over, usually 12."))
    counted = models.BooleanField(_("counted"), default=True)
    excluded_reason = models.CharField(_("reason excluded"), max_length=200, blank=True)
    deductible_costs = models.DecimalField(_("deductible monthly costs (yuan)"), default=Decimal("0"),
                                           validators=NON_NEGATIVE,
                                           help_text=_("Unavoidable costs of disability or serious illness."),
                                           **MONEY)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("income item")
        verbose_name_plural = _("income items")
        ordering = ["household_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(monthly_amount__gte=0) & Q(deductible_costs__gte=0),
                                   name="income_non_negative"),
            models.CheckConstraint(condition=Q(period_months__gte=1), name="income_has_period"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.monthly_amount}"


class Asset(models.Model):
    SCOPE_FIELD = "household__village"

    class Kind(models.TextChoices):
        DEPOSITS = "deposits", _("Deposits")
        SECURITIES = "securities", _("Securities")
        VEHICLE = "vehicle", _("Vehicle")
        HOUSE = "house", _("House")
        BUSINESS_REGISTRATION = "business_registration", _("Business registration")
        OTHER = "other", _("Other")

    class VehicleType(models.TextChoices):
        NONE = "", _("Not a vehicle")
        CAR = "car", _("Car or truck")
        DISABILITY_CARRIAGE = "disability_carriage", _("Disability carriage")
        MOTORCYCLE = "motorcycle", _("Motorcycle")
        EBIKE = "ebike", _("Electric bicycle")
        AGRICULTURAL = "agricultural", _("Agricultural machine")

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="assets")
    kind = models.CharField(_("kind"), max_length=25, choices=Kind.choices)
    vehicle_type = models.CharField(_("vehicle type"), max_length=25, choices=VehicleType.choices,
                                    blank=True, default="")
    value = models.DecimalField(_("value (yuan)"), validators=NON_NEGATIVE, default=Decimal("0"), **MONEY)
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        ordering = ["household_id", "id"]
        constraints = [models.CheckConstraint(condition=Q(value__gte=0), name="asset_non_negative")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.value}"


class Standard(models.Model):
    """低保标准: yuan per person per month for a county, from a date (local configuration)."""

    SCOPE_FIELD = "county"

    county = models.ForeignKey(Division, verbose_name=_("county"), on_delete=models.PROTECT,
                               related_name="standards", limit_choices_to={"level": "county"})
    monthly_amount = models.DecimalField(_("monthly standard (yuan/person)"),
                                         validators=[MinValueValidator(Decimal("1"))], **MONEY)
    effective_from = models.DateField(_("effective from"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("standard")
        verbose_name_plural = _("standards")
        ordering = ["county_id", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["county", "effective_from"], name="standard_one_per_date")]

    def __str__(self):
        return f"{self.county} {self.monthly_amount} ({self.effective_from})"


class IncomePolicy(models.Model):
    """A county's income and asset rules from a date (DOMAIN.md marks all of them *local*)."""

    SCOPE_FIELD = "county"

    class WorkCostMode(models.TextChoices):
        PERCENT_OF_EARNINGS = "earnings", _("Percent of earnings")
        PERCENT_OF_STANDARD = "standard", _("Percent of the standard per working member")

    county = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="income_policies",
                               limit_choices_to={"level": "county"})
    effective_from = models.DateField(_("effective from"))
    work_cost_mode = models.CharField(_("work-cost allowance"), max_length=10, choices=WorkCostMode.choices,
                                      default=WorkCostMode.PERCENT_OF_EARNINGS)
    work_cost_percent = models.DecimalField(_("work-cost allowance (%)"), max_digits=5, decimal_places=2,
                                            default=Decimal("10"))
    excluded_income_kinds = models.JSONField(
        _("income kinds not counted"),
        default=list,
        help_text=_("Kinds such as social_assistance, special_care, award, scholarship, family_planning, basic_pension."),
    )
    financial_asset_months = models.PositiveSmallIntegerField(
        _("financial assets limit (months of standard per person)"), default=24)
    max_houses = models.PositiveSmallIntegerField(_("houses allowed"), default=1)
    allowed_vehicle_types = models.JSONField(_("vehicle types allowed"), default=list)
    business_registration_allowed = models.BooleanField(_("business registration allowed"), default=False)

    class Meta:
        verbose_name = _("income and asset policy")
        verbose_name_plural = _("income and asset policies")
        ordering = ["county_id", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["county", "effective_from"], name="income_policy_one_per_date")]

    def __str__(self):
        return f"{self.county} {self.effective_from}"


DEFAULT_EXCLUDED_INCOME_KINDS = [
    IncomeKind.SOCIAL_ASSISTANCE, IncomeKind.SPECIAL_CARE, IncomeKind.AWARD, IncomeKind.SCHOLARSHIP,
    IncomeKind.FAMILY_PLANNING, IncomeKind.BASIC_PENSION,
]
DEFAULT_ALLOWED_VEHICLES = [Asset.VehicleType.DISABILITY_CARRIAGE, Asset.VehicleType.MOTORCYCLE,
                            Asset.VehicleType.EBIKE, Asset.VehicleType.AGRICULTURAL]
