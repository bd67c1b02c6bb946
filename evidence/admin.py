from django.contrib import admin

from evidence.models import RequiredDocument


@admin.register(RequiredDocument)
class RequiredDocumentAdmin(admin.ModelAdmin):
    """County configuration of required documents (admins set it; no case data here)."""

    list_display = ["county", "stage", "document_type", "effective_from", "required"]
    list_filter = ["stage", "document_type", "required"]
