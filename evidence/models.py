"""Documents (files behind decisions), required-document configuration and complaints.

Target design: a document has a `target_type` (household | case | visit) and always carries the
household FK (so a household's page lists everything about it, and scoping has a fallback), the
case FK for case and visit documents, and for visit documents the visit number (1 or 2) plus
`visit_id`. The HomeVisit model lands with the workflow on another branch, so `visit_id` is a
plain integer for now; it becomes a FK to cases.HomeVisit when the workflow lands. The visit
number is what the signed-visit guard needs, and it stays meaningful after that change.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Division


class TargetType(models.TextChoices):
    HOUSEHOLD = "household", _("Household")
    CASE = "case", _("Case")
    VISIT = "visit", _("Home visit")


class DocumentType(models.TextChoices):
    AUTHORISATION = "authorisation", _("Signed authorisation for information checks")
    ID_COPY = "id_copy", _("ID card copy")
    HOUSEHOLD_REGISTER = "household_register", _("Household register copy")
    CERTIFICATE = "certificate", _("Medical or disability certificate")
    VISIT_RECORD = "visit_record", _("Signed home-visit record")
    PHOTO = "photo", _("Photo")
    OTHER = "other", _("Other")


class DocumentQuerySet(models.QuerySet):
    def live(self):
        return self.filter(deleted_at__isnull=True)


class Document(models.Model):
    """One uploaded file. The bytes live under VAR_DIR/documents with a random name."""

    SCOPE_CODE_FIELD = "division_code"

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    target_type = models.CharField(_("attached to"), max_length=10, choices=TargetType.choices)
    household = models.ForeignKey("households.Household", verbose_name=_("household"), on_delete=models.PROTECT,
                                  related_name="documents")
    case = models.ForeignKey("cases.Case", verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="documents")
    # Becomes a FK to cases.HomeVisit when the workflow lands (it does not exist on this branch yet).
    visit_id = models.PositiveIntegerField(_("home visit id"), null=True, blank=True, db_index=True)
    visit_number = models.PositiveSmallIntegerField(_("visit number"), null=True, blank=True,
                                                    choices=[(1, "1"), (2, "2")])
    document_type = models.CharField(_("document type"), max_length=20, choices=DocumentType.choices)
    original_name = models.CharField(_("file name"), max_length=120)
    stored_name = models.CharField(_("stored as"), max_length=80, unique=True, editable=False)
    thumbnail_name = models.CharField(_("thumbnail stored as"), max_length=80, blank=True, editable=False)
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    division_code = models.CharField(_("division code"), max_length=12, db_index=True, editable=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"),
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    deleted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("deleted by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    deleted_reason = models.CharField(_("reason for deleting"), max_length=200, blank=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["case", "document_type"], name="document_case_type"),
                   models.Index(fields=["household", "document_type"], name="document_household_type")]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_type="household", case__isnull=True, visit_number__isnull=True)
                | Q(target_type="case", case__isnull=False, visit_number__isnull=True)
                | Q(target_type="visit", case__isnull=False, visit_number__isnull=False),
                name="document_target_consistent"),
        ]

    def __str__(self):
        return f"{self.get_document_type_display()} · {self.original_name}"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Stage(models.TextChoices):
    SUBMIT = "submit", _("Before submitting the application")
    VISIT_SIGNED = "visit_signed", _("Before a home visit is recorded as signed")


class RequiredDocument(models.Model):
    """County configuration: a document type required at a stage, from a date.

    The latest row per (county, stage, type) with effective_from on or before the day decides;
    a row with `required` off lifts an earlier requirement.
    """

    SCOPE_FIELD = "county"

    county = models.ForeignKey(Division, verbose_name=_("county"), on_delete=models.PROTECT,
                               related_name="required_documents", limit_choices_to={"level": "county"})
    stage = models.CharField(_("stage"), max_length=15, choices=Stage.choices)
    document_type = models.CharField(_("document type"), max_length=20, choices=DocumentType.choices)
    effective_from = models.DateField(_("effective from"))
    required = models.BooleanField(_("required"), default=True)

    class Meta:
        verbose_name = _("required document")
        verbose_name_plural = _("required documents")
        ordering = ["county_id", "stage", "document_type", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["county", "stage", "document_type", "effective_from"],
                                               name="required_document_one_per_date")]

    def __str__(self):
        return f"{self.county} {self.get_stage_display()} {self.get_document_type_display()}"


class ComplaintChannel(models.TextChoices):
    VISIT = "visit", _("In person")
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter")
    ONLINE = "online", _("Online")


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    INVESTIGATING = "investigating", _("Investigating")
    RESOLVED = "resolved", _("Resolved")


class ComplaintOutcome(models.TextChoices):
    UPHELD = "upheld", _("Upheld")
    PARTLY_UPHELD = "partly_upheld", _("Partly upheld")
    NOT_UPHELD = "not_upheld", _("Not upheld")


OPEN_COMPLAINT_STATES = (ComplaintStatus.RECEIVED, ComplaintStatus.INVESTIGATING)
UPHELD_OUTCOMES = (ComplaintOutcome.UPHELD, ComplaintOutcome.PARTLY_UPHELD)


class Complaint(models.Model):
    """投诉举报 (Interim Measures art. 63): about a case, a household or a staff member."""

    SCOPE_CODE_FIELD = "division_code"

    anonymous = models.BooleanField(_("anonymous"), default=False)
    complainant_name = models.CharField(_("complainant"), max_length=50, blank=True)
    complainant_contact = models.CharField(_("complainant contact"), max_length=100, blank=True)
    case = models.ForeignKey("cases.Case", verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="complaints")
    household = models.ForeignKey("households.Household", verbose_name=_("household"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="complaints")
    staff_member = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("staff member complained about"),
                                     null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("complaint"))
    channel = models.CharField(_("channel"), max_length=10, choices=ComplaintChannel.choices)
    received_on = models.DateField(_("received on"))
    deadline = models.DateField(_("deadline"), db_index=True)
    status = models.CharField(_("status"), max_length=15, choices=ComplaintStatus.choices,
                              default=ComplaintStatus.RECEIVED, db_index=True)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    findings = models.TextField(pgettext_lazy("complaint", "findings"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=15, choices=ComplaintOutcome.choices, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("resolved by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(_("division code"), max_length=12, db_index=True, editable=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"),
                                    on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=False) | Q(household__isnull=False) | Q(staff_member__isnull=False),
                name="complaint_has_subject"),
            models.CheckConstraint(condition=Q(anonymous=False) | Q(complainant_name=""),
                                   name="complaint_anonymous_has_no_name"),
            models.CheckConstraint(condition=~Q(status="resolved") | ~Q(outcome=""),
                                   name="complaint_resolved_has_outcome"),
        ]
        indexes = [models.Index(fields=["division_code", "status"], name="complaint_division_status")]

    def __str__(self):
        return f"#{self.pk} {self.get_channel_display()} {self.received_on}"

    @property
    def is_about_staff(self) -> bool:
        return self.staff_member_id is not None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_COMPLAINT_STATES
