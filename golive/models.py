"""The go-live roster import: batches, their staged rows, and the households they brought in.

A batch is one uploaded roster file. Its rows are staged (golive_stagedrow: validated, ID numbers already
encrypted and blind-indexed) by the dry run; nothing else is written until a county officer confirms.
The confirmation creates or updates households, members and migrated cases from the staged rows, and
records per household what it did (BatchHousehold) so the batch can be undone while nobody has touched
its rows since. MigratedHousehold links the source system's household code to our household: a re-run
of the same file finds its households unchanged (same fingerprint) and a corrected file updates them.
"""

import json

from django.conf import settings
from django.db import models
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from households import crypto
from households.models import MONEY, Household
from jobs.models import Job


class BatchStatus(models.TextChoices):
    CHECKING = "checking", _("Dry run in progress")
    CHECKED = "checked", _("Dry run finished: waiting for confirmation")
    REFUSED = "refused", _("Dry run failed")
    APPLYING = "applying", _("Being imported")
    APPLIED = "applied", _("Imported")
    FAILED = "failed", _("Import failed")
    UNDONE = "undone", _("Undone")
    # A dry run never confirmed: discarded by hand, superseded by a newer one, or expired; its staged rows gone.
    DISCARDED = "discarded", _("Dry run discarded (not confirmed)")


class RosterBatch(models.Model):
    SCOPE_CODE_FIELD = "county_code"

    county_code = models.CharField(_("county"), max_length=12, db_index=True)
    filename = models.CharField(_("file"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.CHECKING)
    dry_run_job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    apply_job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The dry run's findings: totals and per village {created, updated, unchanged, refused} households and rows.
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    unknown_columns = models.JSONField(_("columns not recognised"), default=list, blank=True)
    error_file = models.CharField(_("row errors"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    applied_at = models.DateTimeField(_("imported"), null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("roster import batch")
        verbose_name_plural = _("roster import batches")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"#{self.pk} {self.filename} ({self.status})"


class RowAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    UNCHANGED = "unchanged", _("Unchanged")
    REFUSED = "refused", _("Refused")


STAGED_CONTACT_CONTEXT = "golive_stagedrow.contact"


def _contact_text(pair) -> str:
    """A staged row's (phone, bank account) as the text sealed: nothing when both are empty."""
    return json.dumps(list(pair)) if any(pair) else ""


def _contact_pair(text: str) -> tuple[str, str]:
    return tuple(json.loads(text)) if text else ("", "")


class StagedRow(models.Model):
    """One member row of a roster file as the dry run read it (the staging table of the set-based import)."""

    batch = models.ForeignKey(RosterBatch, on_delete=models.CASCADE, related_name="rows")
    row = models.PositiveIntegerField(_("row"))
    household_code = models.CharField(max_length=40)
    village_code = models.CharField(max_length=12, blank=True)
    village_id = models.BigIntegerField(null=True)
    address = models.CharField(max_length=200, blank=True)
    # The row's phone and bank account, sealed together as JSON ["phone", "account"] bound to batch and row
    # (`contact`): never in clear while the batch waits for its confirmation.
    contact_encrypted = models.BinaryField(null=True)
    contact = crypto.SealedValue(STAGED_CONTACT_CONTEXT, column="contact_encrypted", row_fields=("batch_id", "row"),
                                 to_text=_contact_text, from_text=_contact_pair, empty=None,
                                 doc="(phone, bank account); the column is NULL when both are empty.")
    member_name = models.CharField(max_length=50, blank=True)
    id_hash = models.CharField(max_length=64, blank=True)
    id_encrypted = models.BinaryField(null=True)
    birth_date = models.DateField(null=True)
    sex = models.CharField(max_length=1, blank=True)
    region_code = models.CharField(max_length=6, blank=True)
    relationship = models.CharField(max_length=20, blank=True)
    is_head = models.BooleanField(default=False)
    health = models.CharField(max_length=10, blank=True)
    disability_grade = models.PositiveSmallIntegerField(null=True)
    labour_capacity = models.CharField(max_length=10, blank=True)
    category = models.CharField(max_length=1, blank=True)
    monthly_amount = models.DecimalField(null=True, **MONEY)
    approved_on = models.DateField(null=True)
    individual_inclusion = models.BooleanField(default=False)
    gradual_exit_until = models.DateField(null=True)
    next_review_on = models.DateField(null=True)
    bank_name = models.CharField(max_length=100, blank=True)
    # A 40-bit hash of the row's values; a household's fingerprint is the sum over its rows (order-free).
    row_hash = models.BigIntegerField(default=0)
    error_column = models.CharField(max_length=40, blank=True)
    error_reason = models.CharField(max_length=300, blank=True)
    action = models.CharField(max_length=10, choices=RowAction.choices, blank=True)

    class Meta:
        indexes = [models.Index(fields=["batch", "household_code"], name="stagedrow_batch_household"),
                   models.Index(fields=["batch", "id_hash"], name="stagedrow_batch_person")]

    def __str__(self):
        return f"{self.batch_id}:{self.row}"

    # rotate_keys (households.rotation) re-seals the encrypted ID numbers of staged rows still waiting for their
    # batch to be confirmed (applied batches delete theirs), with the blind index recomputed like Person's.
    SEALED_COLUMNS = ("id_hash", "id_encrypted", "contact_encrypted")

    @classmethod
    def stale_rows(cls, ring):
        return (cls.objects.filter(id_encrypted__isnull=False).exclude(id_hash="")
                .annotate(key_header=Substr("id_encrypted", 1, crypto.keys.HEADER_BYTES, output_field=models.BinaryField()))
                .exclude(key_header=ring.current.pack()))

    def reseal(self) -> None:
        ring = crypto.keyring()
        number = crypto.decrypt_id(self.id_encrypted, id_hash=self.id_hash, ring=ring)
        self.id_hash = ring.blind_index(number)
        self.id_encrypted = crypto.encrypt_id(number, id_hash=self.id_hash, ring=ring)
        crypto.reseal(self, ring)


class MigratedHousehold(models.Model):
    """The source system's household code of a household brought in at go-live (one per county and code)."""

    SCOPE_CODE_FIELD = "county_code"

    county_code = models.CharField(max_length=12)
    household_code = models.CharField(_("household code (previous system)"), max_length=40)
    household = models.OneToOneField(Household, on_delete=models.CASCADE, related_name="migration")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    fingerprint = models.CharField(max_length=40)
    batch = models.ForeignKey(RosterBatch, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["county_code", "household_code"],
                                               name="migrated_household_one_per_code")]

    def __str__(self):
        return f"{self.county_code}:{self.household_code}"


class BatchHousehold(models.Model):
    """What a confirmed batch did to one household: what undo needs to put back."""

    batch = models.ForeignKey(RosterBatch, on_delete=models.CASCADE, related_name="households")
    household_id = models.BigIntegerField()
    case_id = models.BigIntegerField(null=True)
    created = models.BooleanField()
    # After the batch wrote them: a later change by anyone moves these on, and the batch can no longer be undone.
    household_version = models.PositiveIntegerField()
    case_version = models.PositiveIntegerField(null=True)
    # For an update: the household, its members and case as they were; the members the batch added.
    before = models.JSONField(default=dict, blank=True)
    added_member_ids = models.JSONField(default=list, blank=True)
    persons_created = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [models.Index(fields=["batch", "household_id"], name="batchhousehold_batch_hh")]

    def __str__(self):
        return f"{self.batch_id}:{self.household_id}"
