from django.contrib import admin
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _

from audit import humanize
from audit.models import AccessLog, AuditChainCheck, AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ActionFilter(admin.SimpleListFilter):
    """The actions by their words (the log keeps the code names)."""

    title = _("action")
    parameter_name = "action"
    access = False

    def lookups(self, request, model_admin):
        table = humanize.ACCESS_ACTIONS if self.access else humanize.ACTIONS
        return [(action, humanize.action_label(action, access=self.access)) for action in table]

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class AccessActionFilter(ActionFilter):
    access = True


class ObjectKindFilter(admin.SimpleListFilter):
    title = _("object type")
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        return [(label, kind.name) for label, kind in humanize.OBJECT_KINDS.items()]

    def queryset(self, request, queryset):
        return queryset.filter(object_type=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_username", "what", "division_code"]
    list_filter = [ActionFilter, ObjectKindFilter]
    search_fields = ["actor_username", "object_id", "action"]

    @admin.display(description=_("What happened"))
    def what(self, obj):
        return strip_tags(humanize.sentence(obj.action, humanize.object_html(obj.object_type, obj.object_id, None)))


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "what"]
    list_filter = [AccessActionFilter, ObjectKindFilter]

    @admin.display(description=_("What happened"))
    def what(self, obj):
        return strip_tags(humanize.sentence(obj.action, humanize.object_html(obj.object_type, obj.object_id, None),
                                            access=True))


@admin.register(AuditChainCheck)
class AuditChainCheckAdmin(ReadOnlyAdmin):
    """The outcomes of the audit-chain verifications (nightly and `manage.py verify_audit_chain`)."""

    list_display = ["checked_at", "ok", "links_checked", "head_seq", "broken_seq", "broken_event_id", "reason"]
    list_filter = ["ok"]
