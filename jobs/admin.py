from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from jobs import outbox
from jobs.models import OutboxMessage


class OutboxStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("pending", _("Waiting to be sent")), ("set_aside", _("Set aside")), ("sent", _("Sent"))]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(sent_at__isnull=True, set_aside_at__isnull=True)
        if self.value() == "set_aside":
            return queryset.filter(sent_at__isnull=True, set_aside_at__isnull=False)
        if self.value() == "sent":
            return queryset.filter(sent_at__isnull=False)
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """The outbox: what waits for the broker, and the messages set aside after failing (poison)."""

    list_display = ["id", "task_name", "created_at", "sent_at", "set_aside_at", "attempts", "last_error"]
    list_filter = [OutboxStateFilter, "task_name"]
    readonly_fields = ["task_name", "args", "kwargs", "created_at", "sent_at", "attempts", "last_error",
                       "set_aside_at"]
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send again (once the cause is fixed)"))
    def send_again(self, request, queryset):
        count = outbox.send_again(queryset.values_list("pk", flat=True))
        self.message_user(request, _("%(n)d message(s) will be sent on the next flush.") % {"n": count})
