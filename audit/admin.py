from django.contrib import admin

from audit.models import AccessLog, AuditChainCheck, AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_username", "action", "object_type", "object_id", "division_code"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_username", "object_id", "action"]


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "action", "object_type", "object_id"]


@admin.register(AuditChainCheck)
class AuditChainCheckAdmin(ReadOnlyAdmin):
    """The outcomes of the audit-chain verifications (nightly and `manage.py verify_audit_chain`)."""

    list_display = ["checked_at", "ok", "links_checked", "head_seq", "broken_seq", "broken_event_id", "reason"]
    list_filter = ["ok"]
