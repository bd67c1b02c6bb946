"""Exports of reports: who asked for what, with which filters and purpose, and where the file is."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportFormat(models.TextChoices):
    CSV = "csv", _("CSV (UTF-8, opens in Excel)")
    XLSX = "xlsx", _("Excel workbook (XLSX)")


class Export(models.Model):
    """One requested export. Small ones stream at once (no file); large ones run as a job.

    The file of a job-made export is served only to the requester, until `expires_at`.
    """

    SCOPE_CODE_FIELD = "division_code"

    report = models.CharField(_("report"), max_length=40)
    format = models.CharField(_("format"), max_length=4, choices=ExportFormat.choices)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    division_code = models.CharField(_("division"), max_length=12, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"),
                                     on_delete=models.PROTECT, related_name="+")
    job = models.ForeignKey("jobs.Job", verbose_name=_("job"), null=True, blank=True,
                            on_delete=models.SET_NULL, related_name="+")
    purpose = models.CharField(_("stated purpose for full ID numbers"), max_length=300, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    streamed = models.BooleanField(_("streamed at once"), default=False)
    file = models.CharField(_("file"), max_length=300, blank=True)
    file_deleted = models.BooleanField(_("file deleted"), default=False)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), db_index=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.report}.{self.format} #{self.pk}"

    @property
    def unmasked(self) -> bool:
        return bool(self.purpose)

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class DataChange(models.Model):
    """Written by database triggers only (see reports/changes.py): a statement changed `changes`
    cases (or household sizes) under this division code in transaction `xact`."""

    division_code = models.CharField(max_length=12, db_index=True)
    changes = models.BigIntegerField()
    xact = models.BigIntegerField()

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"{self.division_code}: {self.changes} in {self.xact}"
