from django.contrib import admin

from accounts.admin import AuditedAdminMixin
from evidence.models import RequiredDocument


@admin.register(RequiredDocument)
class RequiredDocumentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """County configuration of required documents (admins set it; no case data here)."""

    audit_prefix = "required_document"
    list_display = ["county", "stage", "document_type", "effective_from", "required"]
    list_filter = ["stage", "document_type", "required"]
