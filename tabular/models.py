"""The synonyms of import-file headers and values that a county adds without code (admin site).

The standard words (DESIGN.md's Chinese headers and values, the civil-affairs wording) are built in
(tabular/synonyms.py); this table extends them: another department's spelling, an old system's header.
"""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class FileKind(models.TextChoices):
    ANY = "", _("Every import file")
    POVERTY_REGISTRY = "poverty_registry", _("Poverty registry file")
    ROSTER = "roster", _("Recipient roster file")


class Synonym(models.Model):
    """One more way a file may name a column (header) or write one of a column's values."""

    file_kind = models.CharField(_("file"), max_length=20, choices=FileKind.choices, blank=True, default="")
    column = models.CharField(_("column (code name)"), max_length=40,
                              help_text=_("The column's English code name, e.g. status or relationship."))
    value = models.CharField(_("value (code name)"), max_length=40, blank=True,
                             help_text=_("Empty: the synonym is a header for the column. Otherwise the value it "
                                         "stands for, e.g. lifted."))
    synonym = models.CharField(_("synonym"), max_length=60, help_text=_("As the file writes it, e.g. 已脱贫."))
    county_code = models.CharField(_("county"), max_length=12, blank=True,
                                   validators=[RegexValidator(r"^\d{12}$", _("A division code is 12 digits."))],
                                   help_text=_("Empty: every county. Otherwise the county's 12-digit code."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("column synonym")
        verbose_name_plural = _("column synonyms")
        ordering = ["file_kind", "column", "value", "synonym"]
        constraints = [models.UniqueConstraint(fields=["file_kind", "column", "value", "synonym", "county_code"],
                                               name="synonym_unique")]

    def __str__(self):
        return f"{self.synonym} -> {self.column}{'=' + self.value if self.value else ''}"
